"""The executor's decisions, pure: which step an approved incident needs next."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shared.config import SUPPORTED_ACTIONS, TargetConfig
from shared.decisions import fail as shared_fail
from shared.events import Event, now
from shared.events import incident as ev
from shared.events.models import ScaleEvent
from shared.projections.incident import IncidentState

StepKind = Literal["nothing", "resolve_noop", "fail", "act", "resume"]


@dataclass(frozen=True)
class Step:
    """The next thing to do for an incident, with what it needs."""

    kind: StepKind
    target: TargetConfig | None = None
    reason: str = ""


def next_step(state: IncidentState | None, target: TargetConfig | None) -> Step:
    """APPROVED → act (or resolve a NOOP, or fail an unknown target); an interrupted action → resume."""
    if state is None or state.analysis is None:
        return Step("nothing")
    if state.status == "APPROVED":
        if state.analysis.action == "NOOP":
            return Step("resolve_noop")
        if target is None:
            return Step("fail", reason=f"Unknown target {state.container_name!r}: not in the inventory")
        if state.analysis.action not in SUPPORTED_ACTIONS[target.kind]:
            return Step("fail", reason=f"{state.analysis.action} on a {target.kind} target is not supported")
        return Step("act", target=target)
    if state.status in ("EXECUTING", "SCALING", "VERIFYING") and target is not None:
        return Step("resume", target=target)
    return Step("nothing")


def claim(state: IncidentState, target: TargetConfig, node: str, agent: str) -> list[Event]:
    """The event whose successful append makes this executor (`agent`, on `node`) the only one to act."""
    assert state.analysis is not None
    return [ev.ActionStarted(action=state.analysis.action, target=target.name, node=node, agent=agent,
                             replica_count=state.analysis.replica_count, situation=state.analysis.situation)]


def placed_here(target: TargetConfig, node: str) -> bool:
    """Whether this node's executors act on the target (one registered before placement has no node: any)."""
    return not target.node or target.node == node


def recovered_before_action(target: str, detail: str):  # type: ignore[no-untyped-def]
    """A decider: the target answers its health check right before the action, so nothing runs (once)."""

    def decide(state: IncidentState | None) -> list[Event]:
        if state is None or state.status != "APPROVED" or state.action is not None:
            return []
        action = state.analysis.action if state.analysis else "the action"
        return [ev.IncidentRecovered(reason=f"{target} was healthy right before {action} ({detail}); nothing was run",
                                     by="executor")]

    return decide


def resolve_noop(target: str | None, healthy: bool | None, detail: str = ""):  # type: ignore[no-untyped-def]
    """A decider for a benign NOOP: resolved only when the target's health check just passed (`healthy` None: no
    known target to check — closed, but not verified); an unhealthy target fails it for a human."""

    def decide(state: IncidentState | None) -> list[Event]:
        if state is None or state.status != "APPROVED" or state.analysis is None or state.analysis.action != "NOOP":
            return []
        cause = state.analysis.root_cause
        if healthy is None:
            return [ev.IncidentResolved(resolved_at=now(), verified=False,
                                        message=f"Benign: {cause}. No action taken; no known target to check, so "
                                                "nothing was verified.")]
        if healthy:
            return [ev.IncidentResolved(resolved_at=now(), message=f"Benign: {cause}. No action taken; {target} "
                                                                   f"passed its health check ({detail}).")]
        return [ev.IncidentFailed(error=f"Needs a human: diagnosed as benign ({cause}) but {target} fails its health "
                                        f"check now ({detail}). Manual intervention may be needed.",
                                  stage="executor", needs_human=True)]

    return decide


def fail(reason: str, stage: str = "executor"):  # type: ignore[no-untyped-def]
    """The shared fail decider, with the executor as the stage."""
    return shared_fail(reason, stage)


def action_done(detail: str, scale: ScaleEvent | None = None):  # type: ignore[no-untyped-def]
    """A decider for ActionCompleted (+ ScaleCompleted) + VerificationStarted, once."""

    def decide(state: IncidentState | None) -> list[Event]:
        if state is None or state.status not in ("EXECUTING", "SCALING") or state.action_done:
            return []
        assert state.action is not None
        target = state.container_name or ""
        events: list[Event] = [ev.ActionCompleted(action=state.action, target=target, detail=detail)]
        if scale is not None:
            events.append(ev.ScaleCompleted(event=scale))
        return [*events, ev.VerificationStarted(target=target)]

    return decide


def action_failed(action: str, target: str, error: str):  # type: ignore[no-untyped-def]
    """A decider for ActionFailed + FAILED, once."""

    def decide(state: IncidentState | None) -> list[Event]:
        if state is None or state.terminal:
            return []
        return [ev.ActionFailed(action=action, target=target, error=error),
                ev.IncidentFailed(error=f"{action} of {target} failed: {error}", stage="executor")]

    return decide


def start_verification(state: IncidentState | None) -> list[Event]:
    """VerificationStarted for a resumed incident still in EXECUTING/SCALING."""
    if state is None or state.status not in ("EXECUTING", "SCALING"):
        return []
    return [ev.VerificationStarted(target=state.container_name or "")]


def health_checked(attempt: int, healthy: bool, detail: str, latency_ms: float):  # type: ignore[no-untyped-def]
    """A decider for one HealthChecked (+ IncidentResolved if healthy), appended at most once per attempt."""

    def decide(state: IncidentState | None) -> list[Event]:
        if state is None or state.status != "VERIFYING" or state.health_checks >= attempt:
            return []
        events: list[Event] = [ev.HealthChecked(attempt=attempt, healthy=healthy, detail=detail,
                                                latency_ms=latency_ms)]
        if healthy:
            events.append(ev.IncidentResolved(resolved_at=now()))
        return events

    return decide
