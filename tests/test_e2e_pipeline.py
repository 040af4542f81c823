"""End to end through `aegis up --demo`: real processes, real NATS, real restarts."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import uuid

import httpx
import pytest
import websockets

from aegis.harness import Platform, alert, demo_ports_free, dump, eventually, kill_target, stored_types, wait_sync
from shared.inspection import pids_listening_on, target_pids

pytestmark = pytest.mark.e2e

SEED_TIMELINE = [
    "RECEIVED",
    "RAG_RETRIEVAL",
    "ANALYSING",
    "AI_COMPLETE",
    "COUNCIL_VOTE",
    "COUNCIL_VOTE",
    "COUNCIL_VOTE",
    "COUNCIL_DECISION",
    "APPROVED",
    "EXECUTING",
    "RESTARTED",
    "VERIFYING",
    "RESOLVED",
]
SLOW_TARGET = f"""
executor_ack_wait = 2.0
[[targets]]
name = "slow-api"
port = 8011
command = ["{sys.executable}", "-m", "aegis.demo.calculator", "addition", "--port", "8011", "--boot-delay", "2.5"]
health_url = "http://127.0.0.1:8011/health"
"""


@pytest.fixture(scope="module")
def platform(start_platform, tmp_path_factory):
    if not demo_ports_free():
        pytest.fail("demo ports 8000/8002-8004 are taken by something else")
    tmp = tmp_path_factory.mktemp("platform")
    plat = start_platform(tmp, demo=True, config=SLOW_TARGET)
    yield plat
    for pid in target_pids(_slow_target()):  # a user target: aegis up leaves those running, the test does not
        os.kill(pid, signal.SIGKILL)
    plat.shutdown()
    wait_sync(demo_ports_free, timeout=10, what="demo targets stopped")


def _slow_target():
    import tomllib

    from shared.config import TargetConfig

    return TargetConfig(**tomllib.loads(SLOW_TARGET)["targets"][0])


def test_killed_api_is_restarted_verified_and_resolved(platform):
    old = kill_target(8002)
    with pytest.raises(httpx.ConnectError):
        httpx.get("http://127.0.0.1:8002/health", timeout=1)
    response = platform.webhook(alert("e2e-restart-1", "addition-api"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "RECEIVED" and body["timeline"][0]["message"] == "Incident received via webhook."
    assert platform.incident("e2e-restart-1")["incident_id"] == "e2e-restart-1"  # read-your-writes
    result = platform.wait_terminal("e2e-restart-1")
    assert result["status"] == "RESOLVED", dump(result)
    assert [e["status"] for e in result["timeline"]] == SEED_TIMELINE
    assert result["council_decision"]["summary"] == "Council voted 3/3 APPROVED. Final: APPROVED"
    assert result["analysis"]["action"] == "RESTART" and result["resolved_at"]
    answer = httpx.get("http://127.0.0.1:8002/addition", params={"a": 10, "b": 5}, timeout=5).json()
    assert answer == {"result": 15, "operation": "addition"}
    assert set(pids_listening_on(8002)).isdisjoint(old)


async def next_non_sample_frame(ws):
    """The next frame that is not a periodic system sample: the executor's container/metrics broadcasts reach every
    client on their own clock, so one may land between a ping and its pong (seen in CI)."""
    while True:
        item = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if item["type"] not in ("metrics", "container.list"):
            return item
        assert item["incident_id"] is None, item


async def test_websocket_client_sees_the_frames_in_order(platform):
    kill_target(8004)
    ws_url = platform.ws_url
    async with websockets.connect(ws_url) as ws:
        hello = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert hello["type"] == "heartbeat" and hello["data"] == {"status": "connected"}
        await ws.send("ping")
        pong = await next_non_sample_frame(ws)
        assert pong["type"] == "heartbeat" and pong["data"] == {"status": "alive"}
        assert platform.get("/health").json()["ws_clients"] >= 1
        await asyncio.to_thread(platform.webhook, alert("e2e-ws-1", "multiply-api"))
        frames = []
        while (
            not frames
            or frames[-1]["type"] != "status.update"
            or frames[-1]["data"]["status"] not in ("RESOLVED", "FAILED")
        ):
            item = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if item["incident_id"] == "e2e-ws-1":
                frames.append(item)
    kinds = [f["type"] for f in frames if f["type"] != "status.update"]
    assert kinds == [
        "incident.new",
        "ai.thinking",
        "ai.thinking",
        "ai.complete",
        "council.vote",
        "council.vote",
        "council.vote",
        "council.decision",
        "docker.action",
        "health.check",
        "resolved",
    ], kinds
    statuses = [f["data"]["status"] for f in frames if f["type"] == "status.update"]
    assert statuses == SEED_TIMELINE
    for f in frames:
        assert set(f) == {"type", "incident_id", "data", "timestamp"}
    assert frames[0]["data"] == {
        "incident_id": "e2e-ws-1",
        "alert_type": "Health check failing",
        "logs": "GET /health: connection refused",
    }
    assert next(f for f in frames if f["type"] == "resolved")["data"]["resolved_at"]


async def test_unknown_target_fails_and_nothing_restarts(platform):
    before = {port: pids_listening_on(port) for port in (8000, 8002, 8003, 8004)}
    response = platform.webhook(alert("e2e-unknown-1", "no-such-service"))
    assert response.status_code == 200
    result = platform.wait_terminal("e2e-unknown-1")
    assert result["status"] == "FAILED"
    assert "not in the inventory" in result["error"] and result["council_decision"]["final_verdict"] == "REJECTED"
    assert "incident.action_started.v1" not in await stored_types(platform, "e2e-unknown-1")
    assert {port: pids_listening_on(port) for port in before} == before


async def test_two_concurrent_identical_webhooks_make_one_incident_and_one_restart(platform):
    old = kill_target(8003)
    payload = alert(f"e2e-dup-{uuid.uuid4().hex[:8]}", "division-api")
    async with httpx.AsyncClient(timeout=10, headers=platform.auth) as client:
        first, second = await asyncio.gather(
            client.post(f"{platform.url}/webhook", json=payload), client.post(f"{platform.url}/webhook", json=payload)
        )
    assert first.status_code == second.status_code == 200
    assert first.json()["incident_id"] == second.json()["incident_id"] == payload["incident_id"]
    result = await asyncio.to_thread(platform.wait_terminal, payload["incident_id"])
    assert result["status"] == "RESOLVED"
    types = await stored_types(platform, payload["incident_id"])
    assert types.count("incident.received.v1") == 1 and types.count("incident.action_started.v1") == 1
    again = platform.webhook(payload)  # later duplicate: same incident back, nothing new
    assert again.json()["status"] == "RESOLVED"
    assert await stored_types(platform, payload["incident_id"]) == types
    listing = platform.get("/incidents").json()
    assert sum(i["incident_id"] == payload["incident_id"] for i in listing) == 1
    assert len(pids_listening_on(8003)) == 1 and set(pids_listening_on(8003)).isdisjoint(old)


async def test_executor_killed_during_the_action_still_ends_exactly_once(platform):
    incident = "e2e-executor-kill-1"
    platform.webhook(alert(incident, "slow-api"))
    await eventually(
        lambda: platform.incident(incident).get("status") in ("EXECUTING", "VERIFYING"),
        timeout=20,
        what="action in progress",
    )
    executor = platform.service_pid("executor")
    os.kill(executor, signal.SIGKILL)
    await eventually(lambda: _restarted(platform, executor), timeout=20, what="supervisor restarted the executor")
    result = await asyncio.to_thread(platform.wait_terminal, incident, 60)
    assert result["status"] == "RESOLVED", dump(result)
    types = await stored_types(platform, incident)
    assert types.count("incident.action_started.v1") == 1
    assert types.count("incident.resolved.v1") == 1 and types.count("incident.failed.v1") == 0
    assert [e["status"] for e in result["timeline"]].count("RESOLVED") == 1
    assert httpx.get("http://127.0.0.1:8011/health", timeout=2).status_code == 200


def _restarted(platform: Platform, old_pid: int) -> bool:
    try:
        return platform.service_pid("executor") != old_pid
    except AssertionError:
        return False
