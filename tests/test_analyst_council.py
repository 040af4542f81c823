"""Pure tests of the analyst's offline analyzer and the council's checks and tally."""

from __future__ import annotations

import pytest

from services.analyst import domain
from services.analyst.analyzer import Verdict
from services.analyst.offline import analyze
from services.council.domain import Facts, deliberate, tally
from shared.config import TargetConfig, load_settings
from shared.events import incident as ev
from shared.events.models import AIAnalysis, CouncilVote
from tests.support.builders import analysis, received, run

SETTINGS = load_settings(environ={})
TARGET = TargetConfig(name="addition-api", port=8002, command=["x"])


@pytest.mark.parametrize("alert, logs, action", [
    ("Memory Leak", "ERROR: Memory usage at 98%. OOM imminent.", "RESTART"),
    ("Pod alert", "java.lang.OutOfMemoryError: Java heap space", "RESTART"),
    ("CPU Spike", "CPU at 99% for 5 minutes", "RESTART"),
    ("Latency", "slow query: SELECT ... took 5000ms; database latency high", "RESTART"),
    ("API down", "GET /health: connection refused", "RESTART"),
    ("Storage", "write failed: No space left on device", "RESTART"),
    ("Load", "429 Too Many Requests; request rate 5x normal", "SCALE_UP"),
    ("Errors", "5xx rate up since deploy of version 2.3.1 error", "ROLLBACK"),
])
def test_offline_analyzer_maps_known_shapes(alert, logs, action):
    result = analyze(alert, logs)
    assert result.action == action and result.confidence >= 0.6 and result.justification


def test_unknown_alert_goes_to_a_human_never_benign():
    result = analyze("Cosmic rays", "bit flipped somewhere")
    assert result.action == "NOOP" and result.outcome == "human" and result.confidence < 0.5


def test_query_reads_only_the_truncated_logs():
    state = run(received(alert_type="Weird", logs="x" * 3000 + " out of memory"))
    assert "memory" not in domain.query_text(state, 2000) and "memory" in domain.query_text(state, 5000)


def test_begin_and_complete_happen_once():
    state = run(received())
    begun = domain.begin(state, [], "offline")
    assert [e.type_tag() for e in begun] == ["incident.retrieval_completed.v1", "incident.analysis_started.v1"]
    state = run(received(), *begun)
    assert domain.begin(state, [], "offline") == []
    verdict = Verdict(analyze("Memory Leak", "OOM"), "offline")
    done = domain.complete(state, verdict)
    assert len(done) == 1 and domain.complete(run(received(), *begun, *done), verdict) == []


def test_offline_follows_a_close_precedent_only():
    from shared.events.models import RetrievedIncident

    close = RetrievedIncident(incident_id="old", alert_type="x", root_cause="Known bad cache", action="SCALE_UP",
                              similarity_score=0.9, replicas_used=3)
    followed = analyze("Cosmic rays", "bit flipped", [close])
    assert followed.action == "SCALE_UP" and followed.replica_count == 3 and "old" in followed.justification
    far = RetrievedIncident(incident_id="old", alert_type="x", root_cause="r", action="SCALE_UP",
                            similarity_score=0.5)
    unsure = analyze("Cosmic rays", "bit flipped", [far])
    assert unsure.action == "NOOP" and unsure.outcome == "human"


def test_resolved_incident_teaches_a_seed_runbook_entry():
    from tests.support.builders import happy_path

    entry = domain.runbook_entry(run(*happy_path()))
    assert entry.incident_id == "inc-1" and entry.action == "RESTART" and entry.council_approved
    assert entry.resolved_at == "2026-02-21T03:15:00.000Z"
    assert domain.runbook_entry(run(received())) is None


def council(state, target=TARGET, **settings):
    return deliberate(state, Facts(load_settings(environ={}, **settings), target))


def verdicts(events):
    return {e.vote.role: e.vote.verdict for e in events if isinstance(e, ev.VoteCast)}


def test_all_checks_pass_three_approvals():
    events = council(run(received(), analysis()))
    assert verdicts(events) == {"SRE_AGENT": "APPROVED", "SECURITY_OFFICER": "APPROVED", "AUDITOR": "APPROVED"}
    assert events[-1].decision.summary == "Council voted 3/3 APPROVED. Final: APPROVED"


def test_target_not_in_inventory_is_rejected_and_fails():
    events = council(run(received(container_name="ghost"), analysis()), target=None)
    assert verdicts(events)["SECURITY_OFFICER"] == "REJECTED"
    assert events[-2].decision.final_verdict == "REJECTED"
    assert isinstance(events[-1], ev.IncidentFailed) and "not in the inventory" in events[-1].error


def test_replicas_above_policy_are_rejected_by_security():
    docker_target = TargetConfig(name="buggy-app-v2", port=8000, kind="docker", image="img")
    state = run(received(container_name="buggy-app-v2"), ev.AnalysisCompleted(
        analysis=AIAnalysis(root_cause="surge", action="SCALE_UP", justification="j", confidence=0.9,
                            replica_count=9), analyzer="offline"))
    events = council(state, target=docker_target, max_replicas=5)
    assert verdicts(events)["SECURITY_OFFICER"] == "REJECTED"
    assert "outside policy (1..5)" in next(e.vote.reasoning for e in events if isinstance(e, ev.VoteCast)
                                           and e.vote.role == "SECURITY_OFFICER")


def test_low_confidence_is_rejected_by_the_auditor():
    events = council(run(received(), analysis(confidence=0.3)), min_confidence=0.6)
    assert verdicts(events)["AUDITOR"] == "REJECTED"
    assert events[-1].__class__ is ev.CouncilDecided and events[-1].decision.final_verdict == "APPROVED"  # 2/3


def test_two_rejections_reject():
    events = council(run(received(container_name="bad name"), analysis(confidence=0.1)), target=None)
    assert events[-2].decision.final_verdict == "REJECTED" and not events[-2].decision.consensus


def test_council_decides_once():
    first = run(received(), analysis())
    assert council(run(received(), analysis(), *council(first))) == []


@pytest.mark.parametrize("logs, stage", [("GET /health: connection refused", "council"),
                                         ("something odd happened", "triage")])
def test_a_rejection_whose_failed_event_was_cut_off_is_failed_on_redelivery(logs: str, stage: str):
    """The decision was stored, the FAILED after it was not (NATS went away between the two appends): the redelivered
    message must not leave the incident decided and never terminal."""
    if stage == "council":  # the council rejects an action on a target it does not know
        state, target = run(received(container_name="ghost"), analysis()), None
    else:  # the diagnosis asks for a human
        state, target = run(received(logs=logs), ev.AnalysisCompleted(
            analysis=analyze("Weird", logs), analyzer="offline")), TARGET
    decided = council(state, target=target)
    assert isinstance(decided[-1], ev.IncidentFailed)
    cut_off = run(*[e for e in (received(container_name="ghost") if target is None else received(logs=logs),
                                state_analysis(state), *decided[:-1])])
    assert cut_off.status == "REJECTED"
    again = council(cut_off, target=target)
    assert again == [decided[-1]] and again[0].stage == stage
    assert council(run(received(), analysis(), *decided)) == []  # once FAILED, nothing more


def state_analysis(state):  # type: ignore[no-untyped-def]
    return ev.AnalysisCompleted(analysis=state.analysis, analyzer=state.analyzer or "offline")


def test_tally_two_of_three_with_security_veto():
    def vote(role, verdict):
        return CouncilVote(role=role, verdict=verdict, reasoning="", timestamp="t")

    sre, sec, aud = "SRE_AGENT", "SECURITY_OFFICER", "AUDITOR"
    assert tally([vote(sre, "APPROVED"), vote(sec, "APPROVED"), vote(aud, "REJECTED")]).final_verdict == "APPROVED"
    held = tally([vote(sre, "APPROVED"), vote(sec, "APPROVED"), vote(aud, "NEEDS_REVIEW")], ["x"])
    assert held.final_verdict == "APPROVED" and "held for human approval" in held.summary
    assert tally([vote(sre, "APPROVED"), vote(sec, "REJECTED"), vote(aud, "REJECTED")]).final_verdict == "REJECTED"
    vetoed = tally([vote(sre, "APPROVED"), vote(sec, "REJECTED"), vote(aud, "APPROVED")])
    assert vetoed.final_verdict == "REJECTED" and "security veto" in vetoed.summary and vetoed.consensus
