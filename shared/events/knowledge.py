"""Knowledge events: the self-growing runbook and the evaluation of every LLM call."""

from __future__ import annotations

from typing import ClassVar

import msgspec

from shared.events.base import Event

RUNBOOK_STREAM = "RUNBOOK"
EVALUATIONS_STREAM = "EVALUATIONS"


class RunbookEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Seed 001's RunbookEntry: one resolved incident, kept for retrieval."""

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
    """How one LLM call went: speed, size, and whether its answer was usable."""

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

    def nats_subject(self, key: str) -> str:
        return f"evaluations.{self.incident or 'none'}.{self.name()}"


KNOWLEDGE_EVENTS: tuple[type[Event], ...] = (RunbookEntryAdded, LLMCallEvaluated)
