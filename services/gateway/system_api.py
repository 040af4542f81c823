"""The System API contract's /api/system routes: supervisor control and history, pipeline lag and degradation, WS
event registry, full health and circuit breakers."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import time
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from services.gateway import stats
from services.gateway.registry import registry
from shared.consumer import stage_durables
from shared.errors import AegisError, NotFoundError, StoreUnavailableError, ValidationError
from shared.events import iso, now
from shared.events.incident import INCIDENTS_STREAM
from shared.events.system import BreakerStateChanged
from shared.jetstream import js_call
from shared.nodes import READ_MAX_AGE, UNPLACED, live_nodes, summary
from shared.projections.projector import skipped_events
from shared.version import __version__
from shared.wiring import DURABLES, SUPERVISOR_RPC

WORKER_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]*$")
STAGES = DURABLES  # the pipeline's durable consumers, as shared/wiring.py declares them
PERFORMANCE_INTERVAL = 10.0
CRITICAL = {"gateway", "analyst", "council", "executor"}
FEATURES = {"detection": "prober", "analysis": "analyst", "council": "council", "remediation": "executor",
            "notifications": "notifier"}


def build_router(gw) -> APIRouter:  # type: ignore[no-untyped-def]
    """The /api/system routes around a Gateway."""
    router = APIRouter(prefix="/api/system", tags=["system"])

    async def supervisor(verb: str, name: str = "") -> JSONResponse:
        try:
            reply = await gw.store.nc.request(f"{SUPERVISOR_RPC}.{verb}", json.dumps({"name": name}).encode(),
                                              timeout=15)
        except Exception:  # noqa: BLE001 - no supervisor answering (e.g. services run without aegis up)
            raise StoreUnavailableError("supervisor is not running or not reachable") from None
        body = json.loads(reply.data)
        return JSONResponse(body["body"], status_code=body["code"])

    def checked(name: str) -> str:
        if not WORKER_NAME.match(name):
            raise ValidationError(f"invalid worker name {name!r}: must match {WORKER_NAME.pattern}")
        return name

    @router.get("/nodes", summary="Nodes: their executors (node agents) with their last heartbeat, and their targets")
    async def nodes() -> dict[str, Any]:
        at = time.time()
        listed = {n["node"]: n for n in summary(await gw.nodes.beats(), at)}
        placed: dict[str, list[str]] = {}
        for target in gw.inventory.targets.values():
            placed.setdefault(target.node or UNPLACED, []).append(target.name)
        for node, names in placed.items():  # the inventory says where targets live, even with no agent there
            listed.setdefault(node, {"node": node, "live": False, "agents": [], "last_beat_s": None})
            listed[node]["targets"] = sorted(names)
        out = [{**n, "targets": n.get("targets", []) if n["node"] in placed else []}
               for _, n in sorted(listed.items())]
        return {"nodes": out, "count": len(out), "timestamp": iso(now())}

    @router.get("/supervisor", summary="Supervisor status")
    async def supervisor_status() -> JSONResponse:
        return await supervisor("status")

    router.add_api_route("/supervisor/status", supervisor_status, methods=["GET"], summary="Alias")

    for verb in ("start", "stop", "restart"):
        async def control(name: str, verb: str = verb) -> JSONResponse:  # type: ignore[misc]
            return await supervisor(verb, checked(name))

        router.add_api_route(f"/supervisor/workers/{{name}}/{verb}", control, methods=["POST"],
                             summary=f"{verb.capitalize()} a worker")

    @router.post("/supervisor/reset/{name}", summary="Reset a worker's restart count")
    async def reset(name: str) -> JSONResponse:
        return await supervisor("reset", checked(name))

    @router.get("/supervisor/restart-history", summary="Worker restart history, newest first")
    async def restart_history(worker_name: str | None = None, limit: int = Query(default=50, ge=1, le=100),
                              offset: int = Query(default=0, ge=0)) -> dict[str, Any]:
        if worker_name is not None:
            checked(worker_name)
        items = [i for i in gw.system.history if worker_name is None or i["worker_name"] == worker_name]
        page = items[offset:offset + limit]
        return {"items": page, "pagination": {"total": len(items), "limit": limit, "offset": offset,
                                              "items_count": len(page), "has_more": offset + len(page) < len(items)}}

    async def workers() -> dict[str, str] | None:
        try:
            reply = await gw.store.nc.request(f"{SUPERVISOR_RPC}.status", b"{}", timeout=5)
            return {w["name"]: w["status"] for w in json.loads(reply.data)["body"]["workers"]}
        except Exception:  # noqa: BLE001 - no supervisor: we cannot tell
            return None

    async def agents_live() -> bool:
        """Whether any node agent (`aegis executor --node`, docs/fleet.md) beats: remediation works without a
        supervised executor here (`aegis up --executors 0`)."""
        try:
            return any(live_nodes(await gw.nodes.beats(max_age=READ_MAX_AGE), time.time()).values())
        except AegisError:
            return False

    def degradation(status: dict[str, str] | None, node_agents: bool = False) -> dict[str, Any]:
        open_breakers = [b for b in gw.system.breakers.values() if b["state"] != "closed"]
        if status is None:
            mode = "offline"
        else:
            down = {n.split("_")[0] for n, s in status.items() if s != "running"}
            mode = "minimal" if down & CRITICAL else "degraded" if down or open_breakers else "normal"
        running = {n.split("_")[0] for n, s in (status or {}).items() if s == "running"}
        features = [f for f, service in FEATURES.items() if service in running
                    or (service == "executor" and node_agents)]
        if gw.settings.llm_model and "analysis" in features and not open_breakers:
            features.append("llm_analysis")
        services = [{"name": n, "status": "healthy" if s == "running" else "unhealthy", "last_check": iso(now()),
                     "consecutive_failures": 0 if s == "running" else 1, "error_message": None if s == "running"
                     else f"worker {s}"} for n, s in sorted((status or {}).items())]
        return {"mode": mode, "is_degraded": mode != "normal", "services": services,
                "circuit_breakers": list(gw.system.breakers.values()), "available_features": features}

    @router.get("/pipeline", summary="Per-stage consumer lag, incidents in flight, degradation")
    async def pipeline() -> dict[str, Any]:
        js = gw.store.nc.jetstream()
        stages = []
        for durable in await stage_durables(js):
            try:
                info = await js_call(js.consumer_info(INCIDENTS_STREAM, durable))
                stages.append({"stage": durable, "pending": info.num_pending, "ack_pending": info.num_ack_pending,
                               "redelivered": info.num_redelivered, "waiting": info.num_waiting})
            except NotFoundError:
                stages.append({"stage": durable, "pending": None, "ack_pending": None, "redelivered": None,
                               "waiting": None})
        in_flight: dict[str, int] = {}
        for state in gw.view.incidents.values():
            if not state.terminal:
                in_flight[state.status] = in_flight.get(state.status, 0) + 1
        degraded = degradation(await workers(), await agents_live())
        return {"stages": stages, "incidents_in_flight": in_flight, "degradation": degraded, "timestamp": iso(now())}

    @router.get("/websocket/events", summary="Every WebSocket frame type with its JSON Schema")
    async def websocket_events() -> dict[str, Any]:
        return registry()

    @router.get("/health/websocket", summary="WebSocket feed health")
    async def websocket_health() -> dict[str, Any]:
        return {"status": "healthy", "clients": len(gw.hub.clients), "frame_types": registry()["total_count"],
                "timestamp": iso(now())}

    @router.get("/circuit-breakers", summary="Circuit breakers and their states")
    async def breakers() -> dict[str, Any]:
        states = list(gw.system.breakers.values())
        count = {s: sum(1 for b in states if b["state"] == s) for s in ("open", "half_open", "closed")}
        return {"total": len(states), **count, "breakers": {b["name"]: b["state"] for b in states},
                "details": states}

    @router.post("/circuit-breakers/{name}/reset", summary="Close a circuit breaker")
    async def reset_breaker(name: str) -> dict[str, Any]:
        current = gw.system.breakers.get(name)
        if current is None:
            raise NotFoundError(f"Circuit breaker '{name}' not found")
        seq = await gw.store.append_system(BreakerStateChanged(breaker=name, state="closed",
                                                               previous=current["state"], reason="reset by operator"))
        await gw.system_projector.wait_for(seq)
        return {"success": True, "message": f"Circuit breaker '{name}' reset", "state": "closed"}

    async def dependencies() -> list[dict[str, Any]]:
        """Docker and nginx: not critical (process targets work without them), reported as they are."""

        def docker_state() -> dict[str, Any]:
            from shared.inspection import Docker

            try:
                Docker(gw.settings.docker_host).client.ping()
                return {"name": "docker", "status": "healthy", "critical": False, "message": "engine answers"}
            except Exception as exc:  # noqa: BLE001 - no engine is a state, not an error
                return {"name": "docker", "status": "unavailable", "critical": False, "message": str(exc)[:200]}

        def nginx_state() -> dict[str, Any]:
            binary = shutil.which(gw.settings.nginx_binary)
            pid_file = Path(gw.settings.data_dir) / "nginx" / "nginx.pid"
            running = pid_file.exists()
            return {"name": "nginx", "status": "healthy" if binary else "unavailable", "critical": False,
                    "message": ("load balancer running" if running else "installed; started on first scale")
                    if binary else "nginx is not installed"}

        return [await asyncio.to_thread(docker_state), nginx_state()]

    @router.get("/health/full", summary="Everything AegisOps depends on")
    async def health_full() -> JSONResponse:
        status = await workers()
        nats_ok = gw.store.nc.is_connected
        degr = degradation(status, await agents_live())
        critical_down = degr["mode"] in ("minimal", "offline") or not nats_ok
        overall = "unhealthy" if critical_down else ("degraded" if degr["is_degraded"] else "healthy")
        body = {"status": overall, "ready": not critical_down,
                "message": {"healthy": "All systems operational", "degraded": "Running with reduced features",
                            "unhealthy": "A critical part is down"}[overall],
                "nats": {"name": "nats", "status": "healthy" if nats_ok else "unhealthy",
                         "message": "JetStream connected" if nats_ok else "not connected",
                         "details": {"url": gw.settings.nats_servers}},
                "ai_services": [{"name": "llm", "display_name": "LLM analysis", "status":
                                 "healthy" if "llm_analysis" in degr["available_features"] else "unavailable",
                                 "url": gw.settings.llm_api_base or None,
                                 "circuit_state": gw.system.breakers.get("llm", {}).get("state", "closed")}],
                "dependencies": await dependencies(),
                "circuit_breakers": await breakers(),
                "workers": [{"name": n, "running": s == "running", "critical": n.split("_")[0] in CRITICAL}
                            for n, s in sorted((status or {}).items())],
                "degradation": degr, "skipped_events": skipped_events(),
                "timestamp": iso(now()), "version": __version__}
        return JSONResponse(body, status_code=503 if overall == "unhealthy" else 200)

    @router.get("/performance", summary="Stage latency percentiles, throughput, append rate")
    async def performance() -> dict[str, Any]:
        states = list(gw.view.incidents.values())
        at = now()
        received = {w: sum(1 for x in states if (at - x.created_at).total_seconds() <= w) for w in (60, 300)}
        resolved = {w: sum(1 for x in states if x.resolved_at and (at - x.resolved_at).total_seconds() <= w)
                    for w in (60, 300)}
        history = gw.performance_history
        rate = None
        if len(history) >= 2 and history[-1]["t"] > history[-2]["t"]:
            last, before = history[-1], history[-2]
            rate = round((last["stream_seq"] - before["stream_seq"]) / (last["t"] - before["t"]), 2)
        return {"stages": {name: stats.percentiles(v) for name, v in stats.stage_durations(states).items()},
                "mttr": stats.percentiles(stats.mttr(states)),
                "throughput": {"received_per_min_1m": received[60], "received_per_min_5m": round(received[300] / 5, 2),
                               "resolved_per_min_1m": resolved[60], "resolved_per_min_5m": round(resolved[300] / 5, 2)},
                "append_rate_per_s": rate, "incidents_total": len(states), "timestamp": iso(at)}

    @router.get("/performance/history", summary="Periodic samples of totals and stream position")
    async def performance_history(limit: int = Query(default=100, ge=1, le=1000)) -> dict[str, Any]:
        items = list(gw.performance_history)[-limit:]
        return {"items": items, "count": len(items), "interval_seconds": PERFORMANCE_INTERVAL}

    async def prometheus_targets() -> list[dict[str, Any]]:
        if not gw.settings.prometheus_url:
            raise StoreUnavailableError("Prometheus not configured (AEGIS_PROMETHEUS_URL)")
        try:
            async with httpx.AsyncClient(timeout=5) as client:
                body = (await client.get(f"{gw.settings.prometheus_url}/api/v1/targets")).json()
        except (httpx.HTTPError, ValueError) as exc:
            raise StoreUnavailableError(f"Prometheus unreachable at {gw.settings.prometheus_url}: "
                                        f"{type(exc).__name__}") from None
        return [{"job": t["labels"].get("job", ""), "instance": t["labels"].get("instance", ""),
                 "health": t.get("health", "unknown"), "labels": t["labels"], "last_scrape": t.get("lastScrape"),
                 "last_error": t.get("lastError") or None,
                 "scrape_duration_seconds": t.get("lastScrapeDuration")}
                for t in body.get("data", {}).get("activeTargets", [])]

    @router.get("/monitoring/targets", summary="Prometheus scrape targets (503 when Prometheus is unreachable)")
    async def monitoring_targets() -> dict[str, Any]:
        targets = await prometheus_targets()
        return {"targets": targets, "total": len(targets), "up": sum(t["health"] == "up" for t in targets),
                "down": sum(t["health"] == "down" for t in targets),
                "jobs": sorted({t["job"] for t in targets}), "timestamp": iso(now())}

    @router.get("/monitoring/health", summary="Monitoring stack health")
    async def monitoring_health() -> JSONResponse:
        try:
            targets = await prometheus_targets()
            reachable = True
        except StoreUnavailableError as exc:
            targets, reachable, issue = [], False, exc.message
        jobs: dict[str, dict[str, Any]] = {}
        for t in targets:
            j = jobs.setdefault(t["job"], {"job": t["job"], "total": 0, "up": 0, "down": 0, "unknown": 0})
            j["total"] += 1
            j[t["health"] if t["health"] in ("up", "down") else "unknown"] += 1
        up, down = sum(j["up"] for j in jobs.values()), sum(j["down"] for j in jobs.values())
        healthy = reachable and up >= down
        last = max((t["last_scrape"] for t in targets if t["last_scrape"]), default=None)
        body = {"healthy": healthy, "prometheus_reachable": reachable, "prometheus_url": gw.settings.prometheus_url,
                "targets_summary": list(jobs.values()), "exporters": [],
                "metrics_collection": {"collecting": up > 0, "last_successful_scrape": last,
                                       "scrape_interval_seconds": None, "total_series": None},
                "issues": [] if reachable else [issue], "timestamp": iso(now())}
        return JSONResponse(body, status_code=200 if reachable else 503)

    return router
