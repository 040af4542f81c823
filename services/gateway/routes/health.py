"""The gateway's own health, readiness (with skipped stored events) and Prometheus exposition."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from services.gateway import prometheus
from services.gateway.prometheus import consumer_lag
from shared.errors import StoreUnavailableError
from shared.projections.projector import skipped_events
from shared.version import __version__

if TYPE_CHECKING:
    from services.gateway.app import Gateway


def build_router(gw: Gateway) -> APIRouter:
    """The health routes around a Gateway."""
    router = APIRouter(tags=["health"])

    @router.get("/health", summary="Gateway health and WebSocket client count")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "mode": "GOD_MODE", "version": __version__, "ws_clients": len(gw.hub.clients)}

    @router.get("/health/db", summary="JetStream (the event store) reachable, with its round trip (AgentOps contract)")
    async def health_db() -> dict[str, Any]:
        started = asyncio.get_running_loop().time()
        try:
            info = await asyncio.wait_for(gw.store.js.account_info(), 2.0)
        except Exception as exc:  # noqa: BLE001 - any failure to answer is "unreachable"
            raise StoreUnavailableError(f"JetStream unreachable ({type(exc).__name__})") from None
        return {"status": "ok", "database": "jetstream", "streams": info.streams,
                "latency_ms": round((asyncio.get_running_loop().time() - started) * 1000, 2)}

    @router.get("/health/ready", summary="Readiness: NATS connected and every read model caught up (AgentOps contract)")
    async def health_ready() -> Response:
        checks = {"nats": gw.store.nc.is_connected, "incidents": gw.projector.caught_up,
                  "auth": gw.auth is None or gw.auth.projector.caught_up}
        ready = all(checks.values())
        # skipped stored events do not make the gateway unready (it serves everything else) but are named here
        body = json.dumps({"status": "ready" if ready else "not ready", "checks": checks,
                           "skipped_events": skipped_events()})
        return Response(body, status_code=200 if ready else 503, media_type="application/json")

    @router.get("/metrics/prometheus", summary="Prometheus metrics of AegisOps itself")
    async def prometheus_metrics() -> Response:
        return Response(prometheus.exposition(gw, await consumer_lag(gw)), media_type=CONTENT_TYPE_LATEST)
    return router
