"""An alert storm about two outages through `aegis up --demo` with the prober on: 220 alerts from the webhook,
Alertmanager and NATS intake, plus the prober's own — exactly one restart per target, every posted id answers and
ends (or names the incident it joined), and both targets serve again."""

from __future__ import annotations

import asyncio
import json
import os
import signal

import httpx
import pytest

from aegis.harness import demo_ports_free, eventually, wait_gone, wait_sync
from shared.events import incident as ev
from shared.eventstore import EventStore
from shared.inspection import pids_listening_on
from shared.jetstream import connect

pytestmark = pytest.mark.e2e
TARGETS = {"addition-api": 8002, "division-api": 8003}


@pytest.fixture(scope="module")
def platform(start_platform):
    if not demo_ports_free():
        pytest.fail("demo ports 8000/8002-8004 are taken by something else")
    plat = start_platform("platform", demo=True, probes=True)
    yield plat
    plat.shutdown()  # before the factory's teardown: the demo ports must be free when this module ends
    wait_sync(demo_ports_free, timeout=10, what="demo targets stopped")


def storm_alerts(n: int) -> list[dict]:
    names = ("TargetDown", "Health check failing", "HTTP 5xx rate high", "Latency SLO burn")
    return [{"incident_id": f"e2e-storm-{i:03d}", "alert_type": names[i % 4], "severity": "CRITICAL",
             "logs": "GET /health: connection refused", "container_name": list(TARGETS)[i % 2]} for i in range(n)]


def am_payload(batch: list[dict]) -> dict:
    return {"version": "4", "status": "firing", "alerts": [
        {"status": "firing", "labels": {"alertname": a["alert_type"], "container": a["container_name"]},
         "annotations": {"summary": a["logs"]}, "startsAt": "2026-11-30T12:00:00Z",
         "fingerprint": a["incident_id"].replace("e2e-storm-", "fp")} for a in batch]}


async def test_two_outages_and_220_alerts_from_every_source_make_one_restart_per_target(platform):
    old = {name: pids_listening_on(port) for name, port in TARGETS.items()}
    for pids in old.values():
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        wait_gone(pids)
    alerts = storm_alerts(220)
    nc = await connect(platform.nats_url, "test-storm", credentials=platform.nats_credentials)
    posted: list[str] = []
    async with httpx.AsyncClient(timeout=60, headers=platform.auth) as client:
        calls = []
        i = 0
        while i < len(alerts):
            kind = ("webhook", "alertmanager", "nats")[(i // 10) % 3]
            if kind == "alertmanager":
                batch = alerts[i:i + 10]
                posted += [f"am-{a['incident_id'].replace('e2e-storm-', 'fp')}-20261130T12000" for a in batch]
                calls.append(client.post(f"{platform.url}/webhook", json=am_payload(batch)))
                i += 10
                continue
            a = alerts[i]
            posted.append(a["incident_id"])
            if kind == "webhook":
                calls.append(client.post(f"{platform.url}/webhook", json=a))
            else:
                calls.append(nc.request("intake.alerts", json.dumps(a).encode(), timeout=60))
            i += 1
        answers = await asyncio.wait_for(asyncio.gather(*calls), 120)
        for answer in answers:
            if isinstance(answer, httpx.Response):
                assert answer.status_code == 200, answer.text
            else:
                assert json.loads(answer.data).get("incident_id"), answer.data

        unsettled: list = []

        async def every_id_settled():
            states = [(await client.get(f"{platform.url}/incidents/{i}")).json() for i in posted]
            unsettled[:] = [(s.get("incident_id"), s.get("status"), s.get("joined"), s.get("error"))
                            for s in states if s.get("status") not in ("RESOLVED", "FAILED") and not s.get("joined")]
            return None if unsettled else states

        try:
            states = await eventually(every_id_settled, timeout=90, interval=0.5, what="every posted alert settled")
        except AssertionError:
            raise AssertionError(f"not settled: {unsettled[:10]}") from None
    primaries = {s["joined"] or s["incident_id"] for s in states}
    assert len(primaries) == len(TARGETS), primaries  # one per outage, whichever source (the prober too) came first
    async with httpx.AsyncClient(timeout=60, headers=platform.auth) as client:
        async def primaries_ended():
            ended = [(await client.get(f"{platform.url}/incidents/{p}")).json().get("status") for p in primaries]
            return all(s in ("RESOLVED", "FAILED") for s in ended) or None
        await eventually(primaries_ended, timeout=90, interval=0.5, what="both outages' incidents ended")
    store = EventStore(nc, "test")
    starts: dict[str, int] = {}
    listing = httpx.get(f"{platform.url}/incidents", params={"limit": 1000}, headers=platform.auth).json()
    for incident in listing:
        for stored in await store.load(incident["incident_id"]):
            if isinstance(stored.envelope.payload, ev.ActionStarted):
                starts[stored.envelope.payload.target] = starts.get(stored.envelope.payload.target, 0) + 1
    await nc.close()
    assert starts == {"addition-api": 1, "division-api": 1}, (
        starts,
        [(s["incident_id"], s["status"], s.get("error")) for s in listing if not s.get("joined")],
    )
    for name, port in TARGETS.items():
        await eventually(lambda p=port: pids_listening_on(p), timeout=20, what=f"{name} serving again")
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
