"""The Core API contract's WebSocket frames: typed structs (the event registry's schemas are generated from these
same types) and their projection from incident and correlation events, pure."""

from __future__ import annotations

from typing import Any

import msgspec

from shared.events import Envelope, iso, now
from shared.events import incident as ev
from shared.events.models import AIAnalysis, CouncilDecision, CouncilVote, ScaleEvent
from shared.projections.incident import IncidentState


class Frame(msgspec.Struct, frozen=True, gc=False):
    """The envelope every WebSocket message uses; `data` is one of the structs below (or their lists)."""

    type: str
    incident_id: str | None
    data: Any
    timestamp: str


class IncidentFrame(msgspec.Struct, frozen=True, gc=False):
    """The data of every frame about one incident starts with its id."""

    incident_id: str


class IncidentNew(IncidentFrame, frozen=True, gc=False):
    alert_type: str
    logs: str


class StatusUpdate(IncidentFrame, frozen=True, gc=False):
    status: str  # the timeline line's status (the Core API contract's field)
    message: str
    incident_status: str = ""  # the incident's status after this line: clients show it, they do not fold events


class AiThinking(IncidentFrame, frozen=True, gc=False):
    message: str


class AiStream(IncidentFrame, frozen=True, gc=False):
    chunk: str
    full_text: str


class AiComplete(IncidentFrame, frozen=True, gc=False):
    analysis: AIAnalysis


class Vote(IncidentFrame, frozen=True, gc=False):
    vote: CouncilVote


class Decision(IncidentFrame, frozen=True, gc=False):
    decision: CouncilDecision


class DockerAction(IncidentFrame, frozen=True, gc=False):
    action: str
    container: str


class Scale(IncidentFrame, frozen=True, gc=False):
    event: ScaleEvent


class HealthCheck(IncidentFrame, frozen=True, gc=False):
    attempt: int
    healthy: bool


class Resolved(IncidentFrame, frozen=True, gc=False):
    resolved_at: str
    outcome: str | None = None  # act | benign | recovered
    verified: bool | None = None


class Failed(IncidentFrame, frozen=True, gc=False):
    error: str
    outcome: str | None = None  # human
    needs_human: bool = True


class AlertJoined(IncidentFrame, frozen=True, gc=False):
    """incident_id: the primary incident the alert joined."""

    alert_id: str
    source: str
    alert_type: str
    count: int  # alerts joined to the primary so far


class AlertSilenced(IncidentFrame, frozen=True, gc=False):
    """incident_id: the silenced alert's own id."""

    silence_id: str
    source: str
    alert_type: str


class ApprovalRequested(IncidentFrame, frozen=True, gc=False):
    reason: str
    required_role: str
    expires_at: str | None


class ApprovalDecided(IncidentFrame, frozen=True, gc=False):
    by: str
    comment: str = ""
    reason: str = ""


class ApprovalExpired(IncidentFrame, frozen=True, gc=False):
    reason: str


class NotificationUpdate(IncidentFrame, frozen=True, gc=False):
    draft_id: str
    channel: str
    status: str
    subject: str


class ContainerMetrics(msgspec.Struct, frozen=True, gc=False):
    name: str
    cpu_percent: float
    memory_mb: float
    memory_limit_mb: float
    memory_percent: float
    net_rx_bytes: int
    net_tx_bytes: int
    status: str
    uptime_seconds: float
    image: str


class Container(msgspec.Struct, frozen=True, gc=False):
    name: str
    status: str
    image: str
    id: str


class Heartbeat(msgspec.Struct, frozen=True, gc=False):
    status: str


_encoder = msgspec.json.Encoder()


def frame(kind: str, incident_id: str | None, data: Any, timestamp: str | None = None) -> Frame:
    """One frame (its `data` a struct of the registry, or a list of them)."""
    return Frame(kind, incident_id, data, timestamp or iso(now()))


def encode(item: Frame) -> str:
    """The frame's JSON text, as sent."""
    return _encoder.encode(item).decode()


def correlation_frames(env: Envelope, view: Any) -> list[Frame]:
    """alert.joined / alert.silenced frames for a correlation event (`view`: the gateway's CorrelationView)."""
    from shared.events.correlation import AlertJoined as Joined
    from shared.events.correlation import AlertSilenced as Silenced

    p, ts = env.payload, iso(env.time)
    if isinstance(p, Joined):
        joined = view.joined.get(p.primary)
        return [frame("alert.joined", p.primary, AlertJoined(p.primary, p.alert_id, p.source, p.alert_type,
                                                             joined.count if joined else 1), ts)]
    if isinstance(p, Silenced):
        return [frame("alert.silenced", p.alert_id, AlertSilenced(p.alert_id, p.silence_id, p.source, p.alert_type),
                      ts)]
    return []


def frames_for(previous: IncidentState | None, state: IncidentState, env: Envelope) -> list[Frame]:
    """The frames one applied event produces: its specific frame(s), then a status.update per timeline line."""
    p, iid, ts = env.payload, state.incident_id, iso(env.time)
    out: list[Frame] = []

    def add(kind: str, data: Any) -> None:
        out.append(Frame(kind, iid, data, ts))

    if isinstance(p, ev.IncidentReceived):
        add("incident.new", IncidentNew(iid, p.alert_type, p.logs[:200]))
    elif isinstance(p, ev.RetrievalCompleted | ev.AnalysisStarted):
        add("ai.thinking", AiThinking(iid, state.timeline[-1].message))
    elif isinstance(p, ev.AnalysisCompleted):
        add("ai.complete", AiComplete(iid, p.analysis))
    elif isinstance(p, ev.VoteCast):
        add("council.vote", Vote(iid, p.vote))
    elif isinstance(p, ev.CouncilDecided):
        add("council.decision", Decision(iid, p.decision))
    elif isinstance(p, ev.ApprovalRequested):
        add("approval.requested", ApprovalRequested(iid, p.reason, p.required_role,
                                                    iso(p.expires_at) if p.expires_at else None))
    elif isinstance(p, ev.ApprovalGranted):
        add("approval.granted", ApprovalDecided(iid, p.by, comment=p.comment))
    elif isinstance(p, ev.ApprovalRejected):
        add("approval.rejected", ApprovalDecided(iid, p.by, reason=p.reason))
    elif isinstance(p, ev.ApprovalExpired):
        add("approval.expired", ApprovalExpired(iid, p.reason))
    elif isinstance(p, ev.ActionStarted):
        add("docker.action", DockerAction(iid, p.action, p.target))
    elif isinstance(p, ev.ScaleCompleted):
        add("scale.event", Scale(iid, p.event))
    elif isinstance(p, ev.HealthChecked):
        add("health.check", HealthCheck(iid, p.attempt, p.healthy))
    elif isinstance(p, ev.IncidentResolved):
        add("resolved", Resolved(iid, iso(p.resolved_at), state.outcome, state.verified))
    elif isinstance(p, ev.IncidentRecovered):
        add("resolved", Resolved(iid, iso(env.time), state.outcome, True))
    elif isinstance(p, ev.IncidentFailed):
        add("failed", Failed(iid, p.error, state.outcome, True))
    elif isinstance(p, ev.NotificationDrafted | ev.NotificationEdited | ev.NotificationApproved
                    | ev.NotificationRejected | ev.NotificationSending | ev.NotificationSent | ev.NotificationFailed):
        note = state.notification(p.draft_id)
        if note is not None:
            add("notification.updated", NotificationUpdate(iid, note.draft_id, note.channel, note.status,
                                                           note.subject))
    before = len(previous.timeline) if previous else 0
    for entry in state.timeline[before:]:
        add("status.update", StatusUpdate(iid, entry.status, entry.message, state.status))
    return out
