"""The Core API contract's WebSocket frames as a pure projection of incident events."""

from __future__ import annotations

from typing import Any

import msgspec

from shared.events import Envelope, iso, now
from shared.events import incident as ev
from shared.projections.incident import IncidentState


def frame(kind: str, incident_id: str | None, data: Any, timestamp: str | None = None) -> dict[str, Any]:
    """The frame envelope every WebSocket message uses."""
    return {"type": kind, "incident_id": incident_id, "data": data, "timestamp": timestamp or iso(now())}


def correlation_frames(env: Envelope, view: Any) -> list[dict[str, Any]]:
    """alert.joined / alert.silenced frames for a correlation event (`view`: the gateway's CorrelationView)."""
    from shared.events.correlation import AlertJoined, AlertSilenced

    p, ts = env.payload, iso(env.time)
    if isinstance(p, AlertJoined):
        joined = view.joined.get(p.primary)
        return [frame("alert.joined", p.primary, {"incident_id": p.primary, "alert_id": p.alert_id,
                                                  "source": p.source, "alert_type": p.alert_type,
                                                  "count": joined.count if joined else 1}, ts)]
    if isinstance(p, AlertSilenced):
        return [frame("alert.silenced", p.alert_id, {"incident_id": p.alert_id, "silence_id": p.silence_id,
                                                     "source": p.source, "alert_type": p.alert_type}, ts)]
    return []


def frames_for(previous: IncidentState | None, state: IncidentState, env: Envelope) -> list[dict[str, Any]]:
    """The frames one applied event produces: its specific frame(s), then a status.update per timeline line."""
    p, iid, ts = env.payload, state.incident_id, iso(env.time)
    out: list[dict[str, Any]] = []

    def add(kind: str, **data: Any) -> None:
        out.append(frame(kind, iid, {"incident_id": iid, **data}, ts))

    if isinstance(p, ev.IncidentReceived):
        add("incident.new", alert_type=p.alert_type, logs=p.logs[:200])
    elif isinstance(p, ev.RetrievalCompleted | ev.AnalysisStarted):
        add("ai.thinking", message=state.timeline[-1].message)
    elif isinstance(p, ev.AnalysisCompleted):
        add("ai.complete", analysis=msgspec.to_builtins(p.analysis))
    elif isinstance(p, ev.VoteCast):
        add("council.vote", vote=msgspec.to_builtins(p.vote))
    elif isinstance(p, ev.CouncilDecided):
        add("council.decision", decision=msgspec.to_builtins(p.decision))
    elif isinstance(p, ev.ApprovalRequested):
        add("approval.requested", reason=p.reason, required_role=p.required_role,
            expires_at=iso(p.expires_at) if p.expires_at else None)
    elif isinstance(p, ev.ApprovalGranted):
        add("approval.granted", by=p.by, comment=p.comment)
    elif isinstance(p, ev.ApprovalRejected):
        add("approval.rejected", by=p.by, reason=p.reason)
    elif isinstance(p, ev.ApprovalExpired):
        add("approval.expired", reason=p.reason)
    elif isinstance(p, ev.ActionStarted):
        add("docker.action", action=p.action, container=p.target)
    elif isinstance(p, ev.ScaleCompleted):
        add("scale.event", event=msgspec.to_builtins(p.event))
    elif isinstance(p, ev.HealthChecked):
        add("health.check", attempt=p.attempt, healthy=p.healthy)
    elif isinstance(p, ev.IncidentResolved):
        add("resolved", resolved_at=iso(p.resolved_at), outcome=state.outcome, verified=state.verified)
    elif isinstance(p, ev.IncidentRecovered):
        add("resolved", resolved_at=iso(env.time), outcome=state.outcome, verified=True)
    elif isinstance(p, ev.IncidentFailed):
        add("failed", error=p.error, outcome=state.outcome, needs_human=True)
    elif isinstance(p, ev.NotificationDrafted | ev.NotificationEdited | ev.NotificationApproved
                    | ev.NotificationRejected | ev.NotificationSending | ev.NotificationSent | ev.NotificationFailed):
        note = state.notification(p.draft_id)
        if note is not None:
            add("notification.updated", draft_id=note.draft_id, channel=note.channel, status=note.status,
                subject=note.subject)
    before = len(previous.timeline) if previous else 0
    for entry in state.timeline[before:]:
        add("status.update", status=entry.status, message=entry.message)
    return out
