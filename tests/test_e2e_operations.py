"""Operations end to end with three executors: /scale through nginx, /containers, /metrics, /topology, frames."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets

from aegis.harness import demo_ports_free, eventually, wait_sync
from services.executor.process_backend import process_replicas
from shared.config import Settings

pytestmark = pytest.mark.e2e
SEED_METRICS = {"name", "cpu_percent", "memory_mb", "memory_limit_mb", "memory_percent", "net_rx_bytes",
                "net_tx_bytes", "status", "uptime_seconds", "image"}


@pytest.fixture(scope="module")
def platform(start_platform, nginx_binary):
    wait_sync(demo_ports_free, timeout=15, what="demo ports free")
    plat = start_platform("ops", demo=True,
                          config=f'executors = 3\nmetrics_interval_secs = 0.5\nnginx_binary = "{nginx_binary}"\n')
    yield plat


def test_three_executor_processes_run(platform):
    names = {" ".join(c.cmdline()[-2:]) for c in platform.children()}
    assert sum(1 for c in platform.children() if c.cmdline()[-1:] == ["services.executor"]) == 3, names


async def test_scale_up_and_down_through_nginx(platform):
    response = platform.post("/scale/up", params={"count": 2}, timeout=60)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"container_base", "replica_count", "replicas", "lb_configured", "timestamp"}
    assert body["container_base"] == "buggy-app-v2" and body["replica_count"] == 2 and body["lb_configured"]
    assert body["replicas"] == ["buggy-app-v2-replica-1", "buggy-app-v2-replica-2"]
    ports = sorted(p for _, _, p in process_replicas(_target(platform)))
    assert len(ports) == 2
    for _ in range(6):
        assert httpx.get("http://127.0.0.1:8090/health", timeout=2).json() == {"status": "ok"}
    listing = await eventually(lambda: _names(platform) if {"buggy-app-v2-replica-1", "buggy-app-v2-replica-2"}
                               <= _names(platform) else None, timeout=20, what="replicas in /containers")
    assert "addition-api" in listing
    topology = platform.get("/topology").json()
    kinds = {n["id"]: n["type"] for n in topology["nodes"]}
    assert kinds["aegis-agent"] == "agent" and kinds["buggy-app-v2-replica-1"] == "replica"
    here = f"aegis-agent@{Settings().node_name}"  # the node's agents, placed by the control plane
    assert kinds[here] == "agent" and {"from": "aegis-agent", "to": here, "label": "places"} in topology["edges"]
    assert {"from": here, "to": "buggy-app-v2-replica-1", "label": "spawned"} in topology["edges"]
    assert kinds["buggy-app-v2-lb"] == "loadbalancer"
    assert {"from": "buggy-app-v2-lb", "to": "buggy-app-v2-replica-2", "label": "routes"} in topology["edges"]
    down = platform.post("/scale/down", timeout=60)
    assert down.status_code == 200 and sorted(down.json()["removed"]) == body["replicas"]
    await eventually(lambda: process_replicas(_target(platform)) == [], timeout=15, what="replicas stopped")
    scale_incidents = [i for i in platform.get("/incidents").json() if i["incident_id"].startswith("scale-")]
    assert len(scale_incidents) == 2 and all(i["status"] == "RESOLVED" for i in scale_incidents)


def _target(platform):
    from aegis.demo.targets import demo_targets

    return next(t for t in demo_targets() if t.name == "buggy-app-v2")


def _names(platform) -> set[str]:
    return {c["name"] for c in platform.get("/containers").json()}


@pytest.mark.parametrize("path, params, status, detail", [
    ("/scale/sideways", {}, 400, "invalid scale direction"),
    ("/scale/up", {"count": 0}, 400, "count must be between 1 and 5"),
    ("/scale/up", {"count": 9}, 400, "count must be between 1 and 5"),
    ("/scale/up", {"count": 2, "target": "nope"}, 404, "not found in the inventory"),
])
def test_bad_scale_requests(platform, path, params, status, detail):
    response = platform.post(f"{path}", params=params)
    assert response.status_code == status and detail in response.json()["detail"]


async def test_metrics_endpoint_and_frames(platform):
    metrics = await eventually(lambda: platform.get("/metrics").json(), timeout=20, what="metrics")
    assert {m["name"] for m in metrics} >= {"addition-api", "buggy-app-v2"}
    assert all(set(m) == SEED_METRICS for m in metrics)
    assert all(m["memory_mb"] > 0 and m["status"] == "running" for m in metrics)
    kinds = set()
    async with websockets.connect(platform.ws_url) as ws:
        while not {"metrics", "container.list"} <= kinds:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
            kinds.add(frame["type"])
            if frame["type"] == "container.list":
                assert all(set(c) == {"name", "status", "image", "id"} for c in frame["data"])
