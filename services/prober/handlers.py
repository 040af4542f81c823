"""The prober: one loop per inventory target, process exits as node agents report them, incidents opened and closed."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import aiohttp

from services.prober.checks import check
from services.prober.domain import ProbeResult, TargetHealth, observe, probe_for, remediating, slot_offset
from services.prober.resources import ResourceState, observe_resources
from shared import correlation
from shared.aggregate import decide_and_append
from shared.config import TargetConfig
from shared.errors import AegisError
from shared.events import incident as ev
from shared.events import now
from shared.events.incident import INCIDENTS_STREAM
from shared.inspection import Docker
from shared.jetstream import js_call
from shared.log import get_logger
from shared.process_watch import ProcessTable
from shared.projections.incident import PRE_ACTION
from shared.projections.incidents_view import IncidentsView
from shared.projections.inventory import InventoryView
from shared.projections.projector import Projector
from shared.service import ServiceContext
from shared.silences import SilenceView

log = get_logger("prober")


def fingerprint(target: str) -> str:
    """The fingerprint of the prober's incidents on one target: one open incident per target."""
    return f"probe:{target}"


def new_incident_id(prefix: str, target: TargetConfig) -> str:
    """A fresh id for an incident the prober opens on a target."""
    return f"{prefix}-{target.name.replace('.', '_')}-{uuid.uuid4().hex[:8]}"


class Prober:
    """Probes every target concurrently; a slow target never delays another (each has its own loop)."""

    def __init__(self, ctx: ServiceContext, inventory: InventoryView, view: IncidentsView, projector: Projector):
        self.ctx = ctx
        self.inventory = inventory
        self.view = view
        self.projector = projector
        self.health: dict[str, TargetHealth] = {}
        self.loops: dict[str, list[asyncio.Task[None]]] = {}
        self.opening: dict[str, str] = {}
        self.docker = Docker(ctx.settings.docker_host)
        self.processes = ProcessTable()
        self.http: aiohttp.ClientSession | None = None  # made on the loop, in run()
        self.js = ctx.nc.jetstream()
        self.resources: dict[str, ResourceState] = {}
        self.silences = SilenceView()  # fed by the wiring (silences.>): a silenced target's alerts start nothing

    async def on_metrics(self, msg) -> None:  # type: ignore[no-untyped-def]
        """Resource alerts from the executor's metrics samples (samples.metrics.<node>)."""
        now = time.monotonic()
        for sample in json.loads(msg.data):
            target = self.inventory.get(sample.get("name"))
            if target is None:
                continue
            state = self.resources.setdefault(target.name, ResourceState())
            for alert_type, evidence in observe_resources(state, sample, probe_for(target), now):
                await self.open_resource(target, alert_type, evidence)

    async def open_resource(self, target: TargetConfig, alert_type: str, evidence: str) -> None:
        """One open incident per target and kind of resource alert."""
        fp = f"resource:{target.name}:{alert_type.replace(' ', '_').lower()}"
        if self.view.open_with_fingerprint(fp) is not None:
            return
        await self._open(new_incident_id("res", target), target, alert_type, evidence, fp)

    def open_incident(self, name: str) -> str | None:
        """The prober's non-terminal incident on this target, if any."""
        opening = self.opening.get(name)
        if opening is not None:
            state = self.view.get(opening)
            if state is None or not state.terminal:
                return opening
            self.opening.pop(name, None)
        state = self.view.open_with_fingerprint(fingerprint(name))
        return state.incident_id if state is not None else None

    async def run(self) -> None:
        """Keep one loop per inventory target until the service stops."""
        # One session for every target, with no connection limit (a slow target never makes another wait).
        # Not httpx: a client per target cost an SSL context each (813 MB for 2,000 targets), and one shared
        # httpx pool scans all its connections on every request (it managed 390 checks/s on a full core).
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, limit_per_host=0),
                                          timeout=aiohttp.ClientTimeout(total=None))
        while not self.ctx.stopping.is_set():
            for name, target in list(self.inventory.targets.items()):
                if name not in self.loops:
                    self.health[name] = TargetHealth(name)
                    self.loops[name] = [asyncio.create_task(self.probe_loop(target))]
            for name in [n for n in self.loops if n not in self.inventory.targets]:
                for task in self.loops.pop(name):
                    task.cancel()
            try:
                await asyncio.wait_for(self.ctx.stopping.wait(), 1.0)
            except TimeoutError:
                pass
        for tasks in self.loops.values():
            for task in tasks:
                task.cancel()
        await self.http.close()

    async def probe_loop(self, target: TargetConfig) -> None:
        """Check at the probe's interval, on a fixed schedule (a slow check does not shift the next ones)."""
        probe = probe_for(target)
        next_at = time.monotonic() + slot_offset(target.name, probe.interval)
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        while True:
            late = time.monotonic() - next_at  # how far behind its slot this check starts
            result = await check(target, probe, self.http, self.docker, self.processes)
            await self.on_result(target, result, late=late)
            next_at += probe.interval
            delay = next_at - time.monotonic()
            if delay < 0:  # fell behind: skip the missed slots rather than bursting
                next_at = time.monotonic()
                delay = 0
            await asyncio.sleep(delay)

    async def on_exit(self, msg) -> None:  # type: ignore[no-untyped-def]
        """A process target's exit, reported the moment it happens by its node's agent (samples.exits.<target>),
        not at the next probe: the process lives on that node, where only its agent can watch it."""
        try:
            body = json.loads(msg.data)
            target = self.inventory.get(str(body["target"]))
            pid, node = int(body["pid"]), str(body.get("node", ""))
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable exit report ignored", extra={"subject": msg.subject})
            return
        if target is None or target.kind != "process" or (target.node and node and target.node != node):
            return  # not a process target of the reporting node
        where = f" on node {node}" if node else ""
        await self.on_result(target, ProbeResult(False, f"process {pid} exited{where}", 0.0, time.monotonic()),
                             certain=True)

    async def on_result(self, target: TargetConfig, result: ProbeResult, certain: bool = False,
                        late: float = 0.0) -> None:
        """Fold a result; open or close an incident as the thresholds say; publish the sample."""
        s = self.ctx.settings
        health = self.health.setdefault(target.name, TargetHealth(target.name))
        decisions = observe(health, result, probe_for(target), s.flap_window, s.flap_limit, certain)
        try:
            for decision in decisions:
                if decision == "open":
                    await self.open(target, result)
                elif decision == "recover":
                    await self.recover(target, result)
                else:
                    log.warning("target is flapping; not opening another incident", extra={"target": target.name})
            sample = {"name": target.name, "kind": probe_for(target).kind, "status": health.status,
                      "ok": result.ok, "detail": result.detail, "latency_ms": result.latency_ms,
                      "consecutive_failures": health.consecutive_failures, "checks": health.checks,
                      "flapping": health.flapping(time.monotonic(), s.flap_window, s.flap_limit),
                      "open_incident": self.open_incident(target.name), "time": time.time(),
                      "late_ms": round(late * 1000, 1)}
            await js_call(self.js.publish(f"samples.probes.{target.name}", json.dumps(sample).encode()))
        except AegisError as exc:
            log.warning("probe bookkeeping failed", extra={"target": target.name, "error": str(exc)})

    async def open(self, target: TargetConfig, result: ProbeResult) -> None:
        """One incident per target at a time."""
        if self.open_incident(target.name) is not None:
            return
        await self.see_latest()
        busy = remediating(self.view.open_on_target(target.name), target.name)
        if busy is not None:
            log.info("target down while its remediation runs; not opening another incident",
                     extra={"incident_id": busy, "target": target.name})
            return
        health = self.health[target.name]
        logs = (f"{health.consecutive_failures} consecutive failed {probe_for(target).kind} checks of "
                f"{target.name}; last: {result.detail}")
        iid = new_incident_id("probe", target)
        self.opening[target.name] = iid  # before the append: a concurrent failure must not open a second one
        await self._open(iid, target, "Health check failing", logs, fingerprint(target.name))

    async def see_latest(self) -> None:
        """Bring our view up to the stream's head: the executor appends ActionStarted before it stops a
        process, so after this the restart that caused an exit is known."""
        try:
            info = await js_call(self.js.stream_info(INCIDENTS_STREAM))
            await self.projector.wait_for(info.state.last_seq, timeout=2.0)
        except AegisError as exc:
            log.info("incident view may lag", extra={"error": str(exc)})

    async def _open(self, iid: str, target: TargetConfig, alert_type: str, logs: str, fp: str) -> None:
        """Append the IncidentReceived of a new prober incident (joining the target's open incident, if another
        source got there first) and wait until our own view has it."""
        s, store = self.ctx.settings, self.ctx.store
        key = correlation.key_for(target.name, "prober")
        silence = self.silences.matching(target.name, alert_type, {}, now())
        silenced = silence.created.silence_id if silence is not None else None
        try:
            primary = (await correlation.correlate(store, key, iid, self.view.get, now(), s.correlation_window_seconds,
                                                   alert_type, "prober")
                       if s.correlation and key and silenced is None else None)
            event = ev.IncidentReceived(alert_type=alert_type, logs=logs, container_name=target.name,
                                        severity="CRITICAL", source="prober", fingerprint=fp, joined=primary,
                                        silenced=silenced)
            seq = await store.append(iid, [event], expected_seq=0)
            if silenced is not None:
                await correlation.record_silenced(store, silenced, iid, "prober", alert_type, target.name, now())
            elif primary is not None and key is not None:
                await correlation.record_join(store, key, primary, iid, "prober", alert_type, "CRITICAL", now())
        except AegisError as exc:
            log.warning("could not open an incident", extra={"target": target.name, "error": str(exc)})
            return
        log.warning("incident opened by the prober", extra={"incident_id": iid, "target": target.name,
                                                           "alert_type": alert_type})
        await self.projector.wait_for(seq)

    async def recover(self, target: TargetConfig, result: ProbeResult) -> None:
        """Close the open incident without action if no action has started."""
        iid = self.open_incident(target.name)
        if iid is None:
            return

        def decide(state):  # type: ignore[no-untyped-def]
            if state is None or state.status not in PRE_ACTION:
                return []
            return [ev.IncidentRecovered(reason=f"{target.name} answered again ({result.detail})", by="prober")]

        await decide_and_append(self.ctx.store, iid, decide)
