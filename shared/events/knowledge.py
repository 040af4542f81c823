"""Knowledge events: the self-growing runbook and the evaluation of every LLM call."""

from __future__ import annotations

from typing import ClassVar

import msgspec

from shared.events.base import Event

RUNBOOK_STREAM = "RUNBOOK"
EVALUATIONS_STREAM = "EVALUATIONS"
TEXT_LIMIT = 8192  # bytes of prompt / response (and of all retrieved docs together) an evaluation event keeps


def clip(text: str, limit: int = TEXT_LIMIT) -> str:
    """`text` cut to at most `limit` UTF-8 bytes (never splitting a character)."""
    data = text.encode()
    return text if len(data) <= limit else data[:limit].decode(errors="ignore")


class RunbookEntry(msgspec.Struct, frozen=True, gc=False):
    """The Core API contract's RunbookEntry: one resolved incident, kept for retrieval. Lenient as stored (fields
    a later release adds are ignored); `aegis runbook import` is where unknown fields are refused."""

    incident_id: str
    alert_type: str
    logs: str
    root_cause: str
    action: str
    justification: str = ""
    container_name: str | None = None
    severity: str | None = None
    confidence: float = 0.0
    council_approved: bool = True
    replicas_used: int = 0
    resolved_at: str | None = None

    def text(self) -> str:
        """What retrieval embeds: the alert and its logs."""
        return f"{self.alert_type}\n{self.logs}"


class RunbookEntryAdded(Event, frozen=True, kw_only=True, tag="runbook.entry_added.v1"):
    """An entry joined (or replaced one in) the runbook: learned from a resolution or imported."""

    stream: ClassVar[str] = RUNBOOK_STREAM
    entry: RunbookEntry
    source: str = "learned"

    def nats_subject(self, key: str) -> str:
        return f"runbook.{self.entry.incident_id}.{self.name()}"


class LLMCallEvaluated(Event, frozen=True, kw_only=True, tag="evaluation.llm_call.v1"):
    """How one LLM call went: speed, size, whether its answer was usable, and what was asked and answered."""

    stream: ClassVar[str] = EVALUATIONS_STREAM
    model: str
    ok: bool
    valid: bool
    latency_s: float
    ttft_s: float | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    throughput_tps: float = 0.0
    error: str = ""
    attempt: int = 1
    incident: str | None = None
    prompt: str = ""  # the user message, clipped to TEXT_LIMIT
    response: str = ""  # the completion text, clipped to TEXT_LIMIT

    def nats_subject(self, key: str) -> str:
        return f"evaluations.{self.incident or 'none'}.{self.name()}"


class EvaluationRecorded(Event, frozen=True, kw_only=True, tag="evaluation.recorded.v1"):
    """A client posted an AgentOps contract evaluation (POST /evaluations/); texts clipped to TEXT_LIMIT."""

    stream: ClassVar[str] = EVALUATIONS_STREAM
    id: str
    prompt: str
    response: str
    semantic_drift: float
    uncertainty: float
    factual_support: float
    hallucination_probability: float
    hallucinated: bool
    latency_sec: float
    throughput_qps: float | None = None
    mode: str
    model_name: str | None = None
    agent_name: str | None = None
    session_id: str | None = None
    retrieved_docs: list[str] | None = None
    principal: str = "anonymous"
    truncated: bool = False

    def nats_subject(self, key: str) -> str:
        return f"evaluations.none.{self.name()}"


class EvaluationScored(Event, frozen=True, kw_only=True, tag="evaluation.scored.v1"):
    """The analyst's LLM diagnosis of a finished incident, scored against its outcome, policy and logs
    (services/analyst/scoring.py defines every figure)."""

    stream: ClassVar[str] = EVALUATIONS_STREAM
    incident: str
    analyzer: str
    action: str
    outcome: str  # RESOLVED | RECOVERED | FAILED
    factual_support: float
    hallucination_probability: float
    hallucinated: bool
    semantic_drift: float
    uncertainty: float
    reasons: list[str] = []
    grounded_terms: list[str] = []
    unsupported_terms: list[str] = []
    call: str = ""  # event id of the LLM call scored when it is an answer the analyst rejected; "" = the diagnosis

    def nats_subject(self, key: str) -> str:
        return f"evaluations.{self.incident}.{self.name()}"


KNOWLEDGE_EVENTS: tuple[type[Event], ...] = (RunbookEntryAdded, LLMCallEvaluated, EvaluationRecorded,
                                             EvaluationScored)
