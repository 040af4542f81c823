"""Incidents: intake (the webhook, Core API contract and Alertmanager), listing, one incident, approvals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError as PydanticValidationError

from services.gateway import approvals, listing
from services.gateway.auth.api import acting_as, principal_of
from services.gateway.auth.view import rank
from services.gateway.schemas import AlertmanagerPayload, Decision, IncidentId, IncidentPayload
from shared.errors import ForbiddenError, NotFoundError
from shared.events import now

if TYPE_CHECKING:
    from services.gateway.app import Gateway


def build_router(gw: Gateway) -> APIRouter:
    """The incidents routes around a Gateway."""
    router = APIRouter(tags=["incidents"])

    @router.post("/webhook", summary="Receive an alert (Core API contract IncidentPayload, or Alertmanager v4)",
                 openapi_extra={"requestBody": {"content": {"application/json": {"schema": {"oneOf": [
                  IncidentPayload.model_json_schema(ref_template="#/components/schemas/{model}"),
                  AlertmanagerPayload.model_json_schema(ref_template="#/components/schemas/{model}")]}}}}})
    async def webhook(request: Request) -> Any:
        try:
            body = await request.json()
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested deeper than the parser goes
            raise RequestValidationError(
                [{"loc": ("body",), "msg": "body is not JSON", "type": "json_invalid"}]) from None
        try:
            if isinstance(body, dict) and "alerts" in body:
                return await gw.receive_alertmanager(AlertmanagerPayload.model_validate(body))
            principal = principal_of(request)
            poster = principal.name if principal.kind in ("user", "key") else None
            return await gw.receive(IncidentPayload.model_validate(body), posted_by=poster)
        except PydanticValidationError as exc:
            raise RequestValidationError(exc.errors(include_url=False)) from None

    @router.get("/incidents", summary="List incidents, newest first, filtered, paginated (X-Total-Count: all matches)")
    async def list_incidents(
            response: Response,
            status: str | None = Query(default=None, max_length=40, pattern=r"^[A-Z_]+$",
                                       description="RECEIVED … RESOLVED, FAILED, JOINED; OPEN = not terminal"),
            target: str | None = Query(default=None, max_length=128, description="container_name"),
            severity: str | None = Query(default=None, max_length=40),
            source: str | None = Query(default=None, max_length=40, description="webhook, alertmanager, prober, nats"),
            since: str | None = Query(default=None, max_length=40,
                                      description="ISO time, or an age such as 30m, 2h, 7d"),
            limit: int = Query(default=100, ge=1, le=1000), offset: int = Query(default=0, ge=0),
    ) -> list[dict[str, Any]]:
        chosen = listing.select(gw.view.all(), status=status, target=target, severity=severity, source=source,
                                since=listing.parse_since(since, now()) if since else None)
        response.headers["X-Total-Count"] = str(len(chosen))
        return [gw.result(s) for s in chosen[offset:offset + limit]]

    @router.get("/incidents/{incident_id}", summary="Get one incident")
    async def get_incident(incident_id: IncidentId) -> dict[str, Any]:
        state = gw.view.get(incident_id)
        if state is None:
            raise NotFoundError(f"Incident {incident_id} not found")
        return gw.result(state)

    async def decide(incident_id: str, body: Decision, request: Request, verdict) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        by = acting_as(request, body.by)
        state = gw.view.get(incident_id)
        needed = state.approval_role if state is not None else None
        principal = principal_of(request)
        if needed and rank(principal.role) < rank(needed):
            raise ForbiddenError(f"this approval needs the {needed} role")
        if (gw.settings.separation_of_duties and state is not None and state.status == "AWAITING_APPROVAL"
                and state.posted_by and principal.kind in ("user", "key") and principal.name == state.posted_by):
            raise ForbiddenError(f"{principal.name} posted this alert; another approver must decide "
                                 "(separation of duties)")
        return await gw.decide(incident_id, lambda s: verdict(s, incident_id, by, body.comment))

    @router.post("/incidents/{incident_id}/approve", summary="Approve a held action (approver role)")
    async def approve_incident(incident_id: IncidentId, request: Request,
                               body: Decision | None = None) -> dict[str, Any]:
        return await decide(incident_id, body or Decision(), request, approvals.approve)

    @router.post("/incidents/{incident_id}/reject", summary="Reject a held action (approver role)")
    async def reject_incident(incident_id: IncidentId, request: Request,
                              body: Decision | None = None) -> dict[str, Any]:
        return await decide(incident_id, body or Decision(), request, approvals.reject)

    return router
