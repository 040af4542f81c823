"""The checks themselves: HTTP (status, body, JSON fields, latency budget), TCP, process alive, container state."""

from __future__ import annotations

import asyncio
import time

import httpx

from services.executor.process_backend import target_pids
from services.prober.domain import ProbeResult
from shared.config import ProbeConfig, TargetConfig


async def check(target: TargetConfig, probe: ProbeConfig, client: httpx.AsyncClient, docker=None) -> ProbeResult:  # type: ignore[no-untyped-def]
    """Run one check, never longer than the probe's timeout."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(probe.timeout):
            ok, detail = await _CHECKS[probe.kind](target, probe, client, docker)
    except TimeoutError:
        ok, detail = False, f"no answer within {probe.timeout:g}s"
    latency = (time.perf_counter() - started) * 1000
    if ok and probe.latency_budget_ms and latency > probe.latency_budget_ms:
        ok, detail = False, f"{latency:.0f} ms is over the {probe.latency_budget_ms:g} ms budget"
    return ProbeResult(ok, detail, round(latency, 2), time.monotonic())


async def _http(target, probe, client, docker):  # type: ignore[no-untyped-def]
    url = target.health_url or f"http://127.0.0.1:{target.port}/health"
    try:
        response = await client.get(url, timeout=probe.timeout)
    except httpx.HTTPError as exc:
        return False, f"GET {url}: {type(exc).__name__} {exc}".strip()
    if response.status_code != probe.expect_status:
        return False, f"GET {url}: HTTP {response.status_code} (expected {probe.expect_status})"
    if probe.expect_body and probe.expect_body not in response.text:
        return False, f"GET {url}: body lacks {probe.expect_body!r}"
    if probe.expect_json:
        try:
            body = response.json()
        except ValueError:
            return False, f"GET {url}: body is not JSON"
        wrong = {k: body.get(k) for k, v in probe.expect_json.items() if not isinstance(body, dict) or body.get(k) != v}
        if wrong:
            return False, f"GET {url}: JSON fields differ: {wrong}"
    return True, f"HTTP {response.status_code}"


async def _tcp(target, probe, client, docker):  # type: ignore[no-untyped-def]
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", target.port)
        writer.close()
        return True, "port open"
    except OSError as exc:
        return False, f"TCP 127.0.0.1:{target.port}: {exc.strerror or exc}"


async def _process(target, probe, client, docker):  # type: ignore[no-untyped-def]
    pids = await asyncio.to_thread(target_pids, target)
    return (True, f"pid {pids[0]}") if pids else (False, "no process of the target is running")


async def _docker(target, probe, client, docker):  # type: ignore[no-untyped-def]
    if docker is None:
        return False, "no Docker engine configured"

    def state() -> str:
        return docker.client.containers.get(target.name).status

    try:
        status = await asyncio.to_thread(state)
    except Exception as exc:  # noqa: BLE001 - missing container or engine: the check fails with the reason
        return False, f"container {target.name}: {exc}"
    return status == "running", f"container {status}"


_CHECKS = {"http": _http, "tcp": _tcp, "process": _process, "docker": _docker}
