"""The System API contract's /api/system routes against the real supervisor of `aegis up` and real NATS."""

from __future__ import annotations

import os
import signal

import pytest

from aegis.harness import eventually
from shared.config import Settings
from shared.events.system import BreakerStateChanged
from shared.eventstore import EventStore
from shared.jetstream import connect

WORKER_FIELDS = {"name", "status", "restart_count", "max_restarts", "last_started_at", "last_crashed_at", "error"}


@pytest.fixture(scope="module")
def platform(start_platform):
    plat = start_platform("system", demo=False)
    yield plat


def get(platform, path, **params):
    return platform.get(f"/api/system{path}", params=params, timeout=30)


def post(platform, path):
    return platform.post(f"/api/system{path}", timeout=30)


def statuses(platform):
    return {w["name"]: w["status"] for w in get(platform, "/supervisor").json()["workers"]}


@pytest.mark.e2e
def test_supervisor_status_has_the_seed_shape(platform):
    body = get(platform, "/supervisor").json()
    assert body["running"] is True and body["worker_count"] == 6
    assert all(set(w) == WORKER_FIELDS and w["status"] == "running" for w in body["workers"])
    assert get(platform, "/supervisor/status").json()["worker_count"] == 6


@pytest.mark.e2e
async def test_stop_start_restart_reset_and_their_errors(platform):
    assert post(platform, "/supervisor/workers/notifier/stop").json() == {
        "success": True, "message": "Worker 'notifier' stopped successfully", "worker_name": "notifier"}
    assert statuses(platform)["notifier"] == "stopped"
    again = post(platform, "/supervisor/workers/notifier/stop")
    assert again.status_code == 400 and "not running" in again.json()["detail"]
    degraded = get(platform, "/pipeline").json()["degradation"]
    assert degraded["mode"] == "degraded" and "notifications" not in degraded["available_features"]
    full = get(platform, "/health/full")
    assert full.status_code == 200 and full.json()["status"] == "degraded"
    assert {d["name"] for d in full.json()["dependencies"]} == {"docker", "nginx"}
    assert post(platform, "/supervisor/workers/notifier/start").status_code == 200
    assert post(platform, "/supervisor/workers/notifier/start").status_code == 400
    assert post(platform, "/supervisor/workers/prober/restart").json()["message"] == \
        "Worker 'prober' restarted successfully"
    assert post(platform, "/supervisor/reset/prober").json() == {"success": True,
                                                               "message": "Worker 'prober' restart count reset"}
    assert post(platform, "/supervisor/workers/bad-name!/stop").status_code == 400
    assert post(platform, "/supervisor/workers/nope/stop").status_code == 404
    assert post(platform, "/supervisor/reset/nope").status_code == 404
    history = get(platform, "/supervisor/restart-history", worker_name="prober").json()
    assert history["items"][0]["status"] == "manual" and history["pagination"]["total"] >= 1


@pytest.mark.e2e
async def test_a_crash_shows_in_the_restart_history_with_pagination(platform):
    victim = platform.service_pid("council")
    os.kill(victim, signal.SIGKILL)

    def recorded():
        items = get(platform, "/supervisor/restart-history", worker_name="council").json()["items"]
        return items if [i["status"] for i in items][:2] == ["success", "crashed"] else None

    items = await eventually(recorded, timeout=20, what="crash and restart recorded")
    assert items[1]["error"] == "killed by SIGKILL"
    page = get(platform, "/supervisor/restart-history", limit=1, offset=0).json()
    assert page["pagination"]["items_count"] == 1 and page["pagination"]["has_more"] is True
    assert get(platform, "/supervisor/restart-history", limit=0).status_code == 422
    assert get(platform, "/supervisor/restart-history", limit=101).status_code == 422
    assert get(platform, "/supervisor/restart-history", worker_name="x-y").status_code == 400
    council = next(w for w in get(platform, "/supervisor").json()["workers"] if w["name"] == "council")
    assert council["restart_count"] == 1 and council["last_crashed_at"] and council["error"] == "killed by SIGKILL"


@pytest.mark.e2e
async def test_pipeline_reports_every_stage_and_a_critical_loss(platform):
    body = get(platform, "/pipeline").json()
    stages = {s["stage"] for s in body["stages"]}
    assert stages >= {"analyst", "council", "council-executor-timer", "notifier"}
    assert {s for s in stages if s.startswith("executor-")} == {f"executor-{Settings().node_name}"}  # one node
    assert all(s["pending"] == 0 for s in body["stages"] if s["pending"] is not None)
    post(platform, "/supervisor/workers/executor/stop")
    try:
        assert get(platform, "/pipeline").json()["degradation"]["mode"] == "minimal"
        full = get(platform, "/health/full")
        assert full.status_code == 503 and full.json()["status"] == "unhealthy" and full.json()["ready"] is False
    finally:
        post(platform, "/supervisor/workers/executor/start")
    await eventually(lambda: get(platform, "/health/full").status_code == 200, timeout=20, what="healthy again")


@pytest.mark.e2e
def test_websocket_event_registry_is_generated_from_the_types(platform):
    body = get(platform, "/websocket/events").json()
    types = {t["type"]: t for t in body["event_types"]}
    assert {"incident.new", "ai.stream", "council.vote", "metrics", "approval.requested"} <= set(types)
    assert body["total_count"] == len(body["event_types"]) and body["deprecated_count"] == 0
    vote_schema = types["council.vote"]["payload_schema"]
    assert "CouncilVote" in vote_schema["$defs"] and vote_schema["$defs"]["CouncilVote"]["properties"]["verdict"]
    assert get(platform, "/health/websocket").json()["status"] == "healthy"


@pytest.mark.e2e
async def test_circuit_breakers_listed_and_reset(platform):
    nc = await connect(platform.nats_url, "test", credentials=platform.nats_credentials)
    await EventStore(nc, "analyst@test").append_system(BreakerStateChanged(breaker="llm", state="open",
                                                                           previous="closed", reason="3 failures"))
    await nc.close()
    body = await eventually(
        lambda: (lambda b: b if b["open"] == 1 else None)(get(platform, "/circuit-breakers").json()),
        timeout=10,
        what="open breaker listed",
    )
    assert body["breakers"] == {"llm": "open"}
    reset = post(platform, "/circuit-breakers/llm/reset")
    assert reset.status_code == 200 and get(platform, "/circuit-breakers").json()["breakers"] == {"llm": "closed"}
    assert post(platform, "/circuit-breakers/nope/reset").status_code == 404


@pytest.mark.integration
async def test_supervisor_unreachable_is_503(api):
    response = await api.get("/api/system/supervisor")
    assert response.status_code == 503 and "supervisor is not running" in response.json()["detail"]
    assert (await api.get("/api/system/pipeline")).json()["degradation"]["mode"] == "offline"


@pytest.mark.e2e
async def test_restarting_the_gateway_through_its_own_api_answers_first(platform):
    answer = post(platform, "/supervisor/workers/gateway/restart")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["success"] is True and body["worker_name"] == "gateway" and "restarting" in body["message"]

    def restarted_and_back() -> list:
        try:  # the restart happens after the answer; the new gateway then reports it
            return get(platform, "/supervisor/restart-history", worker_name="gateway").json()["items"]
        except Exception:  # noqa: BLE001 - the gateway is restarting
            return []

    items = await eventually(restarted_and_back, timeout=60, what="the gateway restarted and serving again")
    assert items[0]["status"] == "manual"
    assert get(platform, "/supervisor/status").json()["worker_count"] == 6
