"""The incident event catalog: every fact of the Core API contract's pipeline, from intake to notification."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from shared.events.base import Event
from shared.events.models import AIAnalysis, CouncilDecision, CouncilVote, RetrievedIncident, ScaleEvent

INCIDENTS_STREAM = "INCIDENTS"


class IncidentEvent(Event, frozen=True, kw_only=True):
    """An event about one incident, stored under incidents.<incident_id>.<name>."""

    stream: ClassVar[str] = INCIDENTS_STREAM

    def nats_subject(self, key: str) -> str:
        return f"incidents.{key}.{self.name()}"


class IncidentReceived(IncidentEvent, frozen=True, kw_only=True, tag="incident.received.v1"):
    """An alert arrived (webhook, prober, Alertmanager, chaos); the incident exists from here. `joined`: the alert is
    about an outage another incident already handles — it is recorded (queryable by its own id) and starts nothing."""

    alert_type: str
    logs: str
    container_name: str | None = None
    severity: str | None = None
    timestamp: str | None = None
    source: str = "webhook"
    fingerprint: str | None = None
    joined: str | None = None
    silenced: str | None = None  # the silence it matched: recorded, and nothing starts
    posted_by: str | None = None  # the authenticated principal who posted it (none for the prober, NATS intake)


class RetrievalCompleted(IncidentEvent, frozen=True, kw_only=True, tag="incident.retrieval_completed.v1"):
    """Similar past incidents were retrieved from the runbook."""

    matches: list[RetrievedIncident] = []


class AnalysisStarted(IncidentEvent, frozen=True, kw_only=True, tag="incident.analysis_started.v1"):
    """The analyst began diagnosing (tokens stream on plain NATS, not persisted)."""

    analyzer: str


class AnalysisCompleted(IncidentEvent, frozen=True, kw_only=True, tag="incident.analysis_completed.v1"):
    """The final diagnosis and proposed action; `note` says why a fallback decided, if one did; `platform` the
    platform's facts about the target that the diagnosis used (probe state, deploy age, previous fix, …)."""

    analysis: AIAnalysis
    analyzer: str
    note: str = ""
    platform: dict[str, Any] = {}


class VoteCast(IncidentEvent, frozen=True, kw_only=True, tag="incident.vote_cast.v1"):
    """One council member voted."""

    vote: CouncilVote


class CouncilDecided(IncidentEvent, frozen=True, kw_only=True, tag="incident.council_decided.v1"):
    """The council's verdict; `requires_approval` holds the action for a human."""

    decision: CouncilDecision
    requires_approval: bool = False


class ApprovalRequested(IncidentEvent, frozen=True, kw_only=True, tag="incident.approval_requested.v1"):
    """A human with `required_role` must approve before the action runs."""

    reason: str
    required_role: str = "approver"
    expires_at: datetime | None = None


class ApprovalGranted(IncidentEvent, frozen=True, kw_only=True, tag="incident.approval_granted.v1"):
    """A human approved the held action."""

    by: str
    comment: str = ""


class ApprovalRejected(IncidentEvent, frozen=True, kw_only=True, tag="incident.approval_rejected.v1"):
    """A human rejected the held action."""

    by: str
    reason: str = ""


class ApprovalExpired(IncidentEvent, frozen=True, kw_only=True, tag="incident.approval_expired.v1"):
    """Nobody decided before the approval deadline."""

    reason: str = "approval window elapsed"


class ExecutorAwaited(IncidentEvent, frozen=True, kw_only=True, tag="incident.executor_awaited.v1"):
    """The approved action's target lives on a node with no live executor: the action waits for one (docs/fleet.md)."""

    node: str
    until: datetime  # the incident fails at this time unless an executor of the node takes the action


class ActionStarted(IncidentEvent, frozen=True, kw_only=True, tag="incident.action_started.v1"):
    """An executor claimed the decided action; whoever appends this first is the only one to run it."""

    action: str
    target: str
    node: str = ""  # the node whose executor acts (before placement: the acting executor's actor name)
    replica_count: int = 0
    situation: str = ""  # what the diagnosis said it fixes (the ladder compares it with the next failure)
    agent: str = ""  # the executor process that claimed it (its actor name)


class ActionCompleted(IncidentEvent, frozen=True, kw_only=True, tag="incident.action_completed.v1"):
    """The action ran on its target (verification follows)."""

    action: str
    target: str
    detail: str = ""


class ActionFailed(IncidentEvent, frozen=True, kw_only=True, tag="incident.action_failed.v1"):
    """The action could not be carried out."""

    action: str
    target: str
    error: str


class ScaleCompleted(IncidentEvent, frozen=True, kw_only=True, tag="incident.scaled.v1"):
    """Replicas were added or removed and the load balancer updated."""

    event: ScaleEvent


class VerificationStarted(IncidentEvent, frozen=True, kw_only=True, tag="incident.verification_started.v1"):
    """Health checks of the target began."""

    target: str


class HealthChecked(IncidentEvent, frozen=True, kw_only=True, tag="incident.health_checked.v1"):
    """One verification attempt and its outcome."""

    attempt: int
    healthy: bool
    detail: str = ""
    latency_ms: float = 0.0


class IncidentResolved(IncidentEvent, frozen=True, kw_only=True, tag="incident.resolved.v1"):
    """The incident is fixed and verified; for a benign NOOP, closed after the target's health check passed
    (`verified` is False only when there was no known target to check)."""

    resolved_at: datetime
    message: str = "Service is healthy! Incident resolved."
    verified: bool = True


class IncidentRecovered(IncidentEvent, frozen=True, kw_only=True, tag="incident.recovered.v1"):
    """The target recovered (or the alert resolved) before any action started: closed without acting."""

    reason: str
    by: str = "prober"


class IncidentFailed(IncidentEvent, frozen=True, kw_only=True, tag="incident.failed.v1"):
    """The pipeline gave up; a human may need to act. `needs_human`: nothing was run because the diagnosis itself
    asked for a human (an unknown cause, a certificate, an outside dependency, a fix that did not hold)."""

    error: str
    stage: str = ""
    needs_human: bool = False


class NotificationDrafted(IncidentEvent, frozen=True, kw_only=True, tag="incident.notification_drafted.v1"):
    """A notification was drafted (and may await human review); draft_id = <kind>-<channel>, once per incident."""

    draft_id: str
    channel: str
    kind: str
    subject: str
    body: str
    recipients: list[str] = []
    review: str = "auto"
    drafted_by: str = "template"


class NotificationEdited(IncidentEvent, frozen=True, kw_only=True, tag="incident.notification_edited.v1"):
    """A reviewer changed a draft's subject and/or body before approving it."""

    draft_id: str
    subject: str
    body: str
    by: str


class NotificationApproved(IncidentEvent, frozen=True, kw_only=True, tag="incident.notification_approved.v1"):
    """A draft may be sent (by a reviewer, or `auto`)."""

    draft_id: str
    by: str


class NotificationRejected(IncidentEvent, frozen=True, kw_only=True, tag="incident.notification_rejected.v1"):
    """A reviewer decided this draft is not to be sent."""

    draft_id: str
    by: str
    reason: str = ""


class NotificationSending(IncidentEvent, frozen=True, kw_only=True, tag="incident.notification_sending.v1"):
    """The claim before a send: a notifier that finds it without `sent` never sends again (at most once)."""

    draft_id: str
    node: str = ""


class NotificationSent(IncidentEvent, frozen=True, kw_only=True, tag="incident.notification_sent.v1"):
    """A notification left AegisOps."""

    draft_id: str
    channel: str
    recipients: list[str] = []
    approved_by: str = ""
    attempts: int = 1


class NotificationFailed(IncidentEvent, frozen=True, kw_only=True, tag="incident.notification_failed.v1"):
    """A notification could not be delivered (after retries), or its sending was interrupted."""

    draft_id: str
    channel: str
    error: str
    attempts: int = 0


INCIDENT_EVENTS: tuple[type[IncidentEvent], ...] = (
    IncidentReceived, RetrievalCompleted, AnalysisStarted, AnalysisCompleted, VoteCast, CouncilDecided,
    ApprovalRequested, ApprovalGranted, ApprovalRejected, ApprovalExpired, ExecutorAwaited, ActionStarted,
    ActionCompleted, ActionFailed, ScaleCompleted, VerificationStarted, HealthChecked, IncidentResolved,
    IncidentRecovered, IncidentFailed,
    NotificationDrafted, NotificationEdited, NotificationApproved, NotificationRejected, NotificationSending,
    NotificationSent, NotificationFailed,
)
