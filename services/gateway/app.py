"""The gateway's HTTP and WebSocket API (seed 001's contract), reading from projections of the stream."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Header, Query, WebSocket
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from aegis import __version__
from services.gateway import approvals, errors
from services.gateway.feed import Hub
from services.gateway.limits import BodyLimit
from services.gateway.schemas import Decision, IncidentPayload
from shared.aggregate import decide_and_append
from shared.config import Settings
from shared.errors import ConcurrencyError, NotFoundError, StoreUnavailableError, ValidationError
from shared.events import deterministic_id
from shared.events.incident import IncidentReceived
from shared.eventstore import EventStore
from shared.metrics import INCIDENTS
from shared.projections.incident import evolve
from shared.live import RAG_QUERY
from shared.projections.incidents_view import IncidentsView
from shared.projections.projector import Projector
from shared.projections.runbook import RunbookView


@dataclass
class Gateway:
    """What the routes read from and write to."""

    settings: Settings
    store: EventStore
    view: IncidentsView
    projector: Projector
    hub: Hub
    runbook: RunbookView = field(default_factory=RunbookView)

    async def receive(self, payload: IncidentPayload, source: str = "webhook") -> dict[str, Any]:
        """Append IncidentReceived once per incident id; answer only after JetStream acknowledged it."""
        iid = payload.incident_id
        existing = self.view.get(iid)
        if existing is not None:
            return existing.to_result()
        event = IncidentReceived(alert_type=payload.alert_type, logs=payload.logs,
                                 container_name=payload.container_name, severity=payload.severity,
                                 timestamp=payload.timestamp, source=source)
        env = self.store.envelope(iid, event, event_id=deterministic_id("received", iid))
        try:
            ack = await self.store.publish(env, expected_seq=0)
        except ConcurrencyError:
            return await self._existing(iid)  # a racing request created it first
        await self.projector.wait_for(ack.seq)
        if ack.duplicate:
            return await self._existing(iid)
        return evolve(None, env, ack.seq).to_result()

    async def _existing(self, iid: str) -> dict[str, Any]:
        stored = await self.store.load(iid)
        if not stored:
            raise NotFoundError(f"Incident {iid} not found")
        await self.projector.wait_for(stored[-1].seq)
        return self.view.get(iid).to_result()  # type: ignore[union-attr]


def create_app(gw: Gateway) -> FastAPI:
    """Build the FastAPI application around a Gateway."""
    app = FastAPI(title="AegisOps Core API", version=__version__,
                  description="Incident intake, status and live feed of the AegisOps remediation pipeline.")
    errors.install(app)

    @app.post("/webhook", summary="Receive an incident alert")
    async def webhook(payload: IncidentPayload) -> dict[str, Any]:
        return await gw.receive(payload)

    @app.get("/incidents", summary="List all incidents")
    async def list_incidents() -> list[dict[str, Any]]:
        return [s.to_result() for s in gw.view.all()]

    @app.get("/incidents/{incident_id}", summary="Get one incident")
    async def get_incident(incident_id: str) -> dict[str, Any]:
        state = gw.view.get(incident_id)
        if state is None:
            raise NotFoundError(f"Incident {incident_id} not found")
        return state.to_result()

    async def decide(incident_id: str, body: Decision, user: str | None, verdict) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        by = body.by or user or "anonymous"
        if gw.view.get(incident_id) is None and not await gw.store.load(incident_id):
            raise NotFoundError(f"Incident {incident_id} not found")
        _, seq = await decide_and_append(gw.store, incident_id, lambda s: verdict(s, incident_id, by, body.comment))
        await gw.projector.wait_for(seq)
        return gw.view.get(incident_id).to_result()  # type: ignore[union-attr]

    @app.post("/incidents/{incident_id}/approve", summary="Approve a held action (approver role)")
    async def approve_incident(incident_id: str, body: Decision | None = None,
                               x_aegis_user: str | None = Header(default=None)) -> dict[str, Any]:
        return await decide(incident_id, body or Decision(), x_aegis_user, approvals.approve)

    @app.post("/incidents/{incident_id}/reject", summary="Reject a held action (approver role)")
    async def reject_incident(incident_id: str, body: Decision | None = None,
                              x_aegis_user: str | None = Header(default=None)) -> dict[str, Any]:
        return await decide(incident_id, body or Decision(), x_aegis_user, approvals.reject)

    @app.get("/runbook", summary="The self-growing runbook (RAG knowledge base)")
    async def runbook() -> dict[str, Any]:
        return gw.runbook.to_json()

    @app.get("/rag/test", summary="Test retrieval with a log text")
    async def rag_test(logs: str = Query(min_length=1, max_length=20000),
                       k: int = Query(default=3, ge=1, le=50)) -> dict[str, Any]:
        try:
            reply = await gw.store.nc.request(RAG_QUERY, json.dumps({"logs": logs, "k": k}).encode(), timeout=15)
        except Exception as exc:  # noqa: BLE001 - no analyst answering is a 503, whatever nats-py raised
            raise StoreUnavailableError(f"retrieval unavailable: no analyst answered ({type(exc).__name__})") from None
        body = json.loads(reply.data)
        if "error" in body:
            raise ValidationError(body["error"])
        return body

    @app.get("/health", summary="Gateway health and WebSocket client count")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "mode": "GOD_MODE", "version": __version__, "ws_clients": len(gw.hub.clients)}

    @app.get("/metrics/prometheus", summary="Prometheus metrics of AegisOps itself")
    async def prometheus() -> Response:
        counts: dict[str, int] = {}
        for state in gw.view.incidents.values():
            counts[state.status] = counts.get(state.status, 0) + 1
        for status, n in counts.items():
            INCIDENTS.labels(status).set(n)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await gw.hub.serve(websocket)

    app.add_middleware(BodyLimit, limit=gw.settings.body_limit_bytes)
    return app
