"""The checks themselves: HTTP (status, body, JSON fields, latency budget), TCP, process alive, container state."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp

from services.prober.domain import ProbeResult
from shared.config import ProbeConfig, TargetConfig
from shared.process_watch import ProcessTable


async def check(target: TargetConfig, probe: ProbeConfig, client: aiohttp.ClientSession,  # type: ignore[no-untyped-def]
                docker, processes: ProcessTable) -> ProbeResult:
    """Run one check, never longer than the probe's timeout."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(probe.timeout):
            ok, detail = await _CHECKS[probe.kind](target, probe, client, docker, processes)
    except TimeoutError:
        ok, detail = False, f"no answer within {probe.timeout:g}s"
    latency = (time.perf_counter() - started) * 1000
    if ok and probe.latency_budget_ms and latency > probe.latency_budget_ms:
        ok, detail = False, f"{latency:.0f} ms is over the {probe.latency_budget_ms:g} ms budget"
    return ProbeResult(ok, detail, round(latency, 2), time.monotonic())


async def _http(target, probe, client, docker, processes):  # type: ignore[no-untyped-def]
    url = target.health_url or f"http://127.0.0.1:{target.port}/health"
    try:
        async with client.get(url, allow_redirects=False) as response:
            status, raw = response.status, await response.read()  # read it all: the connection is reused
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        return False, f"GET {url}: {type(exc).__name__} {exc}".strip()
    if status != probe.expect_status:
        return False, f"GET {url}: HTTP {status} (expected {probe.expect_status})"
    text = raw.decode("utf-8", "replace")
    if probe.expect_body and probe.expect_body not in text:
        return False, f"GET {url}: body lacks {probe.expect_body!r}"
    if probe.expect_json:
        try:
            body = json.loads(text)
        except ValueError:
            return False, f"GET {url}: body is not JSON"
        wrong = {k: body.get(k) for k, v in probe.expect_json.items() if not isinstance(body, dict) or body.get(k) != v}
        if wrong:
            return False, f"GET {url}: JSON fields differ: {wrong}"
    return True, f"HTTP {status}"


async def _tcp(target, probe, client, docker, processes):  # type: ignore[no-untyped-def]
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", target.port)
        writer.close()
        return True, "port open"
    except OSError as exc:
        return False, f"TCP 127.0.0.1:{target.port}: {exc.strerror or exc}"


async def _process(target, probe, client, docker, processes):  # type: ignore[no-untyped-def]
    pids = await processes.pids(target)
    return (True, f"pid {pids[0]}") if pids else (False, "no process of the target is running")


async def _docker(target, probe, client, docker, processes):  # type: ignore[no-untyped-def]
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
