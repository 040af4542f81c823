"""The evaluations read model (AgentOps contract): records posted by clients and the analyst's scored LLM calls.

Sources: `EvaluationRecorded` (as posted, `source` "api"); `LLMCallEvaluated` with an answer (`ok`), as
mode "incident-analysis" by agent "analyst" (`source` "analyst"; provider failures have no answer to
evaluate and are left out); `EvaluationScored` attaches an incident's scores to its valid LLM calls
(until then they are null; an answer the analyst rejected keeps null scores and says why in `reasons`).

Memory is bounded: at most `max_records` records (the oldest go first); prompt/response texts of at most
`text_budget` characters in all (the oldest texts go first; `text_held` is then False and readers fetch the
text from the stream by the record's `seq`); per-day totals for `MAX_DAYS` days. Statistics come from the
records while they cover the asked window, else from the per-day totals (UTC days; the first one whole).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import msgspec

from shared.events import Envelope, iso
from shared.events.knowledge import EvaluationRecorded, EvaluationScored, LLMCallEvaluated
from shared.projections.evaluation_stats import Totals

ANALYST_MODE = "incident-analysis"
ANALYST_AGENT = "analyst"
MAX_DAYS = 400
CLOCK_SKEW = timedelta(minutes=5)  # writers' clocks may disagree this much; stream order is otherwise time order
SCORE_FIELDS = ("semantic_drift", "uncertainty", "factual_support", "hallucination_probability", "hallucinated")


class EvaluationRecord(msgspec.Struct, kw_only=True, gc=False):
    """One AgentOps contract evaluation, where it came from, and the stream sequence that holds it."""

    id: str
    seq: int
    created_at: datetime
    created_by: str
    source: str  # api | analyst
    mode: str
    prompt: str = ""
    response: str = ""
    retrieved_docs: list[str] | None = None
    semantic_drift: float | None = None
    uncertainty: float | None = None
    factual_support: float | None = None
    hallucination_probability: float | None = None
    hallucinated: bool | None = None
    latency_sec: float | None = None
    throughput_qps: float | None = None
    model_name: str | None = None
    agent_name: str | None = None
    session_id: str | None = None
    incident_id: str | None = None
    reasons: list[str] = []
    truncated: bool = False
    scorable: bool = False  # a valid analyst answer: EvaluationScored applies to it
    text_held: bool = True

    def text_size(self) -> int:
        """Characters of text this record keeps in memory."""
        docs = sum(len(d) for d in self.retrieved_docs or ())
        return len(self.prompt) + len(self.response) + docs

    def to_json(self) -> dict[str, Any]:
        """The AgentOps contract's evaluation shape plus incident_id, source, reasons and created_by."""
        out = msgspec.to_builtins(self)
        for internal in ("seq", "scorable", "text_held"):
            out.pop(internal)
        out["created_at"] = iso(self.created_at)
        return out


def texts_of(env: Envelope) -> tuple[str, str, list[str] | None]:
    """Prompt, response and retrieved docs of an evaluation event (to refill an evicted record)."""
    p = env.payload
    return getattr(p, "prompt", ""), getattr(p, "response", ""), getattr(p, "retrieved_docs", None)


class EvaluationsView:
    """Evaluation records by id, in stream order, folded from the EVALUATIONS stream."""

    def __init__(self, max_records: int = 10_000, text_budget: int = 4 << 20) -> None:
        self.max_records = max_records
        self.text_budget = text_budget
        self.records: dict[str, EvaluationRecord] = {}
        self.by_incident: dict[str, list[str]] = {}
        self.scores: dict[str, EvaluationScored] = {}
        self.days: dict[date, Totals] = {}
        self.evicted_until: datetime | None = None  # the newest created_at among evicted records
        self.applied_seq = 0
        self.text_bytes = 0
        self._texts: deque[str] = deque()

    def apply(self, seq: int, env: Envelope) -> None:
        """Fold one evaluation event."""
        p = env.payload
        if isinstance(p, EvaluationRecorded):
            self._add(EvaluationRecord(
                id=p.id, seq=seq, created_at=env.time, created_by=p.principal, source="api", mode=p.mode,
                prompt=p.prompt, response=p.response, retrieved_docs=p.retrieved_docs,
                semantic_drift=p.semantic_drift, uncertainty=p.uncertainty, factual_support=p.factual_support,
                hallucination_probability=p.hallucination_probability, hallucinated=p.hallucinated,
                latency_sec=p.latency_sec, throughput_qps=p.throughput_qps, model_name=p.model_name,
                agent_name=p.agent_name, session_id=p.session_id, truncated=p.truncated))
        elif isinstance(p, LLMCallEvaluated) and p.ok:
            record = EvaluationRecord(
                id=env.event_id, seq=seq, created_at=env.time, created_by=env.actor, source="analyst",
                mode=ANALYST_MODE, agent_name=ANALYST_AGENT, model_name=p.model, prompt=p.prompt,
                response=p.response, latency_sec=p.latency_s,
                throughput_qps=round(1.0 / p.latency_s, 4) if p.latency_s > 0 else None,
                incident_id=p.incident, scorable=p.valid,
                reasons=[] if p.valid else [f"answer rejected by the analyst: {p.error}"])
            if env.event_id in self.scores:  # a rejected answer, scored on its own
                self._attach(record, self.scores[env.event_id], force=True)
            elif p.incident is not None and p.incident in self.scores:
                self._attach(record, self.scores[p.incident])
            self._add(record)
        elif isinstance(p, EvaluationScored):
            key = p.call or p.incident
            self.scores.pop(key, None)
            self.scores[key] = p
            while len(self.scores) > self.max_records:
                self.scores.pop(next(iter(self.scores)))
            if p.call:
                if p.call in self.records:
                    self._attach(self.records[p.call], p, force=True)
            else:
                for rid in self.by_incident.get(p.incident, ()):
                    self._attach(self.records[rid], p)
        self.applied_seq = max(self.applied_seq, seq)

    def _day(self, record: EvaluationRecord) -> Totals:
        day = record.created_at.date()
        totals = self.days.get(day)
        if totals is None:
            totals = self.days[day] = Totals()
            while len(self.days) > MAX_DAYS:
                del self.days[min(self.days)]
        return totals

    def _attach(self, record: EvaluationRecord, score: EvaluationScored, force: bool = False) -> None:
        if not record.scorable and not force:
            return
        counted = self.records.get(record.id) is record  # already in the day totals
        if counted:
            self._day(record).add(record, -1)
        for name in SCORE_FIELDS:
            setattr(record, name, getattr(score, name))
        record.reasons = list(score.reasons)
        if counted:
            self._day(record).add(record)

    def _add(self, record: EvaluationRecord) -> None:
        if record.id in self.records:
            return  # the same event applied twice
        self.records[record.id] = record
        self._day(record).add(record)
        if record.incident_id is not None:
            self.by_incident.setdefault(record.incident_id, []).append(record.id)
        self.text_bytes += record.text_size()
        self._texts.append(record.id)
        while len(self.records) > self.max_records:
            self._remove(next(iter(self.records)))
        while self.text_bytes > self.text_budget and self._texts:
            self._drop_text(self._texts.popleft())

    def _remove(self, rid: str) -> None:
        record = self.records.pop(rid)
        self.evicted_until = max(self.evicted_until or record.created_at, record.created_at)
        if self._texts and self._texts[0] == rid:  # both are in insertion order: the oldest goes first
            self._texts.popleft()
        self._drop_text(rid, record)
        if record.incident_id is not None:
            ids = self.by_incident.get(record.incident_id, [])
            if rid in ids:
                ids.remove(rid)
            if not ids:
                self.by_incident.pop(record.incident_id, None)
                self.scores.pop(record.incident_id, None)

    def _drop_text(self, rid: str, record: EvaluationRecord | None = None) -> None:
        record = record or self.records.get(rid)
        if record is None or not record.text_held:
            return
        self.text_bytes -= record.text_size()
        record.prompt, record.response, record.retrieved_docs, record.text_held = "", "", None, False

    def get(self, rid: str) -> EvaluationRecord | None:
        """One record by id."""
        return self.records.get(rid)

    def newest(self) -> Iterator[EvaluationRecord]:
        """Records, newest first."""
        return reversed(self.records.values())

    def select(self, *, limit: int = 100, offset: int = 0, hallucinated: bool | None = None,
               model_name: str | None = None, agent_name: str | None = None, mode: str | None = None,
               incident_id: str | None = None) -> list[EvaluationRecord]:
        """Records matching every given filter, newest first, one page."""
        out: list[EvaluationRecord] = []
        skipped = 0
        for r in self.newest():
            if ((hallucinated is not None and r.hallucinated is not hallucinated)
                    or (model_name is not None and r.model_name != model_name)
                    or (agent_name is not None and r.agent_name != agent_name)
                    or (mode is not None and r.mode != mode)
                    or (incident_id is not None and r.incident_id != incident_id)):
                continue
            if skipped < offset:
                skipped += 1
                continue
            out.append(r)
            if len(out) >= limit:
                break
        return out

    def stats(self, now: datetime, days: int) -> dict[str, Any]:
        """The AgentOps contract's statistics over the evaluations of the last `days` days."""
        cutoff = now - timedelta(days=days)
        totals = Totals()
        if self.evicted_until is not None and self.evicted_until >= cutoff:
            for day, day_totals in self.days.items():  # the records no longer cover the window
                if day >= cutoff.date():
                    totals.merge(day_totals)
            return totals.to_json()
        for r in self.newest():
            if r.created_at < cutoff - CLOCK_SKEW:
                break
            if r.created_at >= cutoff:
                totals.add(r)
        return totals.to_json()
