"""Plain (not persisted) NATS subjects: streamed LLM tokens and request/reply between services."""

from __future__ import annotations

LIVE_AI_PREFIX = "live.ai"  # live.ai.<incident_id>: {incident_id, chunk, full_text}, the Core API contract's ai.stream
# request {logs, k, min_seq?} → reply the Core API contract's /rag/test {query, retrieved, count} + {min_seq,
# indexed_seq, stale, waited_ms, reason if stale}, or {error}
RAG_QUERY = "rpc.analyst.rag"
# request {min_seq?, wait?} → reply {min_seq, indexed_seq, stale, waited_ms, reason if stale, entries, analyst}
INDEX_STATUS = "rpc.analyst.index"
DRAFT_REQUEST = "rpc.analyst.draft"  # request {kind, incident} → reply {subject, body, model} or {error}
INTAKE_ALERTS = "intake.alerts"  # an IncidentPayload JSON per message; the gateway (queue "gateway") takes it in


def live_ai_subject(incident_id: str) -> str:
    """Where one incident's LLM tokens are published."""
    return f"{LIVE_AI_PREFIX}.{incident_id}"
