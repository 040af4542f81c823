"""Given/when/then on the pure incident fold: statuses, the Core API contract's timeline, illegal transitions."""

from __future__ import annotations

import pytest

from shared.errors import IllegalTransitionError
from shared.events import incident as ev
from shared.projections.incident import evolve, fold
from tests.support.builders import (
    DRAFT,
    T0,
    Given,
    analysis,
    council_approved,
    decided,
    happy_path,
    received,
    run,
    vote,
)


def test_happy_path_gives_the_seed_timeline():
    state = run(*happy_path())
    assert state.status == "RESOLVED"
    assert [e.status for e in state.timeline] == [
        "RECEIVED", "RAG_RETRIEVAL", "ANALYSING", "AI_COMPLETE", "COUNCIL_VOTE", "COUNCIL_VOTE", "COUNCIL_VOTE",
        "COUNCIL_DECISION", "APPROVED", "EXECUTING", "RESTARTED", "VERIFYING", "RESOLVED"]
    assert state.timeline[1].message == "Retrieved 1 similar past incidents (best match: 91.2%)"
    assert state.timeline[3].message == "Root cause: Memory leak → RESTART"
    assert state.health_checks == 1
    result = state.to_result()
    assert set(result) >= {"incident_id", "alert_type", "status", "analysis", "council_decision", "resolved_at",
                           "error", "replicas_spawned", "timeline"}  # the Core API contract's fields, ours beside
    assert (
        result["outcome"] == "act"
        and result["needs_human"] is False
        and result["container_name"] == state.container_name
    )
    assert result["council_decision"]["summary"] == "Council voted 3/3 APPROVED. Final: APPROVED"
    assert result["resolved_at"] == "2026-02-21T03:15:00.000Z"
    assert set(result["timeline"][0]) == {"ts", "status", "message", "agent"}


def test_versions_and_sequences_track_every_event():
    given = Given()
    state = fold(given(*[received()]))
    assert state.version == 1 and state.last_seq == 1


def test_noop_resolves_straight_after_approval():
    state = run(received(), analysis("NOOP"), *council_approved(), ev.IncidentResolved(resolved_at=T0))
    assert state.status == "RESOLVED"


def test_scale_up_goes_through_scaling_and_counts_replicas():
    from shared.events.models import ScaleEvent

    state = run(
        received(),
        analysis("SCALE_UP"),
        *council_approved(),
        ev.ActionStarted(action="SCALE_UP", target="buggy-app-v2", replica_count=3),
    )
    assert state.status == "SCALING"
    state = evolve(
        state,
        Given().env(
            ev.ScaleCompleted(
                event=ScaleEvent(
                    container_base="buggy-app-v2",
                    replica_count=3,
                    replicas=["a", "b", "c"],
                    lb_configured=True,
                    timestamp="t",
                )
            )
        ),
    )
    assert state.replicas_spawned == 3


def test_rejected_council_then_failed():
    state = run(
        received(),
        analysis(),
        vote("SRE_AGENT", "REJECTED"),
        decided("REJECTED"),
        ev.IncidentFailed(error="Council rejected the action"),
    )
    assert state.status == "FAILED" and state.error == "Council rejected the action"
    assert state.timeline[-1].status == "FAILED"


def test_approval_hold_then_granted():
    state = run(
        received(),
        analysis(),
        decided(requires_approval=True),
        ev.ApprovalRequested(reason="restart of a critical target"),
        ev.ApprovalGranted(by="alice"),
    )
    assert state.status == "APPROVED" and state.approved_by == "alice"


@pytest.mark.parametrize(
    "events, why",
    [
        ([received(), received()], "already received"),
        ([ev.AnalysisStarted(analyzer="x")], "before the incident was received"),
        ([received(), vote("SRE_AGENT")], "not allowed in status RECEIVED"),
        ([received(), analysis(), vote("AUDITOR"), vote("AUDITOR")], "already voted"),
        (
            [received(), analysis(), ev.ActionStarted(action="RESTART", target="t")],
            "not allowed in status COUNCIL_REVIEW",
        ),
        ([received(), analysis(), *council_approved(), ev.IncidentResolved(resolved_at=T0)], "only a NOOP"),
        (
            [received(), analysis(), decided(requires_approval=True), ev.ActionStarted(action="RESTART", target="t")],
            "AWAITING_APPROVAL",
        ),
        ([*happy_path(), ev.IncidentFailed(error="late")], "not allowed in status RESOLVED"),
        ([*happy_path(), ev.HealthChecked(attempt=2, healthy=True)], "not allowed in status RESOLVED"),
    ],
)
def test_illegal_transitions_are_rejected(events, why):
    with pytest.raises(IllegalTransitionError, match=why):
        run(*events)


def test_notification_lifecycle_after_resolution():
    state = run(
        *happy_path(),
        DRAFT,
        ev.NotificationEdited(draft_id="recovery-email", subject="S2", body="B2", by="al"),
        ev.NotificationApproved(draft_id="recovery-email", by="al"),
        ev.NotificationSending(draft_id="recovery-email"),
        ev.NotificationSent(draft_id="recovery-email", channel="email", recipients=["sre@example.org"]),
    )
    note = state.notification("recovery-email")
    assert state.status == "RESOLVED" and state.timeline[-1].status == "NOTIFIED"
    assert (note.status, note.subject, note.body, note.approved_by) == ("sent", "S2", "B2", "al")


@pytest.mark.parametrize(
    "events, why",
    [
        ([DRAFT, DRAFT], "already drafted"),
        ([ev.NotificationApproved(draft_id="nope", by="x")], "never drafted"),
        ([DRAFT, ev.NotificationSent(draft_id="recovery-email", channel="email")], "is drafted"),
        (
            [
                DRAFT,
                ev.NotificationRejected(draft_id="recovery-email", by="x"),
                ev.NotificationApproved(draft_id="recovery-email", by="y"),
            ],
            "is rejected",
        ),
    ],
)
def test_illegal_notification_moves(events, why):
    with pytest.raises(IllegalTransitionError, match=why):
        run(received(), *events)


def test_fold_is_pure():
    given = Given()
    events = given(*happy_path())
    assert fold(events) == fold(events)


def test_the_view_indexes_open_incidents_by_fingerprint_and_target():
    from shared.projections.incidents_view import IncidentsView

    view = IncidentsView()
    first, second = Given("probe-a-1"), Given("probe-a-2")
    for seq, env in first(received(fingerprint="probe:a", container_name="a")):
        view.apply(seq, env)
    assert view.open_with_fingerprint("probe:a").incident_id == "probe-a-1"
    assert [s.incident_id for s in view.open_on_target("a")] == ["probe-a-1"]
    for seq, env in first(ev.IncidentRecovered(reason="back", by="prober")):
        view.apply(seq, env)
    assert view.open_with_fingerprint("probe:a") is None and view.open_on_target("a") == []
    for seq, env in second(received(fingerprint="probe:a", container_name="a")):
        view.apply(seq, env)
    assert view.open_with_fingerprint("probe:a").incident_id == "probe-a-2"
    assert view.open_with_fingerprint("probe:b") is None and view.open_on_target("b") == []
