"""Notifications: every draft, and a human's review of one (approve, reject, edit)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
from fastapi import APIRouter, Request

from services.gateway import approvals
from services.gateway.auth.api import acting_as
from services.gateway.schemas import Decision, DraftEdit, DraftId, IncidentId
from shared.errors import ValidationError

if TYPE_CHECKING:
    from services.gateway.app import Gateway


def build_router(gw: Gateway) -> APIRouter:
    """The notifications routes around a Gateway."""
    router = APIRouter(tags=["notifications"])

    @router.get("/notifications", summary="Notifications of every incident (filter by status, e.g. drafted)")
    async def notifications(status: str | None = None) -> list[dict[str, Any]]:
        return [{"incident_id": st.incident_id, **msgspec.to_builtins(n)} for st in gw.view.all()
                for n in st.notifications if status is None or n.status == status]

    @router.post("/notifications/{incident_id}/{draft_id}/approve", summary="Approve a notification draft")
    async def approve_note(incident_id: IncidentId, draft_id: DraftId, request: Request,
                           body: Decision | None = None) -> dict[str, Any]:
        by = acting_as(request, body.by if body else None)
        return await gw.decide(incident_id, lambda s: approvals.approve_draft(s, incident_id, draft_id, by))

    @router.post("/notifications/{incident_id}/{draft_id}/reject", summary="Reject a notification draft")
    async def reject_note(incident_id: IncidentId, draft_id: DraftId, request: Request,
                          body: Decision | None = None) -> dict[str, Any]:
        by = acting_as(request, body.by if body else None)
        reason = body.comment if body else ""
        return await gw.decide(incident_id, lambda s: approvals.reject_draft(s, incident_id, draft_id, by, reason))

    @router.post("/notifications/{incident_id}/{draft_id}/edit", summary="Edit a notification draft's subject/body")
    async def edit_note(incident_id: IncidentId, draft_id: DraftId, body: DraftEdit,
                        request: Request) -> dict[str, Any]:
        if body.subject is None and body.body is None:
            raise ValidationError("give a new subject, body or both")
        by = acting_as(request, body.by)
        return await gw.decide(incident_id, lambda s: approvals.edit_draft(s, incident_id, draft_id, by, body.subject,
                                                                          body.body))

    return router
