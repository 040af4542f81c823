"""Pure given/when/then on scoring the LLM's diagnosis of a finished incident."""

from __future__ import annotations

import pytest

from services.analyst.scoring import ground, salient_terms, score, score_rejected
from shared.events import incident as ev
from shared.events.models import ACTIONS, AIAnalysis
from tests.support.builders import T0, council_approved, decided, received, run

LOGS = "ERROR: Memory usage at 98%. Object count: 1,500,000. java.lang.OutOfMemoryError: Java heap space"
ALL = list(ACTIONS)


def llm(root_cause: str = "Memory leak: heap usage at 98% with 1,500,000 objects (OutOfMemoryError)",
        action: str = "RESTART", confidence: float = 0.9, analyzer: str = "llm:gpt-4o-mini") -> ev.AnalysisCompleted:
    return ev.AnalysisCompleted(analysis=AIAnalysis(root_cause=root_cause, action=action,  # type: ignore[arg-type]
                                                    justification="restart frees memory", confidence=confidence),
                                analyzer=analyzer)


def resolved(analysis: ev.AnalysisCompleted, logs: str = LOGS, target: str = "addition-api"):
    action = analysis.analysis.action
    return run(received(logs=logs, container_name=target), analysis, *council_approved(),
               ev.ActionStarted(action=action, target=target),
               ev.ActionCompleted(action=action, target=target),
               ev.VerificationStarted(target=target), ev.HealthChecked(attempt=1, healthy=True),
               ev.IncidentResolved(resolved_at=T0))


def test_resolved_in_policy_known_target_grounded_cause_is_supported():
    result = score(resolved(llm()), ALL, target_known=True)
    assert result is not None and result.outcome == "RESOLVED"
    assert result.hallucination_probability < 0.1 and not result.hallucinated
    assert result.factual_support > 0.9 and result.semantic_drift < 0.1
    assert result.uncertainty == pytest.approx(0.1)
    assert result.unsupported_terms == [] and "98" in result.grounded_terms and "1500000" in result.grounded_terms
    assert any("resolved after verification" in r for r in result.reasons)


def test_action_outside_policy_raises_the_probability():
    supported = score(resolved(llm()), ALL, target_known=True)
    result = score(resolved(llm()), ["NOOP", "SCALE_UP"], target_known=True)
    assert result.hallucination_probability >= supported.hallucination_probability + 0.5 and result.hallucinated
    assert any("RESTART is not allowed by policy" in r and "NOOP, SCALE_UP" in r for r in result.reasons)


def test_unknown_target_raises_the_probability():
    result = score(resolved(llm()), ALL, target_known=False)
    assert result.hallucination_probability >= 0.5 and result.hallucinated
    assert any("'addition-api' is not in the inventory" in r for r in result.reasons)


def test_noop_needs_no_known_target():
    state = run(received(logs=LOGS, container_name="ghost"), llm(action="NOOP"), *council_approved(),
                ev.IncidentResolved(resolved_at=T0))
    result = score(state, ALL, target_known=False)
    assert not any("inventory" in r for r in result.reasons) and not result.hallucinated


def test_cause_the_logs_do_not_support_is_named_and_raises_the_probability():
    made_up = llm("PostgreSQL deadlock on table orders after HTTP 503 from payments-svc")
    result = score(resolved(made_up), ALL, target_known=True)
    grounded = score(resolved(llm()), ALL, target_known=True)
    assert result.hallucination_probability > grounded.hallucination_probability + 0.5 and result.hallucinated
    assert result.semantic_drift == 1.0 and result.factual_support < grounded.factual_support
    assert set(result.unsupported_terms) >= {"PostgreSQL", "deadlock", "orders", "503", "payments-svc"}
    assert any("not found in the logs" in r and "'PostgreSQL'" in r and "'503'" in r for r in result.reasons)


def test_partly_grounded_cause_drifts_partly():
    result = score(resolved(llm("Memory leak from an unbounded Redis cache")), ALL, target_known=True)
    assert 0.0 < result.semantic_drift < 1.0
    assert "redis" in [t.lower() for t in result.unsupported_terms] and "memory" in result.grounded_terms


def test_failed_incident_lowers_support():
    good = score(resolved(llm()), ALL, target_known=True)
    after_action = run(received(logs=LOGS), llm(), *council_approved(),
                       ev.ActionStarted(action="RESTART", target="addition-api"),
                       ev.ActionFailed(action="RESTART", target="addition-api", error="exit 1"),
                       ev.IncidentFailed(error="restart failed", stage="executor"))
    failed = score(after_action, ALL, target_known=True)
    assert failed.outcome == "FAILED" and failed.factual_support < good.factual_support - 0.5
    assert failed.hallucination_probability > good.hallucination_probability
    assert any("failed after RESTART: restart failed" in r for r in failed.reasons)
    rejected = score(run(received(logs=LOGS), llm(), decided("REJECTED"), ev.IncidentFailed(error="council rejected")),
                     ALL, target_known=True)
    assert failed.factual_support < rejected.factual_support < good.factual_support
    assert any("failed before any action" in r for r in rejected.reasons)


def test_recovered_before_the_action_is_neutral():
    state = run(received(logs=LOGS), llm(), ev.IncidentRecovered(reason="probe healthy again"))
    result = score(state, ALL, target_known=True)
    assert result.outcome == "RECOVERED" and not result.hallucinated


def test_low_confidence_is_uncertainty():
    assert score(resolved(llm(confidence=0.35)), ALL, target_known=True).uncertainty == pytest.approx(0.65)


@pytest.mark.parametrize("state", [
    None,
    run(received(logs=LOGS), llm()),  # not terminal
    run(received(logs=LOGS), llm(analyzer="offline"), ev.IncidentFailed(error="x")),  # not an LLM analysis
    run(received(logs=LOGS), ev.IncidentFailed(error="analysis gave up")),  # no analysis
])
def test_only_terminal_llm_analyses_are_scored(state):
    assert score(state, ALL, target_known=True) is None


def test_salient_terms_skip_generic_words_and_weigh_specific_claims():
    terms = {t.text: t.weight for t in salient_terms("Error: the application crashed due to ECONNREFUSED on port 5432")}
    assert terms == {"crashed": 1, "ECONNREFUSED": 2, "port": 1, "5432": 2}


def test_grounding_uses_stems_aliases_and_normalised_numbers():
    g = ground("Connections exhausted: OOM after 1500 requests", "connection pool exhaustion; out of memory; 1,500 req")
    assert set(g.grounded) == {"connections", "exhausted", "OOM", "1500"} and g.unsupported == ("requests",)
    assert ground("", "anything").fraction == 0.5


def test_a_rejected_answer_for_an_unknown_target_is_scored_as_hallucinated():
    failed = run(received(logs=LOGS, container_name="no-such-target"), llm(analyzer="offline"),
                 ev.IncidentFailed(error="no-such-target is not in the inventory", stage="executor"))
    answer = '{"root_cause": "Memory leak in the request cache", "action": "RESTART", "confidence": 0.88}'
    result = score_rejected(failed, "call-1", "fake-sre", answer, "the target is not in the inventory", ALL,
                            target_known=False)
    assert result is not None and result.call == "call-1" and result.outcome == "REJECTED"
    assert result.hallucinated and result.hallucination_probability >= 0.8 and result.analyzer == "llm:fake-sre"
    assert any("'no-such-target' is not in the inventory" in r for r in result.reasons)
    assert any("rejected this answer" in r for r in result.reasons)


@pytest.mark.parametrize("response", ["not json", "[]", '{"action": "RESTART"}', '{"root_cause": 5}'])
def test_a_rejected_answer_with_no_cause_and_action_is_not_scored(response):
    failed = run(received(logs=LOGS), llm(analyzer="offline"), ev.IncidentFailed(error="x", stage="executor"))
    assert score_rejected(failed, "c", "m", response, "unparseable", ALL, target_known=True) is None


def test_nothing_is_scored_before_the_incident_is_over():
    open_incident = run(received(logs=LOGS), llm())
    answer = '{"root_cause": "leak", "action": "RESTART"}'
    assert score_rejected(open_incident, "c", "m", answer, "bad", ALL, target_known=True) is None
