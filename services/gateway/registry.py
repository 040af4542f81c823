"""The WebSocket event registry (System API contract): every frame type with its channel, description, example
and a JSON Schema generated from the msgspec types of its data — never written by hand."""

from __future__ import annotations

from typing import Any

import msgspec

from shared.events.models import AIAnalysis, CouncilDecision, CouncilVote, ScaleEvent


class IncidentNew(msgspec.Struct):
    incident_id: str
    alert_type: str
    logs: str


class StatusUpdate(msgspec.Struct):
    incident_id: str
    status: str
    message: str


class AiThinking(msgspec.Struct):
    incident_id: str
    message: str


class AiStream(msgspec.Struct):
    incident_id: str
    chunk: str
    full_text: str


class AiComplete(msgspec.Struct):
    incident_id: str
    analysis: AIAnalysis


class Vote(msgspec.Struct):
    incident_id: str
    vote: CouncilVote


class Decision(msgspec.Struct):
    incident_id: str
    decision: CouncilDecision


class DockerAction(msgspec.Struct):
    incident_id: str
    action: str
    container: str


class Scale(msgspec.Struct):
    incident_id: str
    event: ScaleEvent


class HealthCheck(msgspec.Struct):
    incident_id: str
    attempt: int
    healthy: bool


class Resolved(msgspec.Struct):
    incident_id: str
    resolved_at: str
    outcome: str | None = None  # act | benign | recovered
    verified: bool | None = None


class Failed(msgspec.Struct):
    incident_id: str
    error: str
    outcome: str | None = None  # human
    needs_human: bool = True


class AlertJoined(msgspec.Struct):
    incident_id: str  # the primary incident the alert joined
    alert_id: str
    source: str
    alert_type: str
    count: int  # alerts joined to the primary so far


class AlertSilenced(msgspec.Struct):
    incident_id: str  # the silenced alert's own id
    silence_id: str
    source: str
    alert_type: str


class ApprovalRequested(msgspec.Struct):
    incident_id: str
    reason: str
    required_role: str
    expires_at: str | None


class ApprovalDecided(msgspec.Struct):
    incident_id: str
    by: str
    comment: str = ""
    reason: str = ""


class ApprovalExpired(msgspec.Struct):
    incident_id: str
    reason: str


class NotificationUpdate(msgspec.Struct):
    incident_id: str
    draft_id: str
    channel: str
    status: str
    subject: str


class ContainerMetrics(msgspec.Struct):
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


class Container(msgspec.Struct):
    name: str
    status: str
    image: str
    id: str


class Heartbeat(msgspec.Struct):
    status: str


FRAMES: list[tuple[str, str, str, Any, Any]] = [  # type, channel, description, data type, example
    ("heartbeat", "system", "On connect and on every 'ping'", Heartbeat, {"status": "connected"}),
    ("incident.new", "incidents", "A new incident was received", IncidentNew,
     {"incident_id": "inc-1", "alert_type": "Memory Leak", "logs": "ERROR: Memory usage at 98%"}),
    ("status.update", "incidents", "A timeline line was added", StatusUpdate,
     {"incident_id": "inc-1", "status": "ANALYSING", "message": "AI SRE Agent is analysing the incident…"}),
    ("ai.thinking", "ai", "Retrieval done / analysis started", AiThinking,
     {"incident_id": "inc-1", "message": "Retrieved 2 similar past incidents (best match: 91.2%)"}),
    ("ai.stream", "ai", "One LLM token (not persisted)", AiStream,
     {"incident_id": "inc-1", "chunk": "Memory", "full_text": "{\"root_cause\": \"Memory"}),
    ("ai.complete", "ai", "The final analysis", AiComplete,
     {"incident_id": "inc-1", "analysis": {"root_cause": "Memory leak", "action": "RESTART", "justification": "j",
                                           "confidence": 0.9, "replica_count": 2}}),
    ("council.vote", "council", "One council member voted", Vote,
     {"incident_id": "inc-1", "vote": {"role": "AUDITOR", "verdict": "APPROVED", "reasoning": "r", "timestamp": "t"}}),
    ("council.decision", "council", "The council's verdict", Decision,
     {"incident_id": "inc-1", "decision": {"votes": [], "final_verdict": "APPROVED", "consensus": True,
                                           "summary": "Council voted 3/3 APPROVED. Final: APPROVED"}}),
    ("approval.requested", "council", "An action is held for a human", ApprovalRequested,
     {"incident_id": "inc-1", "reason": "policy requires approval for ROLLBACK", "required_role": "approver",
      "expires_at": "2026-02-21T03:30:00.000Z"}),
    ("approval.granted", "council", "A human approved", ApprovalDecided, {"incident_id": "inc-1", "by": "alice"}),
    ("approval.rejected", "council", "A human rejected", ApprovalDecided, {"incident_id": "inc-1", "by": "bob"}),
    ("approval.expired", "council", "Nobody decided in time", ApprovalExpired,
     {"incident_id": "inc-1", "reason": "no approver decided within 900s"}),
    ("docker.action", "actions", "An action started on a target", DockerAction,
     {"incident_id": "inc-1", "action": "RESTART", "container": "buggy-app-v2"}),
    ("scale.event", "actions", "A scale action completed", Scale,
     {"incident_id": "inc-1", "event": {"container_base": "buggy-app-v2", "replica_count": 2, "replicas": [],
                                        "lb_configured": True, "timestamp": "t"}}),
    ("health.check", "actions", "One verification attempt", HealthCheck,
     {"incident_id": "inc-1", "attempt": 1, "healthy": True}),
    ("resolved", "incidents", "The incident is resolved", Resolved,
     {"incident_id": "inc-1", "resolved_at": "2026-02-21T03:15:08.000Z"}),
    ("failed", "incidents", "The incident failed", Failed, {"incident_id": "inc-1", "error": "…"}),
    ("alert.joined", "incidents", "An alert about an outage another incident handles joined it (nothing new runs)",
     AlertJoined, {"incident_id": "inc-1", "alert_id": "am-3f2a-20261130", "source": "alertmanager",
                   "alert_type": "TargetDown", "count": 12}),
    ("alert.silenced", "incidents", "An alert matched a silence: recorded, nothing runs", AlertSilenced,
     {"incident_id": "deploy-42", "silence_id": "sil-1", "source": "webhook", "alert_type": "HighLatency"}),
    ("notification.updated", "notifications", "A notification was drafted, edited, reviewed, sent or failed",
     NotificationUpdate, {"incident_id": "inc-1", "draft_id": "alert-email", "channel": "email",
                          "status": "drafted", "subject": "[AegisOps] ALERT: buggy-app-v2"}),
    ("metrics", "system", "Container and process metrics, every METRICS_INTERVAL_SECS", list[ContainerMetrics], []),
    ("container.list", "system", "Containers and process targets", list[Container], []),
]


def registry() -> dict[str, Any]:
    """The System API contract's /api/system/websocket/events body."""
    types = []
    for kind, channel, description, data_type, example in FRAMES:
        schema = msgspec.json.schema(data_type)
        types.append({"type": kind, "channel": channel, "description": description, "deprecated": False,
                      "payload_schema": schema, "example": example})
    channels = sorted({t["channel"] for t in types})
    return {"event_types": types, "channels": channels, "total_count": len(types), "deprecated_count": 0}
