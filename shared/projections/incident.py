"""The incident state machine as a pure fold: evolve(state, envelope) -> state, rejecting illegal moves."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import msgspec

from shared.errors import IllegalTransitionError
from shared.events import Envelope, iso
from shared.events import incident as ev
from shared.events.models import (
    AIAnalysis,
    CouncilDecision,
    CouncilVote,
    RetrievedIncident,
    ScaleEvent,
    TimelineEntry,
    outcome_of,
)

# JOINED: an alert that joined another incident's outage; SILENCED: one that matched a silence
TERMINAL = frozenset({"RESOLVED", "FAILED", "JOINED", "SILENCED"})
SCALE_ACTIONS = frozenset({"SCALE_UP", "SCALE_DOWN"})
_ACTION_DONE_STATUS = {"RESTART": "RESTARTED", "ROLLBACK": "ROLLED_BACK", "SCALE_UP": "SCALED", "SCALE_DOWN": "SCALED"}


class Notification(msgspec.Struct, frozen=True, gc=False):
    """One (kind, channel) notification of an incident and where it stands."""

    draft_id: str
    channel: str
    kind: str
    subject: str
    body: str
    recipients: tuple[str, ...]
    review: str
    drafted_by: str
    status: str = "drafted"  # drafted | approved | rejected | sending | sent | failed
    approved_by: str | None = None
    error: str | None = None


class IncidentState(msgspec.Struct, frozen=True, gc=False):
    """Everything known about one incident; `to_result()` gives the Core API contract's IncidentResult."""

    incident_id: str
    alert_type: str
    logs: str
    status: str
    created_at: datetime
    container_name: str | None = None
    severity: str | None = None
    source: str = "webhook"
    fingerprint: str | None = None
    posted_by: str | None = None
    retrieval: tuple[RetrievedIncident, ...] | None = None
    analysis: AIAnalysis | None = None
    analyzer: str | None = None
    votes: tuple[CouncilVote, ...] = ()
    council_decision: CouncilDecision | None = None
    requires_approval: bool = False
    approval_expires_at: datetime | None = None
    approval_role: str | None = None
    approved_by: str | None = None
    rejected_by: str | None = None  # the human who said no to the action put to them (overruled the council)
    action: str | None = None
    action_node: str | None = None
    awaiting_node: str | None = None  # the node whose executor the approved action waits for (ExecutorAwaited)
    action_done: bool = False
    health_checks: int = 0
    resolved_at: datetime | None = None
    error: str | None = None
    replicas_spawned: int = 0
    scale: ScaleEvent | None = None
    timeline: tuple[TimelineEntry, ...] = ()
    notifications: tuple[Notification, ...] = ()
    outcome: str | None = None  # act | benign | human (None until diagnosed); FAILED always ends as human
    platform_facts: dict[str, Any] = {}  # what the platform knew of the target when it was diagnosed
    joined: str | None = None  # the incident this alert joined (its outage is handled there)
    silenced: str | None = None  # the silence this alert matched
    verified: bool = False  # RESOLVED after a passing health check of the target
    version: int = 0
    last_seq: int = 0

    @property
    def terminal(self) -> bool:
        """True once RESOLVED or FAILED."""
        return self.status in TERMINAL

    def notification(self, draft_id: str) -> Notification | None:
        """One notification by its draft id."""
        return next((n for n in self.notifications if n.draft_id == draft_id), None)

    def to_result(self) -> dict[str, Any]:
        """The Core API contract's IncidentResult shape, field for field."""
        return {
            "incident_id": self.incident_id,
            "alert_type": self.alert_type,
            "status": self.status,
            "analysis": msgspec.to_builtins(self.analysis) if self.analysis else None,
            "council_decision": msgspec.to_builtins(self.council_decision) if self.council_decision else None,
            "resolved_at": iso(self.resolved_at) if self.resolved_at else None,
            "error": self.error,
            "replicas_spawned": self.replicas_spawned,
            "timeline": [{"ts": iso(e.ts), "status": e.status, "message": e.message, "agent": e.agent}
                         for e in self.timeline],
            "outcome": self.outcome,
            "needs_human": self.status == "FAILED",
            "container_name": self.container_name,
            "severity": self.severity,
            "source": self.source,
            "received_at": iso(self.created_at),
            "joined": self.joined,
            "silenced": self.silenced,
        }


def _require(state: IncidentState | None, event: object, allowed: Iterable[str]) -> IncidentState:
    if state is None:
        raise IllegalTransitionError(f"{type(event).__name__} before the incident was received")
    if state.status not in allowed:
        raise IllegalTransitionError(
            f"{type(event).__name__} not allowed in status {state.status}",
            incident_id=state.incident_id, status=state.status, event=type(event).__name__)
    return state


def _entry(env: Envelope, status: str, message: str, agent: str | None = None) -> TimelineEntry:
    return TimelineEntry(ts=env.time, status=status, message=message, agent=agent)


def _next(state: IncidentState, env: Envelope, seq: int, *entries: TimelineEntry, **changes: Any) -> IncidentState:
    return msgspec.structs.replace(state, timeline=state.timeline + entries, version=state.version + 1,
                                   last_seq=seq or state.last_seq, **changes)


def evolve(state: IncidentState | None, env: Envelope, seq: int = 0) -> IncidentState:
    """Apply one event; raise IllegalTransitionError if it does not fit the current status."""
    p = env.payload
    handler = _HANDLERS.get(type(p))
    if handler is None:
        raise IllegalTransitionError(f"{env.type} is not an incident event")
    return handler(state, env, p, seq)


def _received(state: IncidentState | None, env: Envelope, p: ev.IncidentReceived, seq: int) -> IncidentState:
    if state is not None:
        raise IllegalTransitionError("incident already received", incident_id=state.incident_id)
    assert env.incident_id is not None
    via = {"webhook": "via webhook", "prober": "by the prober", "alertmanager": "from Alertmanager"}
    message = f"Incident received {via.get(p.source, 'via ' + p.source)}."
    timeline: tuple[TimelineEntry, ...] = (_entry(env, "RECEIVED", message),)
    status = "RECEIVED"
    if p.silenced:
        status = "SILENCED"
        timeline += (_entry(env, "SILENCED", f"Silenced by {p.silenced}: recorded, nothing runs."),)
    elif p.joined:
        status = "JOINED"
        timeline += (_entry(env, "JOINED", f"Joined incident {p.joined}: the same outage "
                                           f"({p.container_name or 'same alert group'}) is handled there."),)
    return IncidentState(
        incident_id=env.incident_id, alert_type=p.alert_type, logs=p.logs, status=status,
        created_at=env.time, container_name=p.container_name, severity=p.severity, source=p.source,
        fingerprint=p.fingerprint, timeline=timeline, version=1, last_seq=seq, joined=p.joined,
        silenced=p.silenced, posted_by=p.posted_by)


def _retrieval(state, env, p: ev.RetrievalCompleted, seq):
    s = _require(state, p, {"RECEIVED", "ANALYSING"})
    if p.matches:
        best = max(m.similarity_score for m in p.matches)
        msg = f"Retrieved {len(p.matches)} similar past incidents (best match: {best * 100:.1f}%)"
    else:
        msg = "No similar past incidents in the runbook"
    return _next(s, env, seq, _entry(env, "RAG_RETRIEVAL", msg, "RAG_ENGINE"), status="ANALYSING",
                 retrieval=tuple(p.matches))


def _analysis_started(state, env, p: ev.AnalysisStarted, seq):
    s = _require(state, p, {"RECEIVED", "ANALYSING"})
    return _next(s, env, seq, _entry(env, "ANALYSING", "AI SRE Agent is analysing the incident…", "SRE_AGENT"),
                 status="ANALYSING", analyzer=p.analyzer)


def _analysis_completed(state, env, p: ev.AnalysisCompleted, seq):
    s = _require(state, p, {"RECEIVED", "ANALYSING"})
    outcome = outcome_of(p.analysis)
    kind = {"act": p.analysis.action, "benign": "NOOP (benign)", "human": "needs a human"}[outcome]
    msg = f"Root cause: {p.analysis.root_cause} → {kind}" + (f" ({p.note})" if p.note else "")
    if p.analysis.evidence:  # the evidence behind the call, on the seed's own line
        msg += " — evidence: " + "; ".join(p.analysis.evidence)[:1000]
    entries = [_entry(env, "AI_COMPLETE", msg, "SRE_AGENT")]
    if p.analysis.escalation:
        entries.append(_entry(env, "ESCALATED", p.analysis.escalation[:500], "SRE_AGENT"))
    return _next(s, env, seq, *entries, status="COUNCIL_REVIEW", analysis=p.analysis, analyzer=p.analyzer,
                 outcome=outcome, platform_facts=p.platform)


def _vote(state, env, p: ev.VoteCast, seq):
    s = _require(state, p, {"COUNCIL_REVIEW"})
    if any(v.role == p.vote.role for v in s.votes):
        raise IllegalTransitionError(f"{p.vote.role} already voted", incident_id=s.incident_id)
    msg = f"{p.vote.role}: {p.vote.verdict} – {p.vote.reasoning}"
    return _next(s, env, seq, _entry(env, "COUNCIL_VOTE", msg, p.vote.role), votes=s.votes + (p.vote,))


def _decided(state, env, p: ev.CouncilDecided, seq):
    s = _require(state, p, {"COUNCIL_REVIEW"})
    entries = [_entry(env, "COUNCIL_DECISION", p.decision.summary)]
    if p.decision.final_verdict != "APPROVED":
        return _next(s, env, seq, *entries, status="REJECTED", council_decision=p.decision)
    if p.requires_approval:
        return _next(s, env, seq, *entries, status="AWAITING_APPROVAL", council_decision=p.decision,
                     requires_approval=True)
    entries.append(_entry(env, "APPROVED", "Council approved the action."))
    return _next(s, env, seq, *entries, status="APPROVED", council_decision=p.decision)


def _approval_requested(state, env, p: ev.ApprovalRequested, seq):
    s = _require(state, p, {"AWAITING_APPROVAL"})
    entry = _entry(env, "AWAITING_APPROVAL", f"Human approval required ({p.required_role}): {p.reason}")
    return _next(s, env, seq, entry, approval_expires_at=p.expires_at, approval_role=p.required_role)


def _approval_granted(state, env, p: ev.ApprovalGranted, seq):
    s = _require(state, p, {"AWAITING_APPROVAL"})
    entry = _entry(env, "APPROVED", f"Approved by {p.by}." + (f" {p.comment}" if p.comment else ""), p.by)
    return _next(s, env, seq, entry, status="APPROVED", approved_by=p.by)


def _approval_closed(state, env, p, seq):
    s = _require(state, p, {"AWAITING_APPROVAL"})
    if isinstance(p, ev.ApprovalRejected):
        msg = f"Rejected by {p.by}." + (f" {p.reason}" if p.reason else "")
        return _next(s, env, seq, _entry(env, "REJECTED", msg, p.by), status="REJECTED", rejected_by=p.by)
    return _next(s, env, seq, _entry(env, "REJECTED", f"Approval expired: {p.reason}"), status="REJECTED")


def _executor_awaited(state, env, p: ev.ExecutorAwaited, seq):
    s = _require(state, p, {"APPROVED"})
    entry = _entry(env, "WAITING_FOR_EXECUTOR",
                   f"Waiting for an executor on node {p.node}: none is live. The action runs when one appears; "
                   f"the incident fails at {p.until:%H:%M:%S} UTC otherwise.")
    return _next(s, env, seq, entry, awaiting_node=p.node)


def _on(s: IncidentState) -> str:
    """Where the action ran, for its timeline lines."""
    return f" (node {s.action_node})" if s.action_node else ""


def _action_started(state, env, p: ev.ActionStarted, seq):
    s = _require(state, p, {"APPROVED"})
    status = "SCALING" if p.action in SCALE_ACTIONS else "EXECUTING"
    where = f" on node {p.node}" if p.node else ""
    by = f" ({p.agent})" if p.agent and p.agent != p.node else ""
    return _next(s, env, seq, _entry(env, status, f"Executing: {p.action}{where}{by}"), status=status,
                 action=p.action, action_node=p.node)


def _action_completed(state, env, p: ev.ActionCompleted, seq):
    s = _require(state, p, {"EXECUTING", "SCALING"})
    status = _ACTION_DONE_STATUS.get(p.action, "EXECUTED")
    return _next(s, env, seq, _entry(env, status, f"{p.detail or f'{p.action} done'}{_on(s)}"), action_done=True)


def _action_failed(state, env, p: ev.ActionFailed, seq):
    s = _require(state, p, {"EXECUTING", "SCALING", "VERIFYING"})
    return _next(s, env, seq, _entry(env, "ACTION_FAILED", f"{p.action} on {p.target} failed{_on(s)}: {p.error}"))


def _scaled(state, env, p: ev.ScaleCompleted, seq):
    s = _require(state, p, {"SCALING", "EXECUTING"})
    return _next(s, env, seq, replicas_spawned=p.event.replica_count, scale=p.event)


def _verification(state, env, p: ev.VerificationStarted, seq):
    s = _require(state, p, {"EXECUTING", "SCALING"})
    return _next(s, env, seq, _entry(env, "VERIFYING", "Running health checks…"), status="VERIFYING")


def _health(state, env, p: ev.HealthChecked, seq):
    s = _require(state, p, {"VERIFYING"})
    return _next(s, env, seq, health_checks=s.health_checks + 1)


def _resolved(state, env, p: ev.IncidentResolved, seq):
    s = _require(state, p, {"VERIFYING", "APPROVED"})
    if s.status == "APPROVED" and (s.analysis is None or s.analysis.action != "NOOP"):
        raise IllegalTransitionError("only a NOOP resolves without verification", incident_id=s.incident_id)
    return _next(s, env, seq, _entry(env, "RESOLVED", p.message), status="RESOLVED", resolved_at=p.resolved_at,
                 verified=p.verified)


PRE_ACTION = frozenset({"RECEIVED", "ANALYSING", "COUNCIL_REVIEW", "AWAITING_APPROVAL", "APPROVED"})


def _recovered(state, env, p: ev.IncidentRecovered, seq):
    s = _require(state, p, PRE_ACTION)
    return _next(s, env, seq, _entry(env, "RECOVERED", f"Closed without action: {p.reason}"),
                 _entry(env, "RESOLVED", "Recovered before any action; incident closed."), status="RESOLVED",
                 resolved_at=env.time, verified=True, outcome="recovered")


def _failed(state, env, p: ev.IncidentFailed, seq):
    s = _require(state, p, NON_TERMINAL)
    return _next(s, env, seq, _entry(env, "FAILED", p.error), status="FAILED", error=p.error, outcome="human")


def _notification(state, env, p, seq):
    s = _require(state, p, ALL_STATUSES)
    if isinstance(p, ev.NotificationDrafted):
        if s.notification(p.draft_id) is not None:
            raise IllegalTransitionError(f"notification {p.draft_id} already drafted", incident_id=s.incident_id)
        note = Notification(draft_id=p.draft_id, channel=p.channel, kind=p.kind, subject=p.subject, body=p.body,
                            recipients=tuple(p.recipients), review=p.review, drafted_by=p.drafted_by)
        return _next(s, env, seq, notifications=s.notifications + (note,))
    current = s.notification(p.draft_id)
    if current is None:
        raise IllegalTransitionError(f"notification {p.draft_id} was never drafted", incident_id=s.incident_id)
    allowed = _NOTIFICATION_MOVES[type(p)]
    if current.status not in allowed:
        raise IllegalTransitionError(f"notification {p.draft_id} is {current.status}", incident_id=s.incident_id)
    entries: tuple[TimelineEntry, ...] = ()
    if isinstance(p, ev.NotificationEdited):
        note = msgspec.structs.replace(current, subject=p.subject, body=p.body)
    elif isinstance(p, ev.NotificationApproved):
        note = msgspec.structs.replace(current, status="approved", approved_by=p.by)
    elif isinstance(p, ev.NotificationRejected):
        note = msgspec.structs.replace(current, status="rejected")
    elif isinstance(p, ev.NotificationSending):
        note = msgspec.structs.replace(current, status="sending")
    elif isinstance(p, ev.NotificationSent):
        note = msgspec.structs.replace(current, status="sent")
        entries = (_entry(env, "NOTIFIED", f"{current.kind} {p.channel} notification sent to "
                                           f"{', '.join(p.recipients) or 'subscribers'}"),)
    else:
        note = msgspec.structs.replace(current, status="failed", error=p.error)
    notes = tuple(note if n.draft_id == p.draft_id else n for n in s.notifications)
    return _next(s, env, seq, *entries, notifications=notes)


_NOTIFICATION_MOVES = {
    ev.NotificationEdited: {"drafted"}, ev.NotificationApproved: {"drafted"}, ev.NotificationRejected: {"drafted"},
    ev.NotificationSending: {"approved"}, ev.NotificationSent: {"sending"},
    ev.NotificationFailed: {"approved", "sending"},
}


NON_TERMINAL = frozenset({"RECEIVED", "ANALYSING", "COUNCIL_REVIEW", "AWAITING_APPROVAL", "APPROVED", "REJECTED",
                          "EXECUTING", "SCALING", "VERIFYING"})
ALL_STATUSES = NON_TERMINAL | TERMINAL

_HANDLERS: dict[type, Callable[..., IncidentState]] = {
    ev.IncidentReceived: _received, ev.RetrievalCompleted: _retrieval, ev.AnalysisStarted: _analysis_started,
    ev.AnalysisCompleted: _analysis_completed, ev.VoteCast: _vote, ev.CouncilDecided: _decided,
    ev.ApprovalRequested: _approval_requested, ev.ApprovalGranted: _approval_granted,
    ev.ApprovalRejected: _approval_closed, ev.ApprovalExpired: _approval_closed,
    ev.ExecutorAwaited: _executor_awaited,
    ev.ActionStarted: _action_started, ev.ActionCompleted: _action_completed, ev.ActionFailed: _action_failed,
    ev.ScaleCompleted: _scaled, ev.VerificationStarted: _verification, ev.HealthChecked: _health,
    ev.IncidentResolved: _resolved, ev.IncidentRecovered: _recovered, ev.IncidentFailed: _failed,
    ev.NotificationDrafted: _notification, ev.NotificationEdited: _notification,
    ev.NotificationApproved: _notification, ev.NotificationRejected: _notification,
    ev.NotificationSending: _notification, ev.NotificationSent: _notification, ev.NotificationFailed: _notification,
}


def fold(events: Iterable[tuple[int, Envelope]]) -> IncidentState | None:
    """Replay (seq, envelope) pairs from nothing."""
    state: IncidentState | None = None
    for seq, env in events:
        state = evolve(state, env, seq)
    return state
