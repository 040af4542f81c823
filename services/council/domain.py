"""The council, pure: three roles vote from real checks; ≥ 2/3 APPROVED carries the decision."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shared.config import NAME_PATTERN, Settings, TargetConfig
from shared.events import Event, iso, now
from shared.events import incident as ev
from shared.events.models import AIAnalysis, CouncilDecision, CouncilVote
from shared.projections.incident import IncidentState

ROLES = ("SRE_AGENT", "SECURITY_OFFICER", "AUDITOR")
ACTIONS_NEEDING_TARGET = frozenset({"RESTART", "SCALE_UP", "SCALE_DOWN", "ROLLBACK"})
SUPPORTED = {"process": frozenset({"RESTART", "NOOP"}),
             "docker": frozenset({"RESTART", "SCALE_UP", "SCALE_DOWN", "ROLLBACK", "NOOP"})}


@dataclass(frozen=True)
class Facts:
    """What the council knows beyond the incident: policy settings and the target, if registered."""

    settings: Settings
    target: TargetConfig | None


Check = Callable[[IncidentState, AIAnalysis, Facts], tuple[str, str]]


def sre_agent(state: IncidentState, a: AIAnalysis, facts: Facts) -> tuple[str, str]:
    """Is the proposed action something this target can actually undergo?"""
    if a.action == "NOOP":
        return "APPROVED", f"Proposing NOOP: {a.root_cause}"
    if facts.target is None:
        return "REJECTED", f"Cannot {a.action}: target {state.container_name!r} is not a known service"
    if a.action not in SUPPORTED[facts.target.kind]:
        return "REJECTED", f"{a.action} is not supported for {facts.target.kind} target {facts.target.name}"
    return "APPROVED", f"Proposing {a.action}: {a.root_cause}"


def security_officer(state: IncidentState, a: AIAnalysis, facts: Facts) -> tuple[str, str]:
    """Only inventory targets, valid names, and parameters inside policy."""
    if a.action not in ACTIONS_NEEDING_TARGET:
        return "APPROVED", "No action on any system; nothing to secure"
    name = state.container_name or ""
    if not NAME_PATTERN.match(name):
        return "REJECTED", f"Target name {name!r} is not a valid service name"
    if facts.target is None:
        return "REJECTED", f"Target {name!r} is not in the inventory"
    if a.action == "SCALE_UP" and not 1 <= a.replica_count <= facts.settings.max_replicas:
        return "REJECTED", f"{a.replica_count} replicas is outside policy (1..{facts.settings.max_replicas})"
    return "APPROVED", f"{a.action} of inventory target {name} is a standard, reversible operation"


def auditor(state: IncidentState, a: AIAnalysis, facts: Facts) -> tuple[str, str]:
    """Is the evidence strong enough and the decision explained?"""
    threshold = facts.settings.min_confidence
    if a.action != "NOOP" and a.confidence < threshold:
        return "REJECTED", f"Confidence {a.confidence:.2f} is below the {threshold:.2f} threshold"
    if not a.justification.strip():
        return "REJECTED", "The proposal carries no justification to audit"
    return "APPROVED", f"Confidence {a.confidence:.2f} ≥ {threshold:.2f}; action is proportionate and fully logged"


CHECKS: dict[str, Check] = {"SRE_AGENT": sre_agent, "SECURITY_OFFICER": security_officer, "AUDITOR": auditor}


def tally(votes: Sequence[CouncilVote]) -> CouncilDecision:
    """≥ 2/3 APPROVED → APPROVED, else REJECTED."""
    approved = sum(v.verdict == "APPROVED" for v in votes)
    consensus = approved * 3 >= 2 * len(votes)
    verdict = "APPROVED" if consensus else "REJECTED"
    return CouncilDecision(votes=list(votes), final_verdict=verdict, consensus=consensus,  # type: ignore[arg-type]
                           summary=f"Council voted {approved}/{len(votes)} APPROVED. Final: {verdict}")


def deliberate(state: IncidentState | None, facts: Facts) -> list[Event]:
    """Missing votes, the decision, and FAILED on rejection; nothing if the council already decided."""
    if state is None or state.status != "COUNCIL_REVIEW" or state.analysis is None:
        return []
    voted = {v.role for v in state.votes}
    stamp = iso(now())
    new_votes = [CouncilVote(role=role, verdict=verdict, reasoning=reason, timestamp=stamp)  # type: ignore[arg-type]
                 for role in ROLES if role not in voted
                 for verdict, reason in [CHECKS[role](state, state.analysis, facts)]]
    decision = tally([*state.votes, *new_votes])
    events: list[Event] = [ev.VoteCast(vote=v) for v in new_votes]
    events.append(ev.CouncilDecided(decision=decision))
    if decision.final_verdict == "REJECTED":
        reasons = "; ".join(f"{v.role}: {v.reasoning}" for v in decision.votes if v.verdict != "APPROVED")
        events.append(ev.IncidentFailed(error=f"Council rejected the action ({reasons})", stage="council"))
    return events

