"""`aegis whatif`: re-run analysis and the council on a past incident's recorded inputs, without acting.

The inputs are what the incident recorded — the alert, its logs, the precedents retrieval found — plus the
target as the inventory knows it now and the restart history before the incident. Only the policy (and,
with --model, the analyzer) change. Nothing is appended: the deciders are pure and their events are only
compared with the recorded ones.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import msgspec

from services.analyst.offline import analyze, casebook_for, platform_from
from services.council.domain import Facts, deliberate
from shared.config import Settings
from shared.events import Envelope, Event, iso
from shared.events import incident as ev
from shared.events.models import AIAnalysis
from shared.eventstore import StoredEvent
from shared.policy import Policy
from shared.projections.incident import IncidentState, evolve, fold
from shared.projections.inventory import InventoryView
from shared.projections.target_history import TargetHistory

OFFLINE = "offline"
Reanalyse = Callable[[IncidentState], Awaitable[tuple[AIAnalysis, str]]]


@dataclass(frozen=True)
class Verdict:
    """What analysis and council made of an incident: the action and how the council ruled on it."""

    action: str | None
    verdict: str  # APPROVED | REJECTED | HELD (approved but waiting for a human) | NOT_REACHED
    analyzer: str = ""
    reasons: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "verdict": self.verdict, "analyzer": self.analyzer, "reasons": self.reasons}


@dataclass(frozen=True)
class Comparison:
    incident_id: str
    received_at: str
    target: str | None
    recorded: Verdict
    whatif: Verdict
    differences: list[str] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        return bool(self.differences)

    def to_json(self) -> dict[str, Any]:
        return {"incident_id": self.incident_id, "received_at": self.received_at, "target": self.target,
                "recorded": self.recorded.to_json(), "whatif": self.whatif.to_json(),
                "differs": self.differs, "differences": self.differences}


def inputs(stored: Sequence[StoredEvent]) -> IncidentState | None:
    """The incident as the analyst saw it: everything before the analysis was completed, with the platform's facts
    that analysis recorded (the target's health and history then, which no later look can see again)."""
    before, facts = [], None
    for item in stored:
        if isinstance(item.envelope.payload, ev.AnalysisCompleted):
            facts = item.envelope.payload.platform
            break
        before.append((item.seq, item.envelope))
    state = fold(before)
    return msgspec.structs.replace(state, platform_facts=facts) if state is not None and facts else state


def recorded_verdict(state: IncidentState) -> Verdict:
    """What really happened, in the same terms."""
    decision = state.council_decision
    if state.analysis is None or decision is None:
        return Verdict(state.analysis.action if state.analysis else None, "NOT_REACHED", state.analyzer or "")
    verdict = "HELD" if decision.final_verdict == "APPROVED" and state.requires_approval else decision.final_verdict
    return Verdict(state.analysis.action, verdict, state.analyzer or "", decision.summary)


def rejudge(before: IncidentState, analysis: AIAnalysis, analyzer: str, facts: Facts) -> Verdict:
    """Pure: the council's verdict on `analysis` for the incident as it stood before analysis."""
    probe = Envelope(event_id="whatif", incident_id=before.incident_id, time=facts.at, actor="whatif",
                     payload=ev.AnalysisCompleted(analysis=analysis, analyzer=analyzer))
    state = evolve(before, probe, before.last_seq + 1)
    events: list[Event] = deliberate(state, facts)
    decided = next(e for e in events if isinstance(e, ev.CouncilDecided))
    verdict = "HELD" if decided.requires_approval else decided.decision.final_verdict
    return Verdict(analysis.action, verdict, analyzer, decided.decision.summary)


def differences(recorded: Verdict, whatif: Verdict) -> list[str]:
    out = []
    if recorded.action != whatif.action:
        out.append(f"action {recorded.action} → {whatif.action}")
    if recorded.verdict != whatif.verdict:
        out.append(f"council {recorded.verdict} → {whatif.verdict}")
    return out


def offline_reanalysis(settings: Settings) -> Reanalyse:
    """The offline analyzer over the recorded alert, logs and precedents."""
    async def run(state: IncidentState) -> tuple[AIAnalysis, str]:
        analysis = analyze(state.alert_type, state.logs[:settings.log_truncate_chars], state.retrieval or (),
                           settings.min_confidence, platform_from(state.platform_facts), state.severity,
                           state.container_name, casebook_for(settings))  # the facts the recorded analysis used
        return analysis, OFFLINE
    return run


def llm_reanalysis(settings: Settings, inventory: InventoryView) -> Reanalyse:
    """The analyst's own Analyzer (validation, one retry, offline floor) with the given model; nothing recorded."""
    from services.analyst.analyzer import Analyzer
    from shared.breaker import CircuitBreaker

    async def discard(_: Any) -> None:
        return None

    analyzer = Analyzer(settings, CircuitBreaker("whatif", settings.breaker_failure_threshold,
                                                 settings.breaker_reset_timeout), discard)

    async def run(state: IncidentState) -> tuple[AIAnalysis, str]:
        verdict = await analyzer.analyse(state, state.retrieval or (), inventory.get(state.container_name) is not None,
                                         lambda chunk, text: None)
        return verdict.analysis, verdict.analyzer
    return run


async def compare(stored: Sequence[StoredEvent], settings: Settings, policy: Policy, inventory: InventoryView,
                  history: TargetHistory, reanalyse: Reanalyse | None) -> Comparison | None:
    """One incident: None when it never reached analysis (nothing to re-run)."""
    final = fold((s.seq, s.envelope) for s in stored)
    before = inputs(stored)
    if final is None or before is None or final.analysis is None:
        return None
    recorded = recorded_verdict(final)
    if reanalyse is None:
        analysis, analyzer = final.analysis, final.analyzer or ""
    else:
        analysis, analyzer = await reanalyse(before)
    decided_at = next((s.envelope.time for s in stored if isinstance(s.envelope.payload, ev.CouncilDecided)),
                      stored[-1].envelope.time)
    target = inventory.get(before.container_name)
    restarts = 0
    if target is not None:
        window = policy.effective(target, target.name).restart_budget.window_minutes
        restarts = history.count(target.name, "RESTART", decided_at - timedelta(minutes=window),
                                 exclude=before.incident_id)
        restarts -= history.count(target.name, "RESTART", decided_at, exclude=before.incident_id)  # only before
    whatif = rejudge(before, analysis, analyzer, Facts(settings, target, policy, restarts, decided_at))
    return Comparison(before.incident_id, iso(stored[0].envelope.time), before.container_name, recorded, whatif,
                      differences(recorded, whatif))


def summary(results: Sequence[Comparison]) -> dict[str, Any]:
    """The --all table: how many decisions would change, and how."""
    changed = [r for r in results if r.differs]
    moves: dict[str, int] = {}
    for r in changed:
        key = f"{r.recorded.verdict} → {r.whatif.verdict}" if r.recorded.verdict != r.whatif.verdict else \
            f"action {r.recorded.action} → {r.whatif.action}"
        moves[key] = moves.get(key, 0) + 1
    return {"incidents": len(results), "unchanged": len(results) - len(changed), "changed": len(changed),
            "action_changed": sum(r.recorded.action != r.whatif.action for r in results),
            "verdict_changed": sum(r.recorded.verdict != r.whatif.verdict for r in results),
            "changes": dict(sorted(moves.items(), key=lambda kv: -kv[1]))}
