"""The notifier's pure decisions: drafts once, claims, and the repair of what a killed notifier left undone."""

from __future__ import annotations

from datetime import UTC

from services.notifier import domain
from shared.events import incident as ev
from tests.support.builders import received, run


def draft(channel: str, review: str) -> ev.NotificationDrafted:
    return ev.NotificationDrafted(draft_id=f"alert-{channel}", channel=channel, kind="alert", subject="s", body="b",
                                  review=review)


def test_a_draft_is_made_once_and_auto_channels_are_approved_with_it():
    state = run(received())
    events = domain.drafted(state, "alert", "webhook", "s", "b", (), "auto", "template")
    assert [type(e) for e in events] == [ev.NotificationDrafted, ev.NotificationApproved]
    assert [type(e) for e in domain.drafted(state, "alert", "email", "s", "b", (), "human", "t")] == [
        ev.NotificationDrafted]
    assert domain.drafted(run(received(), draft("webhook", "auto")), "alert", "webhook", "s", "b", (), "auto",
                          "t") == []
    assert domain.missing(run(received(), draft("webhook", "auto")), "alert", ["webhook", "email"]) == ["email"]


def test_an_auto_draft_left_without_its_approval_is_approved_on_repair():
    # the notifier died between the draft and its approval (two appends)
    state = run(received(), draft("webhook", "auto"), draft("email", "human"))
    (fix,) = domain.repairs(state, {}, "notifier#2")
    assert fix == ev.NotificationApproved(draft_id="alert-webhook", by="auto")  # the human-reviewed one waits
    healthy = run(received(), draft("webhook", "auto"), ev.NotificationApproved(draft_id="alert-webhook", by="auto"))
    assert domain.repairs(healthy, {}, "notifier#2") == []


def test_a_send_claimed_by_a_dead_process_is_failed_never_retried():
    claimed = run(received(), draft("webhook", "auto"), ev.NotificationApproved(draft_id="alert-webhook", by="auto"),
                  ev.NotificationSending(draft_id="alert-webhook", node="notifier#1"))
    (failed,) = domain.repairs(claimed, {"alert-webhook": "notifier#1"}, "notifier#2")
    assert isinstance(failed, ev.NotificationFailed) and failed.attempts == 0
    assert domain.repairs(claimed, {"alert-webhook": "notifier#2"}, "notifier#2") == []  # our own claim
    assert domain.claim(claimed, "alert-webhook", "notifier#2") == []  # no second claim
    assert domain.repairs(None, {}, "x") == []


def test_outcomes_get_distinct_notices_and_never_a_false_recovery():
    from datetime import datetime

    from services.notifier import templates
    from tests.support.builders import analysis, council_approved, happy_path

    at = datetime(2026, 11, 30, tzinfo=UTC)
    fixed = run(*happy_path())
    assert domain.kind_for(ev.IncidentResolved(resolved_at=at), fixed) == "recovery"
    benign = run(received(), ev.AnalysisStarted(analyzer="offline"), analysis("NOOP"), *council_approved(),
                 ev.IncidentResolved(resolved_at=at, message="Benign: r. No action taken"))
    assert domain.kind_for(ev.IncidentResolved(resolved_at=at), benign) == "closed"
    unverified = run(received(), ev.AnalysisStarted(analyzer="offline"), analysis("NOOP"), *council_approved(),
                     ev.IncidentResolved(resolved_at=at, verified=False))
    assert domain.kind_for(ev.IncidentResolved(resolved_at=at, verified=False), unverified) == "closed"
    human = ev.IncidentFailed(error="Needs a human: unknown", stage="triage", needs_human=True)
    assert domain.kind_for(human, run(received(), human)) == "human"
    assert domain.kind_for(ev.IncidentFailed(error="restart failed"), None) == "failure"
    subject, body = templates.draft(run(received(), human), "human")
    assert subject.startswith("[AegisOps] NEEDS A HUMAN") and "RECOVERED" not in subject + body
    subject, body = templates.draft(benign, "closed")
    assert subject.startswith("[AegisOps] CLOSED, no action") and "Outcome: benign" in body
