"""A human's decision on a held action, pure: what to append, or why it cannot be taken."""

from __future__ import annotations

from shared.errors import DomainError, NotFoundError
from shared.events import Event
from shared.events import incident as ev
from shared.projections.incident import IncidentState


def _awaiting(state: IncidentState | None, incident_id: str) -> IncidentState:
    if state is None:
        raise NotFoundError(f"Incident {incident_id} not found")
    if state.status != "AWAITING_APPROVAL":
        raise DomainError(f"Incident {incident_id} is {state.status}, not awaiting approval",
                          status=state.status)
    return state


def approve(state: IncidentState | None, incident_id: str, by: str, comment: str) -> list[Event]:
    """ApprovalGranted: the executor acts on it."""
    _awaiting(state, incident_id)
    return [ev.ApprovalGranted(by=by, comment=comment)]


def reject(state: IncidentState | None, incident_id: str, by: str, comment: str) -> list[Event]:
    """ApprovalRejected and FAILED with the human's reason."""
    _awaiting(state, incident_id)
    reason = f"Rejected by {by}" + (f": {comment}" if comment else "")
    return [ev.ApprovalRejected(by=by, reason=comment), ev.IncidentFailed(error=reason, stage="approval")]


def _draft(state: IncidentState | None, incident_id: str, draft_id: str):  # type: ignore[no-untyped-def]
    if state is None:
        raise NotFoundError(f"Incident {incident_id} not found")
    note = state.notification(draft_id)
    if note is None:
        raise NotFoundError(f"Notification {draft_id} not found on {incident_id}")
    if note.status != "drafted":
        raise DomainError(f"Notification {draft_id} is {note.status}, not awaiting review", status=note.status)
    return note


def approve_draft(state, incident_id: str, draft_id: str, by: str) -> list[Event]:  # type: ignore[no-untyped-def]
    """A reviewer lets the draft go out."""
    _draft(state, incident_id, draft_id)
    return [ev.NotificationApproved(draft_id=draft_id, by=by)]


def reject_draft(state, incident_id: str, draft_id: str, by: str, reason: str = "") -> list[Event]:  # type: ignore[no-untyped-def]
    """A reviewer stops the draft."""
    _draft(state, incident_id, draft_id)
    return [ev.NotificationRejected(draft_id=draft_id, by=by, reason=reason)]


def edit_draft(state, incident_id: str, draft_id: str, by: str, subject: str | None,  # type: ignore[no-untyped-def]
               body: str | None) -> list[Event]:
    """A reviewer rewrites subject and/or body (it still needs approving)."""
    note = _draft(state, incident_id, draft_id)
    return [ev.NotificationEdited(draft_id=draft_id, subject=subject or note.subject, body=body or note.body, by=by)]
