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
