"""What AegisOps may act on and what it sees of it: targets with their probe state, containers, metrics, topology."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Header
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from services.gateway import prometheus
from services.gateway.prometheus import consumer_lag
from services.gateway.topology import build_topology, seed_container
from shared.nodes import READ_MAX_AGE, live_nodes

if TYPE_CHECKING:
    from services.gateway.app import Gateway


def build_router(gw: Gateway) -> APIRouter:
    """The inventory routes around a Gateway."""
    router = APIRouter(tags=["inventory"])

    @router.get("/targets", summary="Every inventory target with its probe state")
    async def targets() -> list[dict[str, Any]]:
        out = []
        for name, t in sorted(gw.inventory.targets.items()):
            probe = gw.probes.get(name, {})
            out.append({"name": name, "kind": t.kind, "port": t.port, "health_url": t.health_url,
                        "probe": probe.get("kind"), "status": probe.get("status", "unknown"),
                        "last_detail": probe.get("detail"), "latency_ms": probe.get("latency_ms"),
                        "consecutive_failures": probe.get("consecutive_failures", 0),
                        "flapping": probe.get("flapping", False), "open_incident": probe.get("open_incident")})
        return out

    @router.get("/containers", summary="Containers and process targets (latest sample)")
    async def containers() -> list[dict[str, Any]]:
        return [seed_container(c) for c in gw.samples.get("containers", [])]

    @router.get("/metrics", summary="Container metrics (Core API contract JSON), or Prometheus exposition if asked")
    async def metrics(accept: str = Header(default="*/*")) -> Any:
        if prometheus.wants_prometheus(accept):
            return Response(prometheus.exposition(gw, await consumer_lag(gw)), media_type=CONTENT_TYPE_LATEST)
        return gw.samples.get("metrics", [])

    @router.get("/topology", summary="Service topology: agent, apps, replicas, load balancers")
    async def topology() -> dict[str, Any]:
        live = live_nodes(await gw.nodes.beats(max_age=READ_MAX_AGE), time.time())
        return build_topology(gw.samples.get("containers", []), gw.inventory, live)

    return router
