"""Choosing the diagnosis: the LLM when configured and healthy, the offline analyzer otherwise."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import msgspec

from services.analyst.diagnosis import Platform
from services.analyst.llm import Chunk, Completion, LLMCallError, stream_completion
from services.analyst.offline import analyze, casebook_for
from services.analyst.prompt import InvalidAnswer, build_messages, parse_answer
from shared.breaker import CircuitBreaker
from shared.config import Settings
from shared.events.knowledge import LLMCallEvaluated, clip
from shared.events.models import AIAnalysis, RetrievedIncident, outcome_of
from shared.projections.incident import IncidentState

OFFLINE = "offline"
Record = Callable[[LLMCallEvaluated], Awaitable[None]]
Stream = Callable[[str, list[dict[str, str]], Settings, Chunk], Awaitable[Completion]]


@dataclass(frozen=True)
class Verdict:
    """The analysis with who produced it and, for a fallback, why."""

    analysis: AIAnalysis
    analyzer: str
    note: str = ""


class Analyzer:
    """LLM first (primary, then fallbacks), one retry on an unusable answer, offline as the floor."""

    def __init__(self, settings: Settings, breaker: CircuitBreaker, record: Record,
                 stream: Stream = stream_completion) -> None:
        self.settings = settings
        self.breaker = breaker
        self.record = record
        self.stream = stream

    def diagnosis(self, state: IncidentState, precedents: Sequence[RetrievedIncident],
                  platform: Platform | None = None) -> AIAnalysis:
        """The offline, evidence-based diagnosis."""
        s = self.settings
        return analyze(state.alert_type, state.logs[:s.log_truncate_chars], precedents, s.min_confidence,
                       platform, state.severity, state.container_name, casebook_for(s))

    def offline(self, state: IncidentState, precedents: Sequence[RetrievedIncident], note: str = "",
                platform: Platform | None = None) -> Verdict:
        """The offline analyzer's verdict."""
        return Verdict(self.diagnosis(state, precedents, platform), OFFLINE, note)

    async def analyse(self, state: IncidentState, precedents: Sequence[RetrievedIncident], target_known: bool,
                      on_chunk: Chunk, platform: Platform | None = None) -> Verdict:
        """Diagnose one incident: the LLM when configured (checked against the offline evidence), else offline."""
        s = self.settings
        if not s.llm_model:
            return self.offline(state, precedents, platform=platform)
        offline = self.diagnosis(state, precedents, platform)
        facts = list((platform or Platform()).features().values())
        models = [s.llm_model, *s.llm_fallback_models]
        problem: str | None = None
        for attempt in (1, 2):
            if not self.breaker.allow():
                return Verdict(offline, OFFLINE, "LLM circuit open; offline analyzer decided")
            messages = build_messages(state.alert_type, state.severity, state.container_name,
                                      state.logs[:s.log_truncate_chars], precedents, problem, facts, offline.evidence)
            completion, errors = await self._call_models(models, messages, on_chunk, state, attempt)
            if completion is None:
                self.breaker.failure(errors[-1])
                return Verdict(offline, OFFLINE, f"LLM unavailable ({errors[-1]}); offline analyzer decided")
            self.breaker.success()
            try:
                analysis = parse_answer(completion.text, max_replicas=s.max_replicas, target_known=target_known)
            except InvalidAnswer as exc:
                problem = str(exc)
                await self._evaluate(completion, state, attempt, valid=False, prompt=messages, error=problem)
                continue
            await self._evaluate(completion, state, attempt, valid=True, prompt=messages)
            return Verdict(cross_check(analysis, offline, s.min_confidence), f"llm:{completion.model}")
        return Verdict(offline, OFFLINE, f"LLM answer unusable twice ({problem}); offline analyzer decided")

    async def _call_models(self, models: list[str], messages: list[dict[str, str]], on_chunk: Chunk,
                           state: IncidentState, attempt: int) -> tuple[Completion | None, list[str]]:
        errors: list[str] = []
        for model in models:
            try:
                return await self.stream(model, messages, self.settings, on_chunk), errors
            except LLMCallError as exc:
                errors.append(exc.message)
                await self.record(LLMCallEvaluated(model=model, ok=False, valid=False, latency_s=0.0,
                                                   error=exc.message, attempt=attempt, incident=state.incident_id))
        return None, errors

    async def _evaluate(self, c: Completion, state: IncidentState, attempt: int, valid: bool,
                        prompt: list[dict[str, str]], error: str = "") -> None:
        user = "\n\n".join(m["content"] for m in prompt if m["role"] == "user")
        await self.record(LLMCallEvaluated(
            model=c.model, ok=True, valid=valid, latency_s=round(c.latency_s, 4),
            ttft_s=round(c.ttft_s, 4) if c.ttft_s is not None else None, tokens_in=c.tokens_in,
            tokens_out=c.tokens_out, throughput_tps=c.throughput_tps, error=error, attempt=attempt,
            incident=state.incident_id, prompt=clip(user), response=clip(c.text)))


CONFIDENT = 0.7  # an offline diagnosis this sure is a second opinion the LLM must not silently overrule


def cross_check(llm: AIAnalysis, offline: AIAnalysis, min_confidence: float) -> AIAnalysis:
    """The LLM's answer checked against the offline evidence. A disruptive action the evidence does not support,
    or one that contradicts a confident offline diagnosis, is held for a human with both views; a NOOP against a
    confident diagnosis of a real problem, or an unsure NOOP, goes to a human rather than being closed."""
    both = (f"LLM: {llm.action} ({llm.confidence:.2f}) — {llm.root_cause}. Offline evidence: {offline.action} "
            f"[{outcome_of(offline)}] ({offline.confidence:.2f}) — {offline.root_cause}.")
    supported = {h.action for h in offline.hypotheses if h.score >= 0.3}
    same = offline.action == llm.action
    base = msgspec.structs.replace(llm, evidence=offline.evidence, hypotheses=offline.hypotheses,
                                   situation=offline.situation if same else "", escalation=offline.escalation,
                                   precheck=offline.precheck and same)
    if llm.action == "NOOP":
        benign = outcome_of(offline) == "benign" or (llm.confidence >= min_confidence and
                                                      not (outcome_of(offline) != "benign"
                                                           and offline.confidence >= CONFIDENT))
        if benign:
            return msgspec.structs.replace(base, outcome="benign")
        return msgspec.structs.replace(base, outcome="human",
                                       justification=f"{llm.justification} Not closed as benign: {both}")
    if offline.escalation and offline.action != llm.action:
        return msgspec.structs.replace(base, outcome="act", hold=f"the fix did not hold before; {both}")
    if outcome_of(offline) != "benign" and offline.confidence >= CONFIDENT and offline.action != llm.action:
        return msgspec.structs.replace(base, outcome="act",
                                       hold=f"the LLM disagrees with a confident diagnosis: {both}")
    if llm.action not in supported:
        return msgspec.structs.replace(base, outcome="act", hold=f"the evidence does not support {llm.action}: {both}")
    return msgspec.structs.replace(base, outcome="act")
