"""The prober's decisions, pure: thresholds, flap control, when to open and when to close an incident."""

from __future__ import annotations

import zlib
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from shared.config import ProbeConfig, TargetConfig
from shared.projections.incident import IncidentState

Decision = Literal["open", "recover", "suppressed"]


@dataclass(frozen=True)
class ProbeResult:
    """One check: did it pass, why not, how long it took, when (monotonic seconds)."""

    ok: bool
    detail: str
    latency_ms: float
    at: float


@dataclass
class TargetHealth:
    """What the prober has seen of one target (derived; rebuilt by probing again after a restart)."""

    name: str
    status: str = "unknown"  # unknown | up | down
    consecutive_failures: int = 0
    consecutive_successes: int = 0
    transitions: deque[float] = field(default_factory=lambda: deque(maxlen=64))
    last: ProbeResult | None = None
    checks: int = 0
    first_at: float | None = None  # when it was first checked (the start of its startup grace)

    def flapping(self, now: float, window: float, limit: int) -> bool:
        """Changed state at least `limit` times within the last `window` seconds."""
        return sum(1 for t in self.transitions if now - t <= window) >= limit


def probe_for(target: TargetConfig) -> ProbeConfig:
    """The target's probe, or the default: HTTP when it has a health URL, else TCP on its port."""
    return target.probe or ProbeConfig(kind="http" if target.health_url else "tcp")


def slot_offset(name: str, interval: float) -> float:
    """Where in each interval this target is checked: spread by name, so thousands of targets are not all
    checked in the same instant, and stable, so a target keeps its slot across restarts."""
    return zlib.crc32(name.encode()) % 1000 / 1000 * interval


def observe(h: TargetHealth, r: ProbeResult, probe: ProbeConfig, flap_window: float, flap_limit: int,
            certain: bool = False) -> list[Decision]:
    """Fold one result in; `certain` (the process exited) skips the failure threshold."""
    h.last, h.checks = r, h.checks + 1
    h.first_at = r.at if h.first_at is None else h.first_at
    starting = h.status == "unknown" and r.at - h.first_at < probe.startup_grace  # like a startup probe
    if r.ok:
        h.consecutive_successes += 1
        h.consecutive_failures = 0
    else:
        h.consecutive_failures += 1
        h.consecutive_successes = 0
    if h.status != "down" and not r.ok and (certain or (h.consecutive_failures >= probe.failure_threshold
                                                         and not starting)):
        was_known = h.status != "unknown"
        h.status = "down"
        if was_known:
            h.transitions.append(r.at)
        return ["suppressed" if h.flapping(r.at, flap_window, flap_limit) else "open"]
    if h.status != "up" and r.ok and h.consecutive_successes >= probe.success_threshold:
        was_down = h.status == "down"
        h.status = "up"
        if was_down:
            h.transitions.append(r.at)
            return ["recover"]
    return []


def remediating(incidents: Iterable[IncidentState], target: str) -> str | None:
    """The open incident whose action is under way on this target: a failure then is our own restart or
    rollback at work (its verification decides the outcome), not a new incident."""
    return next((s.incident_id for s in incidents
                 if s.container_name == target and s.action is not None and not s.terminal), None)
