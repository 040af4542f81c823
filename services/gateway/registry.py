"""The WebSocket event registry (System API contract): every frame type with its channel, description, example
and a JSON Schema generated from the typed structs services/gateway/frames.py sends — never written by hand."""

from __future__ import annotations

from typing import Any

import msgspec

from services.gateway.frames import (
    AiComplete,
    AiStream,
    AiThinking,
    AlertJoined,
    AlertSilenced,
    ApprovalDecided,
    ApprovalExpired,
    ApprovalRequested,
    Container,
    ContainerMetrics,
    Decision,
    DockerAction,
    Failed,
    HealthCheck,
    Heartbeat,
    IncidentNew,
    NotificationUpdate,
    Resolved,
    Scale,
    StatusUpdate,
    Vote,
)

FRAMES: list[tuple[str, str, str, Any, Any]] = [  # type, channel, description, data type, example
    ("heartbeat", "system", "On connect and on every 'ping'", Heartbeat, {"status": "connected"}),
    ("incident.new", "incidents", "A new incident was received", IncidentNew,
     {"incident_id": "inc-1", "alert_type": "Memory Leak", "logs": "ERROR: Memory usage at 98%"}),
    ("status.update", "incidents",
     "A timeline line was added (status: the line's; incident_status: the incident's after it)", StatusUpdate,
     {"incident_id": "inc-1", "status": "RAG_RETRIEVAL", "message": "Retrieved 2 similar past incidents",
      "incident_status": "ANALYSING"}),
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
