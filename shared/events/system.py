"""System events: the supervisor's worker lifecycle, circuit breakers and the target inventory."""

from __future__ import annotations

import signal
from typing import ClassVar

import msgspec

from shared.config import ProbeConfig, TargetConfig
from shared.events.base import Event

SYSTEM_STREAM = "SYSTEM"
INVENTORY_STREAM = "INVENTORY"


class WorkerEvent(Event, frozen=True, kw_only=True):
    """A supervised worker's lifecycle, stored under system.workers.<worker>.<name>."""

    stream: ClassVar[str] = SYSTEM_STREAM
    worker: str

    def nats_subject(self, key: str) -> str:
        return f"system.workers.{self.worker}.{self.name()}"


class WorkerStarted(WorkerEvent, frozen=True, kw_only=True, tag="worker.started.v1"):
    """The supervisor started a worker process."""

    pid: int
    attempt: int = 0


def signal_name(number: int) -> str:
    """SIGKILL for 9; "signal 99" for numbers without a name."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class WorkerCrashed(WorkerEvent, frozen=True, kw_only=True, tag="worker.crashed.v2"):
    """A worker process exited without being asked to: with an exit code, or killed by a signal (v2 keeps the
    two apart; v1 folded a signal into a negative exit_code — shared/events/legacy.py upcasts it)."""

    exit_code: int | None = None
    signal: str | None = None  # e.g. "SIGKILL"
    error: str = ""
    attempt: int = 0


class WorkerRestarted(WorkerEvent, frozen=True, kw_only=True, tag="worker.restarted.v1"):
    """The supervisor brought a crashed worker back after `delay` seconds of backoff."""

    pid: int
    attempt: int
    delay: float
    manual: bool = False


class WorkerGaveUp(WorkerEvent, frozen=True, kw_only=True, tag="worker.gave_up.v1"):
    """A worker crashed too often within the window; it stays down (status failed)."""

    restarts: int
    window: float


class WorkerStopped(WorkerEvent, frozen=True, kw_only=True, tag="worker.stopped.v1"):
    """A worker was stopped on purpose (shutdown or operator)."""

    reason: str = "shutdown"


class BreakerStateChanged(Event, frozen=True, kw_only=True, tag="breaker.state_changed.v1"):
    """A circuit breaker around a dependency moved between closed, open and half_open."""

    stream: ClassVar[str] = SYSTEM_STREAM
    breaker: str
    state: str
    previous: str
    reason: str = ""

    def nats_subject(self, key: str) -> str:
        return f"system.breakers.{self.breaker}.{self.name()}"


# The inventory's record of a target is lenient: configuration is validated where it enters (config load), and a
# stored record must stay readable after a release adds a field or tightens a rule — otherwise targets would vanish
# from every read model. These keep the config structs' fields (and so their use everywhere a TargetConfig is read)
# but ignore fields they do not know and never re-validate.
class ProbeSpec(ProbeConfig, frozen=True, forbid_unknown_fields=False):
    """ProbeConfig as the inventory stores it."""

    kind: str = "http"  # type: ignore[assignment]  # a kind a later release adds must not make the record unreadable

    def __post_init__(self) -> None:
        pass


class TargetSpec(TargetConfig, frozen=True, forbid_unknown_fields=False):
    """TargetConfig as the inventory stores it."""

    kind: str = "process"  # type: ignore[assignment]  # see ProbeSpec.kind
    probe: ProbeSpec | None = None

    def __post_init__(self) -> None:
        pass

    @classmethod
    def of(cls, target: TargetConfig) -> TargetSpec:
        """The stored form of a (validated) target."""
        return target if isinstance(target, TargetSpec) else msgspec.convert(msgspec.to_builtins(target), cls)


class TargetRegistered(Event, frozen=True, kw_only=True, tag="target.registered.v1"):
    """A target joined (or changed in) the inventory AegisOps may act on."""

    stream: ClassVar[str] = INVENTORY_STREAM
    target: TargetSpec

    def nats_subject(self, key: str) -> str:
        return f"inventory.{self.target.name}.{self.name()}"


class TargetRemoved(Event, frozen=True, kw_only=True, tag="target.removed.v1"):
    """A target left the inventory."""

    stream: ClassVar[str] = INVENTORY_STREAM
    target_name: str

    def nats_subject(self, key: str) -> str:
        return f"inventory.{self.target_name}.{self.name()}"


SYSTEM_EVENTS: tuple[type[Event], ...] = (
    WorkerStarted, WorkerCrashed, WorkerRestarted, WorkerGaveUp, WorkerStopped, BreakerStateChanged,
)
INVENTORY_EVENTS: tuple[type[Event], ...] = (TargetRegistered, TargetRemoved)
