"""The gateway's HTTP and WebSocket API (the Core API contract), reading from projections of the stream."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import msgspec
from fastapi import FastAPI, Header, Query, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import ValidationError as PydanticValidationError

from services.gateway import alertmanager, approvals, errors, listing, operations, prometheus
from services.gateway.auth.api import Auth, build_auth_router, principal_of
from services.gateway.auth.middleware import SecurityMiddleware
from services.gateway.auth.view import rank
from services.gateway.cockpit import build_cockpit_router
from services.gateway.correlations import CorrelationView, result_of
from services.gateway.evaluations_api import build_evaluations_router
from services.gateway.feed import Hub
from services.gateway.frames import correlation_frames
from services.gateway.limits import BodyLimit
from services.gateway.schemas import AlertmanagerPayload, Decision, DraftEdit, IncidentPayload
from services.gateway.silences_api import build_silences_router
from services.gateway.system_api import build_router
from services.gateway.topology import build_topology
from shared import correlation
from shared.aggregate import decide_and_append
from shared.config import Settings
from shared.errors import (
    ActionError,
    ConcurrencyError,
    ForbiddenError,
    NotFoundError,
    StoreUnavailableError,
    ValidationError,
)
from shared.events import Envelope, deterministic_id, iso, now
from shared.events import incident as ev
from shared.events.correlation import CORRELATION_STREAM
from shared.events.incident import IncidentReceived
from shared.events.silences import SILENCES_STREAM
from shared.eventstore import EventStore
from shared.projections.evaluations import EvaluationsView
from shared.projections.incident import PRE_ACTION, IncidentState, evolve
from shared.projections.incidents_view import IncidentsView
from shared.projections.inventory import InventoryView
from shared.projections.projector import Projector, skipped_events
from shared.projections.runbook import RunbookView
from shared.projections.system_view import SystemView
from shared.silences import SilenceView
from shared.version import __version__
from shared.wiring import RAG_QUERY


@dataclass
class Gateway:
    """What the routes read from and write to."""

    settings: Settings
    store: EventStore
    view: IncidentsView
    projector: Projector
    hub: Hub
    runbook: RunbookView = field(default_factory=RunbookView)
    inventory: InventoryView = field(default_factory=InventoryView)
    samples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    probes: dict[str, dict[str, Any]] = field(default_factory=dict)
    system: SystemView = field(default_factory=SystemView)
    system_projector: Projector | None = None
    performance_history: deque = field(default_factory=lambda: deque(maxlen=1000))
    auth: Auth | None = None  # None only in tests of the bare API; the gateway process always secures it
    evaluations: EvaluationsView = field(default_factory=EvaluationsView)
    evaluations_projector: Projector | None = None
    correlations: CorrelationView = field(default_factory=CorrelationView)
    correlation_projector: Projector | None = None
    silences: SilenceView = field(default_factory=SilenceView)
    primaries: dict[str, str] = field(default_factory=dict)  # correlation key → its primary last seen (a cache)
    silences_projector: Projector | None = None

    async def start_projections(self) -> None:
        """Follow the CORRELATION and SILENCES streams (the incidents projector is started by the caller)."""
        self.correlation_projector = Projector(self.store.nc, CORRELATION_STREAM, "correlation.>",
                                               self.on_correlation, "correlation")
        self.silences_projector = Projector(self.store.nc, SILENCES_STREAM, "silences.>", self.silences.apply,
                                            "silences")
        for projector in (self.correlation_projector, self.silences_projector):
            await projector.start()
            await projector.catch_up()

    async def stop_projections(self) -> None:
        """Stop what start_projections() started."""
        for projector in (self.correlation_projector, self.silences_projector):
            if projector is not None:
                await projector.stop()

    async def wait_silences(self, seq: int) -> None:
        """Read-your-writes for silences."""
        if self.silences_projector is not None:
            await self.silences_projector.wait_for(seq)

    def on_correlation(self, seq: int, env: Envelope) -> None:
        """Fold a correlation event and tell /ws clients (alert.joined / alert.silenced frames)."""
        self.correlations.apply(seq, env)
        for item in correlation_frames(env, self.correlations):
            self.hub.broadcast(item)

    def result(self, state: IncidentState) -> dict[str, Any]:
        """The REST shape of one incident (a joined alert ends with its primary's outcome)."""
        return result_of(state, self.view, self.correlations)

    async def sample_performance(self, stopping: asyncio.Event, interval: float) -> None:
        """Every `interval` seconds: totals and the stream's last sequence (for /api/system/performance)."""
        while not stopping.is_set():
            states = list(self.view.incidents.values())
            self.performance_history.append({
                "t": round(asyncio.get_running_loop().time(), 3), "timestamp": iso(now()),
                "incidents": len(states), "resolved": sum(s.status == "RESOLVED" for s in states),
                "failed": sum(s.status == "FAILED" for s in states), "stream_seq": self.projector.applied_seq})
            try:
                await asyncio.wait_for(stopping.wait(), interval)
            except TimeoutError:
                pass

    async def decide(self, incident_id: str, decider) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        """A human's decision on an incident: 404 if it does not exist, else append and answer once applied."""
        if self.view.get(incident_id) is None and not await self.store.load(incident_id):
            raise NotFoundError(f"Incident {incident_id} not found")
        _, seq = await decide_and_append(self.store, incident_id, decider)
        await self.projector.wait_for(seq)
        return self.result(self.view.get(incident_id))  # type: ignore[arg-type]

    def __post_init__(self) -> None:
        self._terminal_waiters: dict[str, list[asyncio.Future[IncidentState]]] = {}
        self.view.listeners.append(self._on_applied)

    def _on_applied(self, previous: IncidentState | None, state: IncidentState, env: Envelope) -> None:
        if state.terminal and state.incident_id in self._terminal_waiters:
            for fut in self._terminal_waiters.pop(state.incident_id):
                if not fut.done():
                    fut.set_result(state)

    async def wait_terminal(self, incident_id: str, timeout: float) -> IncidentState:
        """The incident once RESOLVED or FAILED: woken by the view when it folds the terminal event (no polling)."""
        state = self.view.get(incident_id)
        if state is not None and state.terminal:
            return state
        fut: asyncio.Future[IncidentState] = asyncio.get_running_loop().create_future()
        self._terminal_waiters.setdefault(incident_id, []).append(fut)
        try:
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            raise StoreUnavailableError(f"{incident_id} did not finish within {timeout:g}s") from None
        finally:
            waiting = self._terminal_waiters.get(incident_id)
            if waiting is not None and fut in waiting:
                waiting.remove(fut)
                if not waiting:
                    del self._terminal_waiters[incident_id]

    async def receive(self, payload: IncidentPayload, source: str = "webhook", fingerprint: str | None = None,
                      labels: dict[str, str] | None = None) -> dict[str, Any]:
        """Append IncidentReceived once per incident id; answer only after JetStream acknowledged it. An alert about
        an outage another incident handles joins it (recorded under its own id, starting nothing)."""
        iid = payload.incident_id
        existing = self.view.get(iid)
        if existing is not None:
            return self.result(existing)
        s = self.settings
        at = now()
        silence = self.silences.matching(payload.container_name, payload.alert_type, labels, at)
        silenced = silence.created.silence_id if silence is not None else None
        key = correlation.key_for(payload.container_name, source, labels, s.correlation_group_labels)
        primary = None
        if s.correlation and key is not None and silenced is None:
            primary = await correlation.correlate(self.store, key, iid, self.view.get, at,
                                                  s.correlation_window_seconds, payload.alert_type, source,
                                                  self.primaries)
        event = IncidentReceived(alert_type=payload.alert_type, logs=payload.logs,
                                 container_name=payload.container_name, severity=payload.severity,
                                 timestamp=payload.timestamp, source=source, fingerprint=fingerprint, joined=primary,
                                 silenced=silenced)
        env = self.store.envelope(iid, event, event_id=deterministic_id("received", iid))
        try:
            ack = await self.store.publish(env, expected_seq=0)
        except ConcurrencyError:
            return await self._existing(iid)  # a racing request created it first
        if silenced is not None and not ack.duplicate:
            await correlation.record_silenced(self.store, silenced, iid, source, payload.alert_type,
                                              payload.container_name, env.time)
        elif primary is not None and key is not None and not ack.duplicate:
            await correlation.record_join(self.store, key, primary, iid, source, payload.alert_type,
                                          payload.severity, env.time)
        await self.projector.wait_for(ack.seq)
        if ack.duplicate:
            return await self._existing(iid)
        return self.result(evolve(None, env, ack.seq))

    async def receive_alertmanager(self, payload: AlertmanagerPayload) -> dict[str, Any]:
        """Each firing alert opens (or finds) its incident; a resolved one closes it if nothing acted yet."""
        results = []
        for alert in payload.alerts:
            incident = alertmanager.to_incident(alert, self.settings.alertmanager_target_label)
            if alert.status == "firing":
                results.append(await self.receive(incident, source="alertmanager", fingerprint=alert.fingerprint,
                                                  labels=alert.labels))
                continue
            if self.view.get(incident.incident_id) is None:
                continue
            _, seq = await decide_and_append(self.store, incident.incident_id, lambda s: [ev.IncidentRecovered(
                reason="Alertmanager reports the alert resolved", by="alertmanager")]
                if s is not None and s.status in PRE_ACTION else [])
            await self.projector.wait_for(seq)
            results.append(self.result(self.view.get(incident.incident_id)))  # type: ignore[arg-type]
        return {"received": len(payload.alerts), "incidents": results}

    async def _existing(self, iid: str) -> dict[str, Any]:
        stored = await self.store.load(iid)
        if not stored:
            raise NotFoundError(f"Incident {iid} not found")
        await self.projector.wait_for(stored[-1].seq)
        return self.result(self.view.get(iid))  # type: ignore[arg-type]


def seed_container(c: dict[str, Any]) -> dict[str, Any]:
    """The Core API contract's container shape (the sample also carries replica_of for the topology)."""
    return {k: c[k] for k in ("name", "status", "image", "id")}


async def consumer_lag(gw: Gateway) -> dict[str, int]:
    """Pending messages per durable consumer of the pipeline."""
    from services.gateway.system_api import STAGES
    from shared.events.incident import INCIDENTS_STREAM

    out = {}
    for durable in STAGES:
        try:
            out[durable] = (await gw.store.js.consumer_info(INCIDENTS_STREAM, durable)).num_pending
        except Exception:  # noqa: BLE001 - a consumer not created yet has no lag to report
            continue
    return out


def create_app(gw: Gateway) -> FastAPI:
    """Build the FastAPI application around a Gateway."""
    app = FastAPI(title="AegisOps Core API", version=__version__,
                  description="Incident intake, status and live feed of the AegisOps remediation pipeline.")
    errors.install(app)

    @app.post("/webhook", summary="Receive an incident alert (Core API contract IncidentPayload, or Alertmanager v4)",
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
            return await gw.receive(IncidentPayload.model_validate(body))
        except PydanticValidationError as exc:
            raise RequestValidationError(exc.errors(include_url=False)) from None

    @app.get("/incidents", summary="List incidents, newest first, filtered and paginated (X-Total-Count: all matches)")
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

    @app.get("/incidents/{incident_id}", summary="Get one incident")
    async def get_incident(incident_id: str) -> dict[str, Any]:
        state = gw.view.get(incident_id)
        if state is None:
            raise NotFoundError(f"Incident {incident_id} not found")
        return gw.result(state)

    async def decide(incident_id: str, body: Decision, request: Request, verdict) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        by = acting_as(request, body.by)
        state = gw.view.get(incident_id)
        needed = state.approval_role if state is not None else None
        if needed and rank(principal_of(request).role) < rank(needed):
            raise ForbiddenError(f"this approval needs the {needed} role")
        return await gw.decide(incident_id, lambda s: verdict(s, incident_id, by, body.comment))

    @app.post("/incidents/{incident_id}/approve", summary="Approve a held action (approver role)")
    async def approve_incident(incident_id: str, request: Request, body: Decision | None = None) -> dict[str, Any]:
        return await decide(incident_id, body or Decision(), request, approvals.approve)

    @app.post("/incidents/{incident_id}/reject", summary="Reject a held action (approver role)")
    async def reject_incident(incident_id: str, request: Request, body: Decision | None = None) -> dict[str, Any]:
        return await decide(incident_id, body or Decision(), request, approvals.reject)

    @app.post("/scale/{direction}", summary="Manual scale up or down (an operator decision; no council vote)")
    async def scale(direction: str, request: Request, count: int = Query(default=2),
                    target: str | None = None) -> dict[str, Any]:
        s = gw.settings
        if direction not in ("up", "down"):
            raise ValidationError(f"invalid scale direction {direction!r}: use 'up' or 'down'")
        if direction == "up" and not 1 <= count <= s.max_replicas:
            raise ValidationError(f"count must be between 1 and {s.max_replicas} (MAX_REPLICAS)")
        name = target or s.scale_default_target
        if gw.inventory.get(name) is None:
            raise NotFoundError(f"Target {name} not found in the inventory")
        iid = f"scale-{uuid.uuid4().hex[:16]}"
        events = operations.manual_scale(direction, count, name, acting_as(request, None))
        await gw.store.append(iid, events, expected_seq=0)
        state = await gw.wait_terminal(iid, timeout=120)
        if state.status == "FAILED" or state.scale is None:
            raise ActionError(state.error or "scale did not complete")
        if direction == "down":
            return {"removed": state.scale.removed}
        e = state.scale
        return {"container_base": e.container_base, "replica_count": e.replica_count, "replicas": e.replicas,
                "lb_configured": e.lb_configured, "timestamp": e.timestamp}

    @app.get("/targets", summary="Every inventory target with its probe state")
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

    @app.get("/containers", summary="Containers and process targets (latest sample)")
    async def containers() -> list[dict[str, Any]]:
        return [seed_container(c) for c in gw.samples.get("containers", [])]

    @app.get("/metrics", summary="Container metrics (Core API contract JSON), or Prometheus exposition if asked")
    async def metrics(accept: str = Header(default="*/*")) -> Any:
        if prometheus.wants_prometheus(accept):
            return Response(prometheus.exposition(gw, await consumer_lag(gw)), media_type=CONTENT_TYPE_LATEST)
        return gw.samples.get("metrics", [])

    @app.get("/topology", summary="Service topology: agent, apps, replicas, load balancers")
    async def topology() -> dict[str, Any]:
        return build_topology(gw.samples.get("containers", []), gw.inventory)

    @app.get("/notifications", summary="Notifications of every incident (filter by status, e.g. drafted)")
    async def notifications(status: str | None = None) -> list[dict[str, Any]]:
        return [{"incident_id": st.incident_id, **msgspec.to_builtins(n)} for st in gw.view.all()
                for n in st.notifications if status is None or n.status == status]

    @app.post("/notifications/{incident_id}/{draft_id}/approve", summary="Approve a notification draft")
    async def approve_note(incident_id: str, draft_id: str, request: Request,
                           body: Decision | None = None) -> dict[str, Any]:
        by = acting_as(request, body.by if body else None)
        return await gw.decide(incident_id, lambda s: approvals.approve_draft(s, incident_id, draft_id, by))

    @app.post("/notifications/{incident_id}/{draft_id}/reject", summary="Reject a notification draft")
    async def reject_note(incident_id: str, draft_id: str, request: Request,
                          body: Decision | None = None) -> dict[str, Any]:
        by = acting_as(request, body.by if body else None)
        reason = body.comment if body else ""
        return await gw.decide(incident_id, lambda s: approvals.reject_draft(s, incident_id, draft_id, by, reason))

    @app.post("/notifications/{incident_id}/{draft_id}/edit", summary="Edit a notification draft's subject/body")
    async def edit_note(incident_id: str, draft_id: str, body: DraftEdit, request: Request) -> dict[str, Any]:
        if body.subject is None and body.body is None:
            raise ValidationError("give a new subject, body or both")
        by = acting_as(request, body.by)
        return await gw.decide(incident_id, lambda s: approvals.edit_draft(s, incident_id, draft_id, by, body.subject,
                                                                          body.body))

    @app.get("/runbook", summary="The self-growing runbook (RAG knowledge base)")
    async def runbook() -> dict[str, Any]:
        return gw.runbook.to_json()

    @app.get("/rag/test", summary="Test retrieval with a log text (sees the runbook as of min_seq, default now)")
    async def rag_test(logs: str = Query(min_length=1, max_length=20000),
                       k: int = Query(default=3, ge=1, le=50),
                       min_seq: int | None = Query(default=None, ge=0, description="RUNBOOK stream sequence the "
                                                   "answer must include (default: the stream's last)")
                       ) -> dict[str, Any]:
        request = {"logs": logs, "k": k} | ({"min_seq": min_seq} if min_seq is not None else {})
        try:  # the analyst waits up to rag_fresh_wait for its index, then answers (stale or not)
            reply = await gw.store.nc.request(RAG_QUERY, json.dumps(request).encode(),
                                              timeout=gw.settings.rag_fresh_wait + 15)
        except Exception as exc:  # noqa: BLE001 - no analyst answering is a 503, whatever nats-py raised
            raise StoreUnavailableError(f"retrieval unavailable: no analyst answered ({type(exc).__name__})") from None
        body = json.loads(reply.data)
        if "error" in body:  # the analyst refused the query's input
            raise RequestValidationError([{"loc": ("query",), "msg": body["error"], "type": "value_error"}])
        return body

    @app.get("/health", summary="Gateway health and WebSocket client count")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "mode": "GOD_MODE", "version": __version__, "ws_clients": len(gw.hub.clients)}

    @app.get("/health/db", summary="JetStream (the event store) reachable, with its round trip (AgentOps contract)")
    async def health_db() -> dict[str, Any]:
        started = asyncio.get_running_loop().time()
        try:
            info = await asyncio.wait_for(gw.store.js.account_info(), 2.0)
        except Exception as exc:  # noqa: BLE001 - any failure to answer is "unreachable"
            raise StoreUnavailableError(f"JetStream unreachable ({type(exc).__name__})") from None
        return {"status": "ok", "database": "jetstream", "streams": info.streams,
                "latency_ms": round((asyncio.get_running_loop().time() - started) * 1000, 2)}

    @app.get("/health/ready", summary="Readiness: NATS connected and every read model caught up (AgentOps contract)")
    async def health_ready() -> Response:
        checks = {"nats": gw.store.nc.is_connected, "incidents": gw.projector.caught_up,
                  "auth": gw.auth is None or gw.auth.projector.caught_up}
        ready = all(checks.values())
        # skipped stored events do not make the gateway unready (it serves everything else) but are named here
        body = json.dumps({"status": "ready" if ready else "not ready", "checks": checks,
                           "skipped_events": skipped_events()})
        return Response(body, status_code=200 if ready else 503, media_type="application/json")

    @app.get("/metrics/prometheus", summary="Prometheus metrics of AegisOps itself")
    async def prometheus_metrics() -> Response:
        return Response(prometheus.exposition(gw, await consumer_lag(gw)), media_type=CONTENT_TYPE_LATEST)

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await gw.hub.serve(websocket)

    app.include_router(build_router(gw))
    app.include_router(build_cockpit_router())
    app.include_router(build_silences_router(gw.store, gw.silences, lambda sid: gw.correlations.silenced[sid],
                                             lambda request: acting_as(request, None), gw.wait_silences))
    if gw.evaluations_projector is not None:
        app.include_router(build_evaluations_router(gw.evaluations, gw.store, gw.evaluations_projector))
    app.add_middleware(BodyLimit, limit=gw.settings.body_limit_bytes)
    if gw.auth is not None:
        app.include_router(build_auth_router(gw.auth))
        # outermost: before bodies are read or limited
        app.add_middleware(SecurityMiddleware, guard=gw.auth.guard, record=gw.auth.record)
    return app


def acting_as(request: Request, claimed: str | None) -> str:
    """The name a decision is recorded under: the authenticated principal's. Only without auth (--no-auth,
    bare tests) may a body's "by" or the X-Aegis-User header name someone."""
    principal = principal_of(request)
    if principal.kind in ("user", "key"):
        return principal.name
    return claimed or request.headers.get("x-aegis-user") or principal.name
