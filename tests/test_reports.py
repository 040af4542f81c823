"""The reports written from the record: the post-incident report (durations equal the events' timestamps, the
same incident gives the same report) and the judgment report (its counts equal a replay of a known history stored
in a real JetStream). The routes and the CLI end to end: tests/test_e2e_reports.py."""

from __future__ import annotations

import statistics
from datetime import timedelta

import pytest

from services.gateway.reports import judgment, postmortem
from shared.errors import ValidationError
from shared.events import incident as ev
from shared.events import now
from shared.events.models import AIAnalysis
from shared.projections.incident import fold
from tests.support.builders import T0, Given, council_approved, decided, happy_path, received, vote


def _analysis(situation: str, action: str, outcome: str = "act", escalation: str = "") -> ev.AnalysisCompleted:
    return ev.AnalysisCompleted(analysis=AIAnalysis(root_cause=f"{situation} cause", action=action,  # type: ignore[arg-type]
                                                    justification="why", confidence=0.8, outcome=outcome,  # type: ignore[arg-type]
                                                    situation=situation, evidence=[f"matched {situation}"],
                                                    escalation=escalation),
                                analyzer="offline", platform={"rollback_available": False})


def _held(granted: bool, by: str, action: str = "RESTART", target: str = "division-api") -> list[ev.IncidentEvent]:
    asked = [vote("SRE_AGENT"), vote("SECURITY_OFFICER"), vote("AUDITOR"), decided(requires_approval=True),
             ev.ApprovalRequested(reason="policy: critical target", required_role="approver")]
    if granted:
        return [*asked, ev.ApprovalGranted(by=by, comment="go"), ev.ActionStarted(action=action, target=target,
                                                                                 node="alpha"),
                ev.ActionCompleted(action=action, target=target, detail="restarted"), ev.VerificationStarted(
                    target=target), ev.HealthChecked(attempt=1, healthy=True), ev.IncidentResolved(resolved_at=T0)]
    return [*asked, ev.ApprovalRejected(by=by, reason="not during the sale"),
            ev.IncidentFailed(error="Rejected by bob: not during the sale", stage="approval")]


# ---------------------------------------------------------------- post-incident report
def test_a_restart_report_names_target_action_and_timeline_with_durations_equal_to_the_events_timestamps():
    given = Given("pm-1")
    events = [given.env(p, actor=f"svc-{i}") for i, p in enumerate(happy_path())]
    report = postmortem.build(events)
    s = report.summary
    assert (s["target"], s["action"], s["status"], s["outcome"]) == ("addition-api", "RESTART", "RESOLVED", "act")
    at = {type(e.payload): e.time for e in events}
    received_at = events[0].time

    def since(kind: type) -> float:
        return round((at[kind] - received_at).total_seconds(), 3)

    assert report.durations["to_diagnosis"] == since(ev.AnalysisCompleted)
    assert report.durations["to_decision"] == since(ev.CouncilDecided)
    assert report.durations["to_action"] == since(ev.ActionStarted)
    assert report.durations["to_verified"] == report.durations["total"] == since(ev.IncidentResolved)
    assert report.durations["held_for_approval"] is None and report.durations["alert_to_received"] is None
    assert [t.actor for t in report.timeline][:1] == ["svc-0"]  # each line names the actor of its event
    assert any(t.status == "EXECUTING" and t.actor == "svc-8" for t in report.timeline)
    assert report.similar == [{"incident_id": "old", "similarity": 0.912, "action": "RESTART", "root_cause": "leak"}]
    text = postmortem.markdown(report)
    assert text == postmortem.markdown(postmortem.build(events))  # the same incident, the same report
    for part in ("# Post-incident report: pm-1", "**Target:** addition-api", "**Action:** RESTART",
                 "| received → action started |", "## Timeline", "## Follow-ups"):
        assert part in text, part


def test_approvals_the_alert_time_and_follow_ups_come_from_the_record():
    given = Given("pm-2")
    events = [given.env(p) for p in [received(container_name="division-api", timestamp="2026-02-21T03:14:30Z"),
                                     _analysis("bad_deploy", "ROLLBACK", escalation="the fix did not hold"),
                                     *_held(True, "alice", action="ROLLBACK")]]
    report = postmortem.build(events)
    asked = next(e for e in events if isinstance(e.payload, ev.ApprovalRequested))
    granted = next(e for e in events if isinstance(e.payload, ev.ApprovalGranted))
    assert report.durations["held_for_approval"] == round((granted.time - asked.time).total_seconds(), 3)
    assert report.durations["alert_to_received"] == round((events[0].time - T0.replace(minute=14, second=30))
                                                          .total_seconds(), 3)
    assert [a["what"] for a in report.council["approvals"]] == ["requested", "granted"]
    assert report.council["approvals"][1]["by"] == "alice" and len(report.council["votes"]) == 3
    follow = " ".join(report.follow_ups)
    assert "The fix did not hold before" in follow and "No rollback version was registered" in follow
    assert "node alpha" in postmortem.markdown(report)


def test_a_record_that_is_not_an_incident_gives_no_report():
    with pytest.raises(ValueError, match="start with incident.received"):
        postmortem.build([])
    with pytest.raises(ValueError, match="start with incident.received"):
        postmortem.build([Given().env(ev.HealthChecked(attempt=1, healthy=True))])


# ---------------------------------------------------------------- judgment report
@pytest.mark.parametrize("text, seconds", [("30d", 30 * 86400), ("12h", 43200), ("90m", 5400), ("2w", 1209600)])
def test_a_period_is_read(text, seconds):
    assert judgment.parse_since(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "30", "d", "0d", "-3d", "3y", "30 days", "99999w"])
def test_a_period_that_is_not_one_is_refused_with_the_reason(text):
    with pytest.raises(ValidationError, match="since"):
        judgment.parse_since(text)


@pytest.mark.integration
async def test_the_judgment_counts_equal_a_replay_of_a_known_history(store):
    history = {
        "auto-1": [received(), _analysis("memory_leak", "RESTART"), *council_approved(),
                   ev.ActionStarted(action="RESTART", target="addition-api", node="alpha"),
                   ev.ActionCompleted(action="RESTART", target="addition-api"), ev.VerificationStarted(
                       target="addition-api"), ev.HealthChecked(attempt=1, healthy=True),
                   ev.IncidentResolved(resolved_at=now())],
        "again-1": [received(), _analysis("unknown_errors", "NOOP", outcome="human"), decided("REJECTED"),
                    ev.IncidentFailed(error="Needs a human: unclear", stage="triage", needs_human=True)],
        "held-ok": [received(container_name="division-api"), _analysis("crash", "RESTART"), *_held(True, "alice")],
        "held-no": [received(container_name="multiply-api"), _analysis("bad_deploy", "ROLLBACK"),
                    *_held(False, "bob", action="ROLLBACK", target="multiply-api")],
    }
    for iid, events in history.items():  # one at a time, in this order: again-1 follows auto-1's verified fix
        await store.append(iid, events, expected_seq=0)
    states = [fold([(s.seq, s.envelope) for s in await store.load(iid)]) for iid in history]  # the replay
    body = judgment.report(states, timedelta(hours=1), now(), timedelta(minutes=30))

    assert body["incidents"] == 4
    row = {k: {c: v[c] for c in ("decisions", "resolved_verified", "needed_human", "fix_did_not_hold",
                                 "held_for_approval", "overruled")} for k, v in body["by_situation"].items()}
    assert row == {
        "memory_leak": {"decisions": 1, "resolved_verified": 1, "needed_human": 0, "fix_did_not_hold": 1,
                        "held_for_approval": 0, "overruled": 0},
        "unknown_errors": {"decisions": 1, "resolved_verified": 0, "needed_human": 1, "fix_did_not_hold": 0,
                           "held_for_approval": 0, "overruled": 0},
        "crash": {"decisions": 1, "resolved_verified": 1, "needed_human": 0, "fix_did_not_hold": 0,
                  "held_for_approval": 1, "overruled": 0},
        "bad_deploy": {"decisions": 1, "resolved_verified": 0, "needed_human": 1, "fix_did_not_hold": 0,
                       "held_for_approval": 1, "overruled": 1},
    }
    assert {k: v["decisions"] for k, v in body["by_action"].items()} == {"NOOP": 1, "RESTART": 2, "ROLLBACK": 1}
    assert body["overruled"] == ["held-no"] and body["fix_did_not_hold"] == ["auto-1"]
    waits = []
    for iid in ("held-ok", "held-no"):
        stored = [s.envelope for s in await store.load(iid)]
        asked = next(e.time for e in stored if isinstance(e.payload, ev.ApprovalRequested))
        answered = next(e.time for e in stored if isinstance(e.payload, (ev.ApprovalGranted, ev.ApprovalRejected)))
        waits.append((answered - asked).total_seconds())
    t = body["time"]
    assert t["held_incidents"] == 2 and t["resolved_without_a_human"] == 1
    assert t["median_human_seconds_per_held_incident"] == round(statistics.median(waits), 3)
    assert t["estimated_seconds_saved"] == round(statistics.median(waits) * 1, 3)
    older = judgment.report(states, timedelta(hours=1), now() + timedelta(hours=2), timedelta(minutes=30))
    assert older["incidents"] == 0 and older["by_situation"] == {}  # nothing received in that window
