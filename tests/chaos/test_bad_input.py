"""Hostile input at the gateway: a 10 MB log, invalid UTF-8, JSON nested 100,000 deep, garbage on every JSON
route. Each gets a clear 4xx with a reason, never a 5xx, and nothing is stored."""

from __future__ import annotations

import pytest

from services.gateway.roles import ROUTE_ROLES
from shared.config import load_settings
from shared.events.incident import INCIDENTS_STREAM
from tests.support.gateway import SECRET, serve_gateway

pytestmark = pytest.mark.integration
DEEP = b"[" * 100_000 + b"]" * 100_000
NESTED_OBJECT = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
INVALID_UTF8 = b'{"incident_id": "bad-utf8", "alert_type": "x", "logs": "\xff\xfe\xfd"}'


@pytest.fixture
async def gw(store, tmp_path):
    settings = load_settings(environ={}, jwt_secret=SECRET)  # the default 1 MB body limit
    async with serve_gateway(store, settings, tmp_path) as served:
        yield served


async def stored_incidents(store) -> int:  # type: ignore[no-untyped-def]
    return (await store.js.stream_info(INCIDENTS_STREAM)).state.messages


async def test_a_10_mb_log_is_refused_whole(gw, store):
    body = {"incident_id": "huge-log", "alert_type": "Memory Leak", "logs": "x" * (10 * 1024 * 1024)}
    async with gw.client(gw.admin_key) as client:
        response = await client.post("/webhook", json=body)
    assert response.status_code == 413 and "larger than 1048576 bytes" in response.json()["detail"]
    assert await stored_incidents(store) == 0


async def test_invalid_utf8_is_a_422_with_the_reason(gw, store):
    async with gw.client(gw.admin_key) as client:
        response = await client.post("/webhook", content=INVALID_UTF8, headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and "not JSON" in response.text
    assert await stored_incidents(store) == 0


@pytest.mark.parametrize("body", [DEEP, NESTED_OBJECT], ids=["array", "object"])
async def test_json_nested_too_deep_is_a_422_on_every_json_route(gw, store, body):
    routes = sorted(path for (method, path) in ROUTE_ROLES if method == "POST")
    async with gw.client(gw.admin_key) as client:
        for path in routes:
            url = path.replace("{incident_id}", "x").replace("{draft_id}", "y").replace("{user_id}", "u") \
                .replace("{name}", "n").replace("{direction}", "up")
            response = await client.post(url, content=body, headers={"Content-Type": "application/json"})
            supervisor_absent = response.status_code == 503 and "supervisor is not running" in response.text
            assert response.status_code < 500 or supervisor_absent, f"{path}: {response.status_code} {response.text}"
            if response.status_code == 422:
                assert "detail" in response.json()
    assert await stored_incidents(store) == 0
