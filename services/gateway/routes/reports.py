"""Reports from the record (docs/reports.md): one incident's post-incident report, and the judgment report on the
team's own history. Both are read-only (viewer role) and written by pure templates in services/gateway/reports/."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from services.gateway.reports import judgment, postmortem
from services.gateway.schemas import IncidentId
from shared.errors import DomainError, NotFoundError, StoreUnavailableError
from shared.events import now
from shared.wiring import DRAFT_REQUEST

if TYPE_CHECKING:
    from services.gateway.app import Gateway

POLISH_TIMEOUT = 60.0
MARKDOWN = "text/markdown; charset=utf-8"


def build_router(gw: Gateway) -> APIRouter:
    """The report routes around a Gateway."""
    router = APIRouter(tags=["reports"])

    async def polished(report: postmortem.Report) -> None:
        """An LLM's narrative on top; the template's facts below it stay verbatim (the analyst writes it, through its
        breaker, as it writes notification drafts)."""
        if not gw.settings.llm_model:
            raise DomainError("no LLM is configured (llm_model): the template report is the report; ask without "
                              "polish=true")
        body = json.dumps({"kind": "postmortem", "incident": postmortem.markdown(report)}).encode()
        try:
            reply = json.loads((await gw.store.nc.request(DRAFT_REQUEST, body, timeout=POLISH_TIMEOUT)).data)
        except Exception:  # noqa: BLE001 - no analyst answering in time
            raise StoreUnavailableError("the analyst did not answer the polish request; try without polish=true") \
                from None
        if "error" in reply:
            raise StoreUnavailableError(f"the LLM could not polish the report: {reply['error']}")
        report.narrative = {"model": str(reply.get("model", gw.settings.llm_model)), "text": str(reply["body"])}

    @router.get("/incidents/{incident_id}/postmortem", summary="Post-incident report (Markdown, or ?format=json)",
                responses={200: {"content": {"text/markdown": {}}}, 404: {"description": "no such incident"}})
    async def incident_postmortem(incident_id: IncidentId, format: Literal["markdown", "json"] = "markdown",  # noqa: A002
                                  polish: bool = False) -> Response:
        if gw.view.get(incident_id) is None:
            raise NotFoundError(f"Incident {incident_id} not found")
        events = [stored.envelope for stored in await gw.store.load(incident_id)]
        if not events:
            raise NotFoundError(f"Incident {incident_id} has no stored events")
        joined = gw.correlations.joined.get(incident_id)
        report = postmortem.build(events, joined.to_json() if joined else None)
        if polish:
            await polished(report)
        if format == "json":
            return JSONResponse(report.to_json())
        return Response(postmortem.markdown(report), media_type=MARKDOWN,
                        headers={"Content-Disposition": f'inline; filename="postmortem-{incident_id}.md"'})

    @router.get("/reports/judgment", summary="How AegisOps's decisions fared on this team's incidents")
    async def judgment_report(since: str = Query(default="30d", max_length=12,
                                                 description="a period: 30d, 12h, 90m, 2w")) -> dict[str, Any]:
        period = judgment.parse_since(since)
        fix_hold = timedelta(minutes=gw.settings.fix_hold_window_minutes)
        return judgment.report(list(gw.view.incidents.values()), period, now(), fix_hold)

    return router
