"""The gateway's HTTP contract, in process against a real nats-server: shapes, errors, limits."""

from __future__ import annotations

import asyncio

import pytest

from services.gateway.app import Gateway
from services.gateway.feed import Hub
from shared.config import load_settings
from shared.errors import StoreUnavailableError
from shared.projections.incidents_view import IncidentsView
from tests.support.builders import Given, happy_path

pytestmark = pytest.mark.integration


PAYLOAD = {"incident_id": "550e8400-e29b-41d4-a716-446655440000", "alert_type": "Memory Leak",
           "logs": "ERROR: Memory usage at 98%. Object count: 1,500,000...", "container_name": "buggy-app-v2",
           "severity": "CRITICAL", "timestamp": "2026-02-21T03:15:00Z"}


async def test_webhook_answers_the_seed_shape_and_reads_its_own_write(api):
    response = await api.post("/webhook", json=PAYLOAD)
    assert response.status_code == 200
    body = response.json()
    seed = {"incident_id": PAYLOAD["incident_id"], "alert_type": "Memory Leak", "status": "RECEIVED",
            "analysis": None, "council_decision": None, "resolved_at": None, "error": None,
            "replicas_spawned": 0, "timeline": [{"ts": body["timeline"][0]["ts"], "status": "RECEIVED",
                                                 "message": "Incident received via webhook.", "agent": None}]}
    assert {k: body[k] for k in seed} == seed  # the Core API contract's fields, then ours beside them
    assert {k: body[k] for k in set(body) - set(seed)} == {
        "outcome": None,
        "needs_human": False,
        "container_name": PAYLOAD["container_name"],
        "severity": "CRITICAL",
        "source": "webhook",
        "received_at": body["received_at"],
        "joined": None,
        "silenced": None,
        "correlated": {"count": 0},
    }
    got = await api.get(f"/incidents/{PAYLOAD['incident_id']}")
    assert got.status_code == 200 and got.json()["status"] == "RECEIVED"
    listing = (await api.get("/incidents")).json()
    assert [i["incident_id"] for i in listing] == [PAYLOAD["incident_id"]]


async def test_same_incident_id_again_creates_nothing(api, store):
    await api.post("/webhook", json=PAYLOAD)
    results = await asyncio.gather(*(api.post("/webhook", json=PAYLOAD) for _ in range(5)))
    assert all(r.status_code == 200 and r.json()["incident_id"] == PAYLOAD["incident_id"] for r in results)
    assert len(await store.load(PAYLOAD["incident_id"])) == 1


async def test_racing_first_requests_create_one_incident(api, store):
    payload = PAYLOAD | {"incident_id": "race-1"}
    results = await asyncio.gather(*(api.post("/webhook", json=payload) for _ in range(8)))
    assert {r.status_code for r in results} == {200}
    assert len(await store.load("race-1")) == 1


async def test_logs_are_stored_whole(api, store):
    payload = PAYLOAD | {"incident_id": "long-logs", "logs": "x" * 3000}
    assert (await api.post("/webhook", json=payload)).status_code == 200
    assert len((await store.load("long-logs"))[0].envelope.payload.logs) == 3000


@pytest.mark.parametrize(
    "change, field",
    [
        ({"incident_id": None}, "incident_id"),
        ({"incident_id": "has.dots"}, "incident_id"),
        ({"incident_id": "a b"}, "incident_id"),
        ({"alert_type": ""}, "alert_type"),
        ({"logs": 5}, "logs"),
        ({"severity": "APOCALYPTIC"}, "severity"),
        ({"container_name": "x; rm -rf /"}, "container_name"),
        ({"timestamp": "yesterday"}, "timestamp"),
    ],
)
async def test_bad_payload_is_422_with_field_errors_and_stores_nothing(api, store, change, field):
    payload = {k: v for k, v in (PAYLOAD | change).items() if v is not None}
    response = await api.post("/webhook", json=payload)
    assert response.status_code == 422
    assert any(field in err["loc"] for err in response.json()["detail"])
    assert await store.load(PAYLOAD["incident_id"]) == []


async def test_body_over_the_limit_is_413(api, store):
    payload = PAYLOAD | {"logs": "y" * 5000}
    response = await api.post("/webhook", json=payload)
    assert response.status_code == 413 and "larger than 4096" in response.json()["detail"]
    assert await store.load(PAYLOAD["incident_id"]) == []


async def test_unknown_incident_is_404_with_detail(api):
    response = await api.get("/incidents/nope")
    assert response.status_code == 404 and response.json() == {"detail": "Incident nope not found"}


async def test_health_and_docs(api):
    assert (await api.get("/health")).json() == {
        "status": "ok",
        "mode": "GOD_MODE",
        "version": "2.0.0",
        "ws_clients": 0,
    }
    assert (await api.get("/docs")).status_code == 200
    assert (await api.get("/redoc")).status_code == 200
    metrics = await api.get("/metrics/prometheus")
    assert metrics.status_code == 200 and "# HELP aegis_incidents" in metrics.text


async def test_waiting_for_an_incident_to_end_is_woken_by_the_view_not_by_polling():
    view = IncidentsView()
    gw = Gateway(load_settings(environ={}), store=None, view=view, projector=None, hub=Hub())  # type: ignore[arg-type]
    given = Given("scale-1")
    waiting = asyncio.create_task(gw.wait_terminal("scale-1", timeout=5))
    for payload in happy_path():
        await asyncio.sleep(0)
        assert not waiting.done()  # nothing wakes it before the terminal event
        view.apply(given.n + 1, given.env(payload))
    state = await asyncio.wait_for(waiting, 1)
    assert state.status == "RESOLVED" and gw._terminal_waiters == {}
    assert (await gw.wait_terminal("scale-1", timeout=0.01)).status == "RESOLVED"  # already over: at once
    with pytest.raises(StoreUnavailableError, match="did not finish"):
        await gw.wait_terminal("never-ends", timeout=0.05)
    assert gw._terminal_waiters == {}  # a timed-out waiter leaves nothing behind
