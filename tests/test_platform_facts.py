"""The analyst's look at a target when it decides: one real health check of the target's health URL over loopback
(a live HTTP server, a closed port, a server that never answers), and which targets it checks at all."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime

import pytest

from aegis.harness import free_port
from services.analyst.platform_facts import gather, health_client, health_now
from shared.config import TargetConfig
from shared.projections.inventory import InventoryView


async def serve(handler) -> tuple[asyncio.AbstractServer, int]:  # type: ignore[no-untyped-def]
    port = free_port()
    return await asyncio.start_server(handler, "127.0.0.1", port), port


def target(port: int, node: str = "") -> TargetConfig:
    return TargetConfig(name="orders-api", port=port, command=["/bin/true"], node=node)


async def answer(status: str):  # type: ignore[no-untyped-def]
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(f"HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".encode())
        await writer.drain()
        writer.close()
    return await serve(handle)


async def check(t: TargetConfig, timeout: float = 1.0) -> tuple[str, str]:
    async with health_client(timeout) as client:
        return await health_now(client, t)


async def test_a_target_answering_200_is_healthy_now():
    server, port = await answer("200 OK")
    async with server:
        assert await check(target(port)) == ("healthy", "a health check now: HTTP 200")


async def test_a_target_answering_503_is_down_now_with_the_status():
    server, port = await answer("503 Service Unavailable")
    async with server:
        state, detail = await check(target(port))
    assert state == "down" and detail == "a health check now: HTTP 503"


async def test_a_closed_port_is_down_now_at_once():
    state, detail = await check(target(free_port()))
    assert state == "down" and "ConnectError" in detail


async def test_a_target_that_never_answers_is_down_after_the_timeout_not_later():
    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    server, port = await serve(hang)
    async with server:
        state, detail = await asyncio.wait_for(check(target(port), 0.3), 10)
    assert state == "down" and "Timeout" in detail


@pytest.mark.parametrize("node, checked", [("", True), ("node-a", True), ("node-b", False)])
async def test_only_a_target_on_this_node_is_checked_now(nc, node: str, checked: bool):
    """The target answers 200 now; the prober's last sample (real JetStream) says it was down. A target on this node
    (or on none) is checked now; another node's is known by that sample."""
    server, port = await answer("200 OK")
    inventory = InventoryView()
    inventory.targets["orders-api"] = target(port, node)
    js = nc.jetstream()
    await js.publish("samples.probes.orders-api", json.dumps(
        {"name": "orders-api", "status": "down", "ok": False, "detail": "refused", "consecutive_failures": 3,
         "time": time.time()}).encode())
    async with server, health_client(1.0) as client:
        facts = await gather(js, "orders-api", inventory, None, "INC-1", datetime.now(UTC), 30, 60, client,
                             node="node-a")
    assert facts.known_target
    assert (facts.probe, facts.probe_detail) == (("healthy", "a health check now: HTTP 200") if checked
                                                 else ("down", "refused"))


async def test_an_unknown_target_is_not_checked_and_gives_no_facts(nc):
    async with health_client(1.0) as client:
        facts = await gather(nc.jetstream(), "not-in-inventory", InventoryView(), None, "INC-1", datetime.now(UTC),
                             30, 60, client)
    assert not facts.known_target and facts.probe is None
