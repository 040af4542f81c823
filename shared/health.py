"""One health check of a target (wait for its port, then GET its health URL): the executor verifies a fix with it,
the analyst looks at a target with it at decision time."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

from shared.config import TargetConfig


@dataclass(frozen=True)
class HealthResult:
    """The outcome of one health check."""

    healthy: bool
    detail: str
    latency_ms: float
    reachable: bool


def health_url(target: TargetConfig) -> str:
    """The target's health URL (default http://127.0.0.1:<port>/health)."""
    return target.health_url or f"http://127.0.0.1:{target.port}/health"


async def wait_port(port: int, timeout: float, host: str = "127.0.0.1") -> bool:
    """True as soon as the port accepts a connection, False after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 0.5)
            writer.close()
            return True
        except (TimeoutError, OSError):
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.005)


async def check_once(client: httpx.AsyncClient, target: TargetConfig, wait: float) -> HealthResult:
    """One attempt: up to `wait` seconds for the port to open, then one GET of the health URL."""
    reachable = await wait_port(target.port, wait)
    started = time.perf_counter()
    try:
        response = await client.get(health_url(target))
        healthy = response.status_code == 200
        detail = f"HTTP {response.status_code}"
    except httpx.HTTPError as exc:
        healthy, detail = False, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return HealthResult(healthy, detail, (time.perf_counter() - started) * 1000, reachable)


async def check_now(client: httpx.AsyncClient, target: TargetConfig) -> HealthResult:
    """One attempt that does not wait for the port: a port that is closed now is an answer (the pre-action check,
    the analyst's look at a target when it decides)."""
    return await check_once(client, target, 0.05)
