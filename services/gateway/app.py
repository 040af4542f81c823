"""The gateway's dependencies (`Gateway`, built by `open_gateway` for production and tests alike) and its
FastAPI application: one router per resource under services/gateway/routes/, the system, silences, evaluations,
auth and cockpit routers, the body limit and the security middleware."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import uvicorn
from fastapi import FastAPI

from services.gateway import alertmanager, errors
from services.gateway.api_docs import build_docs_router, hoist_nested_definitions
from services.gateway.auth.api import Auth, acting_as, build_auth_router, start_auth
from services.gateway.auth.bootstrap import jwt_secret
from services.gateway.auth.middleware import SecurityMiddleware
from services.gateway.cockpit import build_cockpit_router
from services.gateway.correlations import CorrelationView, result_of
from services.gateway.evaluations_api import build_evaluations_router, start_evaluations
from services.gateway.feed import Hub
from services.gateway.frames import correlation_frames
from services.gateway.limits import BodyLimit
from services.gateway.routes import health, incidents, inventory, knowledge, notifications, reports, scale
from services.gateway.schemas import AlertmanagerPayload, IncidentPayload
from services.gateway.silences_api import build_silences_router
from services.gateway.system_api import build_router as build_system_router
from shared import correlation
from shared.aggregate import decide_and_append
from shared.config import Settings
from shared.errors import ConcurrencyError, NotFoundError, StoreUnavailableError
from shared.events import Envelope, deterministic_id, iso, now
from shared.events import incident as ev
from shared.events.correlation import CORRELATION_STREAM
from shared.events.incident import INCIDENTS_STREAM, IncidentReceived
from shared.events.knowledge import RUNBOOK_STREAM
from shared.events.silences import SILENCES_STREAM
from shared.events.system import INVENTORY_STREAM, SYSTEM_STREAM
from shared.eventstore import EventStore
from shared.nodes import Nodes
from shared.projections.evaluations import EvaluationsView
from shared.projections.incident import PRE_ACTION, IncidentState, evolve
from shared.projections.incidents_view import IncidentsView
from shared.projections.inventory import InventoryView
from shared.projections.projector import Apply, Projector
from shared.projections.runbook import RunbookView
from shared.projections.system_view import SystemView
from shared.silences import SilenceView
from shared.version import __version__


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
    samples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # every node's latest, by kind
    node_samples: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)  # kind → node → latest
    probes: dict[str, dict[str, Any]] = field(default_factory=dict)
    system: SystemView = field(default_factory=SystemView)
    system_projector: Projector | None = None
    performance_history: deque = field(default_factory=lambda: deque(maxlen=1000))
    auth: Auth | None = None  # set by open_gateway, which production and every test of the API use
    evaluations: EvaluationsView = field(default_factory=EvaluationsView)
    evaluations_projector: Projector | None = None
    correlations: CorrelationView = field(default_factory=CorrelationView)
    correlation_projector: Projector | None = None
    silences: SilenceView = field(default_factory=SilenceView)
    primaries: dict[str, str] = field(default_factory=dict)  # correlation key → its primary last seen (a cache)
    silences_projector: Projector | None = None
    projectors: list[Projector] = field(default_factory=list)  # every read model it follows, stopped by close()

    async def follow(self, stream: str, subject: str, apply: Apply, name: str, catch_up: float | None = 60.0
                     ) -> Projector:
        """Start a projector of `stream` into `apply`, owned (and stopped) by this gateway; caught up if asked."""
        projector = Projector(self.store.nc, stream, subject, apply, name)
        self.projectors.append(projector)
        await projector.start()
        if catch_up is not None:
            await projector.catch_up(timeout=catch_up)
        return projector

    async def close(self) -> None:
        """Stop every projector this gateway follows (and the auth read models)."""
        for projector in self.projectors:
            await projector.stop()
        if self.auth is not None:
            await self.auth.stop()

    async def wait_silences(self, seq: int) -> None:
        """Read-your-writes for silences."""
        if self.silences_projector is not None:
            await self.silences_projector.wait_for(seq)

    def on_correlation(self, seq: int, env: Envelope) -> None:
        """Fold a correlation event and tell /ws clients (alert.joined / alert.silenced frames)."""
        self.correlations.apply(seq, env)
        for item in correlation_frames(env, self.correlations):
            self.hub.broadcast(item)

    @cached_property
    def nodes(self) -> Nodes:
        """The node registry (docs/fleet.md), one per gateway so that its short read cache is shared."""
        return Nodes(self.store.nc, self.settings.stream_replicas)

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
                      labels: dict[str, str] | None = None, posted_by: str | None = None) -> dict[str, Any]:
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
                                 silenced=silenced, posted_by=posted_by)
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


async def open_gateway(settings: Settings, store: EventStore, secret: str | None = None,
                       catch_up: float = 120.0) -> Gateway:
    """The one way a Gateway is built (the gateway process and the tests): every read model followed and caught
    up, the auth read models behind their guard (with `auth = false` the guard lets everyone in as local admin)."""
    view, hub = IncidentsView(), Hub(settings.ws_recheck_seconds, settings.ws_max_per_principal)
    view.listeners.append(hub.on_event)
    projector = Projector(store.nc, INCIDENTS_STREAM, "incidents.>", view.apply, "incidents")
    gw = Gateway(settings, store, view, projector, hub)
    gw.projectors.append(projector)
    await projector.start()
    await projector.catch_up(timeout=catch_up)
    await gw.follow(RUNBOOK_STREAM, "runbook.>", gw.runbook.apply, "runbook", catch_up=None)
    await gw.follow(INVENTORY_STREAM, "inventory.>", gw.inventory.apply, "inventory")
    gw.system_projector = await gw.follow(SYSTEM_STREAM, "system.>", gw.system.apply, "system", catch_up=None)
    gw.evaluations, gw.evaluations_projector = await start_evaluations(store.nc, catch_up)
    gw.projectors.append(gw.evaluations_projector)
    gw.correlation_projector = await gw.follow(CORRELATION_STREAM, "correlation.>", gw.on_correlation, "correlation")
    gw.silences_projector = await gw.follow(SILENCES_STREAM, "silences.>", gw.silences.apply, "silences")
    gw.auth = await start_auth(store, settings, secret or jwt_secret(settings))
    return gw


def create_app(gw: Gateway) -> FastAPI:
    """The FastAPI application around a Gateway built by open_gateway (never an unsecured wiring of its own)."""
    if gw.auth is None:
        raise ValueError("the gateway's auth is not started: build the Gateway with open_gateway()")
    app = FastAPI(title="AegisOps Core API", version=__version__, docs_url=None, redoc_url=None,  # api_docs/: no CDN
                  description="Incident intake, status and live feed of the AegisOps remediation pipeline.")
    errors.install(app)
    for module in (incidents, scale, inventory, notifications, knowledge, health, reports):
        app.include_router(module.build_router(gw))
    app.add_api_websocket_route("/ws", gw.hub.serve)  # the live feed (frames.py), on the app itself
    app.include_router(build_system_router(gw))
    app.include_router(build_cockpit_router())
    app.include_router(build_docs_router())
    hoist_nested_definitions(app)
    app.include_router(build_silences_router(gw.store, gw.silences, lambda sid: gw.correlations.silenced[sid],
                                             lambda request: acting_as(request, None), gw.wait_silences))
    if gw.evaluations_projector is not None:
        app.include_router(build_evaluations_router(gw.evaluations, gw.store, gw.evaluations_projector))
    app.add_middleware(BodyLimit, limit=gw.settings.body_limit_bytes)
    app.include_router(build_auth_router(gw.auth))
    app.add_middleware(SecurityMiddleware, guard=gw.auth.guard, record=gw.auth.record)  # outermost: before bodies
    return app


def server_config(app: FastAPI, settings: Settings, host: str, port: int) -> uvicorn.Config:
    """How the gateway is served (the process and the tests that serve it over a socket): X-Forwarded-For is
    believed only from `trusted_proxies` (uvicorn believes it from loopback by default, so any local client
    could pick the address its failed sign-ins and audit lines are counted under); sans-I/O websockets (lower
    per-frame cost for the fan-out) without deflate (frames are small, compressing each costs CPU per client)."""
    trusted = ",".join(settings.trusted_proxies)
    return uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, lifespan="off",
                          proxy_headers=bool(trusted), forwarded_allow_ips=trusted or None, ws_max_size=1 << 20,
                          ws="websockets-sansio", ws_per_message_deflate=False)
