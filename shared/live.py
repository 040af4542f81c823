"""Plain (not persisted) NATS subjects: streamed LLM tokens and request/reply between services."""

from __future__ import annotations

LIVE_AI_PREFIX = "live.ai"  # live.ai.<incident_id>: {incident_id, chunk, full_text}, seed 001's ai.stream
RAG_QUERY = "rpc.analyst.rag"
DRAFT_REQUEST = "rpc.analyst.draft"  # request {kind, incident} → reply {subject, body, model} or {error}
INTAKE_ALERTS = "intake.alerts"  # an IncidentPayload JSON per message; the gateway (queue "gateway") takes it in  # request {logs, k} → reply {query, retrieved, count}, seed 001's /rag/test


def live_ai_subject(incident_id: str) -> str:
    """Where one incident's LLM tokens are published."""
    return f"{LIVE_AI_PREFIX}.{incident_id}"
