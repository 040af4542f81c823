"""The platform's own evidence about a target at decision time (I/O): its health now (one check of its health URL,
else the prober's latest sample), latest process or container sample, recent restarts and verified fixes, and its
inventory version history."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

import httpx
from nats.js import JetStreamContext

from services.analyst.diagnosis import Platform, PreviousFix
from shared.config import TargetConfig
from shared.health import check_now
from shared.jetstream import SAMPLES_STREAM
from shared.log import get_logger
from shared.nodes import samples_subject
from shared.projections.inventory import InventoryView
from shared.projections.target_history import TargetHistory

log = get_logger("analyst.platform")
SAMPLE_MAX_AGE = 60.0  # seconds: an older probe result says nothing about now
SLOW_PROBE_MS = 2000.0
CHECK_NOW_TIMEOUT = 1.0  # seconds: a target that does not answer its health URL within this is not healthy now


def health_client(health_check_timeout: float) -> httpx.AsyncClient:
    """The analyst's one client for its checks at decision time: a client costs ~24 ms of CPU to build (its TLS
    context), too much to pay per incident."""
    return httpx.AsyncClient(timeout=min(health_check_timeout, CHECK_NOW_TIMEOUT))


def probe_state(sample: dict, at: float) -> tuple[str | None, str]:
    """down | slow | healthy from the prober's latest sample (None when unknown or stale)."""
    if at - float(sample.get("time", 0)) > SAMPLE_MAX_AGE:
        return None, ""
    detail = str(sample.get("detail", ""))[:120]
    if sample.get("status") == "down" or (not sample.get("ok") and sample.get("consecutive_failures", 0) >= 2):
        return "down", detail
    if sample.get("ok") and float(sample.get("latency_ms", 0)) >= SLOW_PROBE_MS:
        return "slow", f"{sample.get('latency_ms')} ms"
    if sample.get("ok"):
        return "healthy", detail
    return None, detail


async def health_now(client: httpx.AsyncClient, target: TargetConfig) -> tuple[str, str]:
    """down | slow | healthy from one health check of the target at this moment (the client's timeout bounds it): an
    alert posted the instant a service dies arrives before the prober's next probe, so only a check now tells "down"
    from "answering"."""
    result = await check_now(client, target)
    if not result.healthy:
        return "down", f"a health check now: {result.detail}"[:120]
    if result.latency_ms >= SLOW_PROBE_MS:
        return "slow", f"{result.latency_ms:.0f} ms"
    return "healthy", f"a health check now: {result.detail}"


async def _last_json(js: JetStreamContext, subject: str) -> object | None:
    try:
        msg = await js.get_last_msg(SAMPLES_STREAM, subject)
        return json.loads(msg.data)
    except Exception:  # noqa: BLE001 - no sample yet, or samples unavailable: the diagnosis goes on without it
        return None


async def gather(js: JetStreamContext, name: str | None, inventory: InventoryView, history: TargetHistory | None,
                 incident_id: str, now: datetime, fix_window_minutes: float, budget_window_minutes: float,
                 client: httpx.AsyncClient, node: str = "") -> Platform:
    """Everything the platform knows about `name` right now; an unknown target gives an empty Platform. A target
    placed on this node (or on none) is checked now; another node's target is known by the prober's latest sample
    (its loopback health URL means nothing from here)."""
    target = inventory.get(name)
    if target is None or name is None:
        return Platform()
    at = time.time()
    probe, detail = None, ""
    if not target.node or target.node == node:
        probe, detail = await health_now(client, target)
    else:
        sample = await _last_json(js, f"samples.probes.{name}")
        if isinstance(sample, dict):
            probe, detail = probe_state(sample, at)
    cpu = memory = None
    metrics = await _last_json(js, samples_subject("metrics", target.node)) if target.node else None
    if isinstance(metrics, list):
        mine = next((m for m in metrics if isinstance(m, dict) and m.get("name") == name), None)
        if mine is not None:
            cpu = float(mine.get("cpu_percent", 0.0))
            if target.kind == "docker":  # a process's memory % is of the host, not of a limit: no signal
                memory = float(mine.get("memory_percent", 0.0))
    changed = inventory.changed_at.get(name)
    deployed = (now - changed).total_seconds() / 60 if changed is not None else None
    restarts, previous = 0, None
    if history is not None:
        restarts = history.count(name, "RESTART", now - timedelta(minutes=budget_window_minutes), exclude=incident_id)
        fix = history.last_fix(name, now, fix_window_minutes, exclude=incident_id)
        if fix is not None:
            previous = PreviousFix(incident_id=fix[2], action=fix[1],
                                   minutes_ago=round((now - fix[0]).total_seconds() / 60, 1),
                                   situation=history.situations.get(fix[2], ""))
    return Platform(known_target=True, probe=probe, probe_detail=detail, deployed_minutes_ago=deployed,
                    rollback_available=inventory.previous(name) is not None, recent_restarts=restarts,
                    cpu_percent=cpu, memory_percent=memory, previous_fix=previous)
