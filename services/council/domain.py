"""The council, pure: three roles vote from real checks; policy decides what a human must approve."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.council.injection import injection_markers, restraint_requested
from shared.config import NAME_PATTERN, SUPPORTED_ACTIONS, Settings, TargetConfig
from shared.events import Event, iso, now
from shared.events import incident as ev
from shared.events.models import AIAnalysis, CouncilDecision, CouncilVote, outcome_of
from shared.policy import Effective, Policy
from shared.projections.incident import IncidentState

ROLES = ("SRE_AGENT", "SECURITY_OFFICER", "AUDITOR")
ACTIONS_NEEDING_TARGET = frozenset({"RESTART", "SCALE_UP", "SCALE_DOWN", "ROLLBACK"})
CRASH_WORDS = ("crash", "connection refused", "segfault", "exited", "killed", "not responding", "health check")
LOAD_WORDS = ("traffic", "429", "too many requests", "rate", "surge", "load", "queue", "latency")


@dataclass(frozen=True)
class Facts:
    """What the council knows beyond the incident: settings, policy, the target and its recent history."""

    settings: Settings
    target: TargetConfig | None
    policy: Policy = field(default_factory=Policy)
    recent_restarts: int = 0
    at: datetime = field(default_factory=now)

    @property
    def limits(self) -> Effective:
        """The policy limits for this incident's target."""
        return self.policy.effective(self.target, self.target.name if self.target else "")


Check = Callable[[IncidentState, AIAnalysis, Facts], tuple[str, str]]


def sre_agent(state: IncidentState, a: AIAnalysis, facts: Facts) -> tuple[str, str]:
    """Propose the action with its evidence; question it when a strong precedent did something else."""
    evidence = f"{a.root_cause} (confidence {a.confidence:.2f}, {state.analyzer or 'analyzer'})"
    best = max(state.retrieval or (), key=lambda m: m.similarity_score, default=None)
    if best is not None:
        evidence += f"; precedent {best.incident_id} {best.similarity_score:.0%} similar was resolved by {best.action}"
    if outcome_of(a) == "human":
        return "NEEDS_REVIEW", f"No safe automatic action: {a.root_cause}; a human is needed ({evidence})"
    if a.action == "NOOP":
        return "APPROVED", f"Proposing NOOP (benign, closed after a health check): {evidence}"
    if facts.target is None:
        return "REJECTED", f"Cannot {a.action}: target {state.container_name!r} is not a known service"
    if a.action not in SUPPORTED_ACTIONS[facts.target.kind]:
        return "REJECTED", f"{a.action} is not supported for {facts.target.kind} target {facts.target.name}"
    if (best is not None and best.similarity_score >= facts.settings.rag_similarity_threshold
            and best.action != a.action):
        return "NEEDS_REVIEW", f"Proposing {a.action} but a close precedent was fixed by {best.action}: {evidence}"
    return "APPROVED", f"Proposing {a.action}: {evidence}"


def security_officer(state: IncidentState, a: AIAnalysis, facts: Facts) -> tuple[str, str]:
    """Inventory, allowed actions, parameter bounds, and no injected instructions anywhere."""
    markers = injection_markers(state.logs, a.root_cause, a.justification)
    if markers:
        return "REJECTED", "Injection markers in the incident: " + "; ".join(markers)
    if a.action not in ACTIONS_NEEDING_TARGET:
        return "APPROVED", "No action on any system; nothing to secure"
    name = state.container_name or ""
    if not NAME_PATTERN.match(name):
        return "REJECTED", f"Target name {name!r} is not a valid service name"
    if facts.target is None:
        return "REJECTED", f"Target {name!r} is not in the inventory"
    limits = facts.limits
    if a.action not in limits.allowed_actions:
        return "REJECTED", f"Policy does not allow {a.action} on {name} (allowed: {', '.join(limits.allowed_actions)})"
    max_replicas = min(limits.max_replicas, facts.settings.max_replicas)
    if a.action == "SCALE_UP" and not 1 <= a.replica_count <= max_replicas:
        return "REJECTED", f"{a.replica_count} replicas is outside policy (1..{max_replicas})"
    return "APPROVED", f"{a.action} of inventory target {name} is within policy"


def auditor(state: IncidentState, a: AIAnalysis, facts: Facts) -> tuple[str, str]:
    """Enough evidence, a proportionate action, and the restart budget."""
    threshold = facts.settings.min_confidence
    if a.action != "NOOP" and a.confidence < threshold:
        return "REJECTED", f"Confidence {a.confidence:.2f} is below the {threshold:.2f} threshold"
    if outcome_of(a) == "human":
        return "NEEDS_REVIEW", f"Nothing to run: the diagnosis asks for a human (confidence {a.confidence:.2f})"
    if a.action == "NOOP" and a.confidence < threshold:
        return "NEEDS_REVIEW", (f"NOOP with confidence {a.confidence:.2f} < {threshold:.2f}: an unsure 'nothing to do' "
                                "is a human's call")
    if not a.justification.strip():
        return "REJECTED", "The proposal carries no justification to audit"
    text = f"{state.alert_type} {state.logs}".lower()
    if a.action == "SCALE_UP" and any(w in text for w in CRASH_WORDS) and not any(w in text for w in LOAD_WORDS):
        return "NEEDS_REVIEW", "SCALE_UP for a crash is disproportionate: more replicas of a crashing service"
    budget = facts.limits.restart_budget
    if a.action == "RESTART" and facts.recent_restarts >= budget.max:
        return "NEEDS_REVIEW", (f"Restart budget exhausted: {facts.recent_restarts} restarts of {state.container_name} "
                                f"in the last {budget.window_minutes:g} min (max {budget.max}); a human should look")
    if a.action == "NOOP":
        return "APPROVED", f"Confidence {a.confidence:.2f} ≥ {threshold:.2f}; NOOP is closed only after a health check"
    return "APPROVED", f"Confidence {a.confidence:.2f} ≥ {threshold:.2f}; action is proportionate and fully logged"


CHECKS: dict[str, Check] = {"SRE_AGENT": sre_agent, "SECURITY_OFFICER": security_officer, "AUDITOR": auditor}


def policy_holds(state: IncidentState, a: AIAnalysis, facts: Facts) -> list[str]:
    """Why this action must wait for a human (empty: it may run automatically)."""
    if a.action == "NOOP":
        return []
    limits, name, holds = facts.limits, state.container_name or "", []
    if a.hold:
        holds.append(a.hold)
    if a.action in limits.approval_required:
        holds.append(f"policy requires approval for {a.action}")
    if a.action == "SCALE_UP" and a.replica_count > limits.approval_scale_up_above:
        holds.append(f"SCALE_UP to {a.replica_count} replicas is above {limits.approval_scale_up_above}")
    if limits.critical:
        holds.append(f"{name} is a critical target")
    if asked := restraint_requested(state.logs):
        holds.append(f"the incident's text asks not to act (“{asked}”)")
    window = facts.policy.window(name, facts.at)
    if window is not None:
        holds.append(f"maintenance window on {name}: {window.reason}")
    return holds


def tally(votes: Sequence[CouncilVote], holds: Sequence[str] = ()) -> CouncilDecision:
    """≥ 2/3 APPROVED → APPROVED (Core API contract); NEEDS_REVIEW counts toward going ahead, but held for a human.

    A SECURITY_OFFICER rejection is a veto: hard policy is never outvoted.
    """
    approved = sum(v.verdict == "APPROVED" for v in votes)
    review = sum(v.verdict == "NEEDS_REVIEW" for v in votes)
    veto = any(v.role == "SECURITY_OFFICER" and v.verdict == "REJECTED" for v in votes)
    goes_ahead = not veto and (approved + review) * 3 >= 2 * len(votes)
    verdict = "APPROVED" if goes_ahead else "REJECTED"
    summary = f"Council voted {approved}/{len(votes)} APPROVED"
    if review:
        summary += f", {review} NEEDS_REVIEW"
    summary += f". Final: {verdict}"
    if veto:
        summary += " (security veto)"
    elif goes_ahead and (review or holds):
        summary += " — held for human approval"
    return CouncilDecision(votes=list(votes), final_verdict=verdict, consensus=approved * 3 >= 2 * len(votes),  # type: ignore[arg-type]
                           summary=summary)


def deliberate(state: IncidentState | None, facts: Facts) -> list[Event]:
    """Missing votes, the decision, then an approval request or FAILED; nothing if already decided — except a
    rejection whose FAILED a cut-off append lost (the events are not one transaction): that FAILED, on redelivery."""
    if state is not None and state.status == "REJECTED" and state.analysis is not None \
            and state.council_decision is not None and state.council_decision.final_verdict == "REJECTED":
        return [_failed(state.analysis, state.council_decision.votes)]
    if state is None or state.status != "COUNCIL_REVIEW" or state.analysis is None or state.source == "manual":
        return []  # manual operations (POST /scale) are decided by the operator who asked for them
    a = state.analysis
    if outcome_of(a) == "human":
        return needs_human(state, a, facts)
    voted = {v.role for v in state.votes}
    stamp = iso(facts.at)
    new_votes = [CouncilVote(role=role, verdict=verdict, reasoning=reason, timestamp=stamp)  # type: ignore[arg-type]
                 for role in ROLES if role not in voted
                 for verdict, reason in [CHECKS[role](state, a, facts)]]
    votes = [*state.votes, *new_votes]
    holds = policy_holds(state, a, facts) + [f"{v.role}: {v.reasoning}" for v in votes if v.verdict == "NEEDS_REVIEW"]
    decision = tally(votes, holds)
    held = decision.final_verdict == "APPROVED" and bool(holds)
    events: list[Event] = [ev.VoteCast(vote=v) for v in new_votes]
    events.append(ev.CouncilDecided(decision=decision, requires_approval=held))
    if decision.final_verdict == "REJECTED":
        events.append(_failed(a, votes))
    elif held:
        ttl = facts.policy.approval_ttl_seconds
        events.append(ev.ApprovalRequested(reason="; ".join(holds), required_role="approver",
                                           expires_at=facts.at + timedelta(seconds=ttl)))
    return events


def needs_human(state: IncidentState, a: AIAnalysis, facts: Facts) -> list[Event]:
    """The diagnosis asks for a human: the votes say why, nothing runs, the incident fails with the reason (an alert
    goes out, never a recovery notice) and it is not learned as a fix."""
    voted = {v.role for v in state.votes}
    stamp = iso(facts.at)
    new_votes = [CouncilVote(role=role, verdict=verdict, reasoning=reason, timestamp=stamp)  # type: ignore[arg-type]
                 for role in ROLES if role not in voted
                 for verdict, reason in [CHECKS[role](state, a, facts)]]
    decision = CouncilDecision(votes=[*state.votes, *new_votes], final_verdict="REJECTED", consensus=True,
                               summary=f"No automatic action: needs a human — {a.root_cause}")
    return [*(ev.VoteCast(vote=v) for v in new_votes), ev.CouncilDecided(decision=decision),
            _failed(a, decision.votes)]


def _failed(a: AIAnalysis, votes: Sequence[CouncilVote]) -> ev.IncidentFailed:
    """The FAILED that follows a rejection: a diagnosis that asks for a human, or the council's rejecting votes."""
    if outcome_of(a) == "human":
        why = a.escalation or a.justification
        return ev.IncidentFailed(error=f"Needs a human: {a.root_cause}. {why} Manual intervention may be needed.",
                                 stage="triage", needs_human=True)
    reasons = "; ".join(f"{v.role}: {v.reasoning}" for v in votes if v.verdict == "REJECTED")
    return ev.IncidentFailed(error=f"Council rejected the action ({reasons})", stage="council")


def approval_wait(state: IncidentState | None, at: datetime) -> float | None:
    """Seconds until the approval deadline (≤ 0: due); None when nothing awaits approval."""
    if state is None or state.status != "AWAITING_APPROVAL" or state.approval_expires_at is None:
        return None
    return (state.approval_expires_at - at).total_seconds()


def on_deadline(state: IncidentState | None, policy: Policy, at: datetime) -> list[Event]:
    """At a due approval deadline: escalate once to an admin (if configured), else expire and fail."""
    wait = approval_wait(state, at)
    if wait is None or wait > 0:
        return []
    assert state is not None
    if policy.on_expiry == "escalate" and state.approval_role != "admin":
        return [ev.ApprovalRequested(reason=f"escalated: no approver decided within {policy.approval_ttl_seconds:g}s",
                                     required_role="admin",
                                     expires_at=at + timedelta(seconds=policy.approval_ttl_seconds))]
    reason = f"no {state.approval_role or 'approver'} decided within {policy.approval_ttl_seconds:g}s"
    return [ev.ApprovalExpired(reason=reason),
            ev.IncidentFailed(error=f"Approval expired: {reason}", stage="approval")]



def executor_wait(state: IncidentState | None, node: str, node_live: bool, deadline: datetime, at: datetime,
                  recheck: float) -> tuple[list[Event], float | None]:
    """The watch over an approved action whose target lives on `node` (docs/fleet.md): the events to append now
    (the timeline says it waits for the node; at the deadline, with still no live executor there, it fails for a
    human) and when to look again (None: nothing more to watch — the action was taken, or the incident ended)."""
    if state is None or state.status != "APPROVED" or state.analysis is None or state.analysis.action == "NOOP":
        return [], None
    if node_live:
        return [], recheck  # its executor takes it; look again in case that agent dies before acting
    left = (deadline - at).total_seconds()
    if left <= 0:
        return [ev.IncidentFailed(
            error=f"No executor on node {node} took the {state.analysis.action} of {state.container_name} by "
                  f"{deadline:%H:%M:%S} UTC: none was live. Manual intervention may be needed (start `aegis executor "
                  f"--node {node}` there, or act by hand).", stage="executor", needs_human=True)], None
    events: list[Event] = [] if state.awaiting_node == node else [ev.ExecutorAwaited(node=node, until=deadline)]
    return events, min(recheck, left)
