"""The notifier's decisions, pure: which drafts an incident needs, and the moves of each notification."""

from __future__ import annotations

from shared.events import Event
from shared.events import incident as ev
from shared.projections.incident import IncidentState

KIND_BY_EVENT = {
    ev.IncidentReceived: "alert", ev.ApprovalRequested: "approval", ev.IncidentFailed: "failure",
    ev.IncidentResolved: "recovery", ev.IncidentRecovered: "recovery",
}


def kind_for(payload: object, state: IncidentState | None) -> str | None:
    """Which notification an event calls for. The three outcomes stay distinct: a benign close is "closed" (never a
    recovery notice: nothing was broken and nothing was done), an incident that needs a human is "human" (an alert,
    never a recovery), and "recovery" only follows a verified fix or a target that recovered on its own."""
    kind = KIND_BY_EVENT.get(type(payload))  # type: ignore[call-overload]
    if state is not None and (state.joined or state.silenced):
        return None  # one outage, one set of notices: a joined alert's incident speaks for it
    if state is None or kind is None:
        return kind
    if isinstance(payload, ev.IncidentResolved) and (state.outcome == "benign" or not state.verified):
        return "closed"
    if isinstance(payload, ev.IncidentFailed) and payload.needs_human:
        return "human"
    return kind


def draft_id(kind: str, channel: str) -> str:
    """One notification per (incident, kind, channel): the id says which."""
    return f"{kind}-{channel}"


def missing(state: IncidentState | None, kind: str, channels: list[str]) -> list[str]:
    """Channels that still need a draft of this kind."""
    if state is None:
        return []
    return [c for c in channels if state.notification(draft_id(kind, c)) is None]


def drafted(state: IncidentState | None, kind: str, channel: str, subject: str, body: str,
            recipients: tuple[str, ...], review: str, drafted_by: str) -> list[Event]:
    """The draft (auto-approved when the channel needs no review), once."""
    did = draft_id(kind, channel)
    if state is None or state.notification(did) is not None:
        return []
    events: list[Event] = [ev.NotificationDrafted(draft_id=did, channel=channel, kind=kind, subject=subject,
                                                  body=body, recipients=list(recipients), review=review,
                                                  drafted_by=drafted_by)]
    if review == "auto":
        events.append(ev.NotificationApproved(draft_id=did, by="auto"))
    return events


def claim(state: IncidentState | None, did: str, node: str) -> list[Event]:
    """Sending claim for an approved notification (the append decides who sends)."""
    note = state.notification(did) if state else None
    return [ev.NotificationSending(draft_id=did, node=node)] if note is not None and note.status == "approved" else []


def interrupted(state: IncidentState | None, claims: dict[str, str], me: str) -> list[Event]:
    """A claim by another notifier process with no result: that process died mid-send. Record it, never send
    again (at most once). `claims` maps draft ids to the process that claimed them (from the stream)."""
    if state is None:
        return []
    return [ev.NotificationFailed(draft_id=n.draft_id, channel=n.channel, attempts=0,
                                  error="sending was interrupted; not retried so it is never sent twice")
            for n in state.notifications if n.status == "sending" and claims.get(n.draft_id) != me]


def repairs(state: IncidentState | None, claims: dict[str, str], me: str) -> list[Event]:
    """What a notifier process that died mid-decision left undone: its interrupted sends are recorded as
    failed, and an auto-approved draft whose approval never got appended is approved now (a draft and its
    approval are two appends; nothing was sent in between, so sending it now is still at most once)."""
    if state is None:
        return []
    unapproved = [ev.NotificationApproved(draft_id=n.draft_id, by="auto") for n in state.notifications
                  if n.review == "auto" and n.status == "drafted"]
    return interrupted(state, claims, me) + unapproved
