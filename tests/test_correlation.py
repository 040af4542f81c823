"""One outage, one incident: the pure correlation decision, and concurrent intake on several gateways against a real
nats-server — only one alert opens the incident, every other one joins it and stays queryable by its own id."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from aegis.harness import eventually
from services.gateway.app import create_app, open_gateway
from shared import correlation
from shared.config import load_settings
from shared.events import incident as ev
from shared.events.correlation import CorrelationOpened
from shared.eventstore import EventStore
from tests.support.builders import received, run

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def opened(primary: str = "p", at: datetime = T0) -> CorrelationOpened:
    return CorrelationOpened(token="t", key="target:api", primary=primary, at=at)


def test_the_key_is_the_target_or_configured_alertmanager_group_labels():
    assert correlation.key_for("api", "webhook") == "target:api"
    assert correlation.key_for(None, "webhook") is None
    labels = {"alertname": "TargetDown", "cluster": "eu", "service": "api"}
    assert correlation.key_for("api", "alertmanager", labels, ["cluster", "service"]) == "am:cluster=eu,service=api"
    assert correlation.key_for("api", "alertmanager", labels, []) == "target:api"
    assert correlation.key_for("api", "alertmanager", {"x": "1"}, ["cluster"]) == "target:api"  # no such labels
    assert correlation.token("target:a.b") != correlation.token("target:a_b") and "." not in correlation.token("x.y")


def test_an_open_primary_takes_alerts_and_an_ended_one_only_within_the_window():
    open_state = run(received(container_name="api"))
    assert correlation.decide(None, None, T0, 60) is None
    assert correlation.decide(opened(), open_state, T0, 60) == "p"
    ended = run(received(container_name="api"), ev.IncidentFailed(error="x"))
    end = correlation.ended_at(ended)
    assert correlation.decide(opened(), ended, end + timedelta(seconds=30), 60) == "p"
    assert correlation.decide(opened(), ended, end + timedelta(seconds=90), 60) is None
    assert correlation.decide(opened(), ended, end + timedelta(seconds=1), 0) is None
    assert correlation.decide(opened(), ended, end + timedelta(seconds=5), 60, ended.alert_type) == "p"
    assert correlation.decide(opened(), ended, end + timedelta(seconds=5), 60, "CPU Spike") == "p"  # failed: a human's
    fixed = run(*__import__("tests.test_incident_fold", fromlist=["happy_path"]).happy_path())
    after = correlation.ended_at(fixed) + timedelta(seconds=5)
    assert correlation.decide(opened(), fixed, after, 60, "TargetDown", "webhook") == "p"  # a storm's tail
    assert correlation.decide(opened(), fixed, after, 60, "CPU Spike", "prober") is None  # a new condition seen
    assert correlation.decide(opened(), fixed, after, 60, fixed.alert_type, "prober") == "p"
    assert correlation.decide(opened(), open_state, T0, 60, "CPU Spike") == "p"  # while open: any alert joins


def test_a_primary_nobody_has_seen_is_joined_only_while_fresh():
    assert correlation.decide(opened(at=T0), None, T0 + timedelta(seconds=5), 60) == "p"
    assert correlation.decide(opened(at=T0), None, T0 + timedelta(minutes=5), 60) is None  # its writer died


async def gateway(nc, **settings):
    return await open_gateway(load_settings(environ={}, auth=False, **settings), EventStore(nc, "gateway@test"),
                              secret="t" * 32)


def alert(i: int, target: str = "orders-api", source_tag: str = "a") -> dict:
    return {"incident_id": f"storm-{source_tag}-{i:04d}", "alert_type": ["TargetDown", "HTTP 5xx", "Latency",
                                                                      "Health check failing"][i % 4],
            "severity": "CRITICAL", "logs": "GET /health: connection refused", "container_name": target}


@pytest.mark.integration
async def test_three_gateways_and_900_concurrent_alerts_about_one_target_make_one_incident(nc):
    gateways = [await gateway(nc) for _ in range(3)]
    clients = [httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(g)), base_url="http://gw", timeout=60)
               for g in gateways]
    try:
        posts = [clients[i % 3].post("/webhook", json=alert(i)) for i in range(900)]
        answers = await asyncio.wait_for(asyncio.gather(*posts), 120)
        assert all(a.status_code == 200 for a in answers), [a.text for a in answers if a.status_code != 200][:3]
        bodies = [a.json() for a in answers]
        primaries = {b["incident_id"] for b in bodies if not b["joined"]}
        assert len(primaries) == 1, primaries
        (primary,) = primaries
        assert all(b["joined"] == primary for b in bodies if b["incident_id"] != primary)
        gw = gateways[0]
        await eventually(lambda: gw.correlations.joined.get(primary) and gw.correlations.joined[primary].count == 899,
                         timeout=30, what="every join counted")
        detail = (await clients[0].get(f"/incidents/{primary}")).json()
        assert detail["correlated"]["count"] == 899 and detail["correlated"]["sources"] == {"webhook": 899}
        assert detail["timeline"][-1]["status"] == "CORRELATED"
        one = (await clients[1].get("/incidents/storm-a-0007")).json()
        assert one["joined"] == primary and one["status"] == "JOINED"
        assert any(e["status"] == "JOINED" and primary in e["message"] for e in one["timeline"])
        other = (await clients[2].post("/webhook", json=alert(1, target="billing-api", source_tag="b"))).json()
        assert other["joined"] is None  # another target stays separate
    finally:
        for c in clients:
            await c.aclose()
        for g in gateways:
            await g.projector.stop()
            await g.close()


@pytest.mark.integration
async def test_a_joined_alert_ends_with_its_primarys_outcome_and_correlation_can_be_switched_off(nc, store):
    gw = await gateway(nc)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(gw)), base_url="http://gw")
    try:
        first = (await client.post("/webhook", json=alert(1))).json()
        second = (await client.post("/webhook", json=alert(2))).json()
        assert first["joined"] is None and second["joined"] == first["incident_id"]
        await store.append(first["incident_id"], [ev.IncidentFailed(error="Needs a human: test", needs_human=True)],
                           expected_seq=(await store.load(first["incident_id"]))[-1].seq)
        await eventually(lambda: gw.view.get(first["incident_id"]).terminal, timeout=10, what="primary failed")
        late = (await client.get(f"/incidents/{second['incident_id']}")).json()
        assert late["status"] == "FAILED" and late["error"] == "Needs a human: test" and late["outcome"] == "human"
        off = await gateway(nc, correlation=False)
        lone = await httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(off)),
                                       base_url="http://gw").post("/webhook", json=alert(3))
        assert lone.json()["joined"] is None
        await off.projector.stop()
        await off.close()
    finally:
        await client.aclose()
        await gw.projector.stop()
        await gw.close()


@pytest.mark.integration
async def test_incidents_list_filters_and_pages_newest_first_and_refuses_bad_filters(nc):
    gw = await gateway(nc, correlation=False)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(gw)), base_url="http://gw")
    try:
        for i in range(5):
            await client.post("/webhook", json=alert(i, target="api-a" if i % 2 else "api-b"))
        page = await client.get("/incidents", params={"target": "api-b", "limit": 2})
        assert page.status_code == 200 and page.headers["X-Total-Count"] == "3"
        assert [i["incident_id"] for i in page.json()] == ["storm-a-0004", "storm-a-0002"]
        rest = (await client.get("/incidents", params={"target": "api-b", "limit": 2, "offset": 2})).json()
        assert [i["incident_id"] for i in rest] == ["storm-a-0000"]
        assert len((await client.get("/incidents", params={"status": "OPEN", "since": "5m"})).json()) == 5
        assert (await client.get("/incidents", params={"source": "prober"})).json() == []
        for bad in ({"limit": 0}, {"limit": 5000}, {"offset": -1}, {"since": "yesterday"},
                    {"since": "2026-11-30T12:00:00"}, {"status": "lower case"}):
            answer = await client.get("/incidents", params=bad)
            assert answer.status_code in (400, 422) and next(iter(bad)) in answer.text, (bad, answer.text)
    finally:
        await client.aclose()
        await gw.projector.stop()
        await gw.close()


def test_budget_admission_is_idempotent_per_incident_and_forgets_the_old():
    from shared.budget import admit

    ok, slots = admit([], "a", 100.0, 600, 2)
    assert ok and slots == [(100.0, "a")]
    assert admit(slots, "a", 101.0, 600, 2) == (True, slots)  # a redelivered decision keeps its slot
    ok, slots = admit(slots, "b", 102.0, 600, 2)
    assert ok and admit(slots, "c", 103.0, 600, 2)[0] is False
    assert admit(slots, "c", 800.0, 600, 2)[0] is True  # the window moved on


@pytest.mark.integration
async def test_twenty_simultaneous_restarts_of_one_target_stay_within_a_budget_of_three(nc, store, tmp_path):
    from services.council.handlers import consumers
    from shared.config import TargetConfig
    from shared.consumer import Delivery
    from shared.policy import Budget, Policy
    from shared.projections.inventory import InventoryView
    from shared.projections.target_history import TargetHistory
    from shared.service import ServiceContext
    from tests.support.builders import analysis

    target = TargetConfig(name="orders-api", port=9, command=["/bin/true"])
    inventory = InventoryView()
    inventory.targets[target.name] = target
    ctx = ServiceContext(name="council", settings=load_settings(environ={}, data_dir=str(tmp_path)), nc=nc,
                         store=EventStore(nc, "council@test"))
    policy = Policy(restart_budget=Budget(max=3, window_minutes=10))
    on_analysis = consumers(ctx, inventory, policy, TargetHistory())[0].handler
    envs = []
    for i in range(20):
        iid = f"budget-{i:02d}"
        await store.append(iid, [received(container_name=target.name), ev.AnalysisStarted(analyzer="offline"),
                                 analysis("RESTART")], expected_seq=0)
        envs.append((await store.load(iid))[-1].envelope)

    class Msg:
        async def in_progress(self):
            pass

    delivery = Delivery(msg=Msg(), attempt=1, last_attempt=False)  # type: ignore[arg-type]
    await asyncio.wait_for(asyncio.gather(*(on_analysis(e, delivery) for e in envs)), 60)
    await asyncio.wait_for(asyncio.gather(*(on_analysis(e, delivery) for e in envs)), 60)  # redelivered: same
    decided = [next(s.envelope.payload for s in await store.load(e.incident_id)
                    if isinstance(s.envelope.payload, ev.CouncilDecided)) for e in envs]
    automatic = [d for d in decided if d.decision.final_verdict == "APPROVED" and not d.requires_approval]
    held = [d for d in decided if d.requires_approval]
    assert len(automatic) == 3 and len(held) == 17
    assert all("Restart budget exhausted" in d.decision.votes[2].reasoning for d in held)


@pytest.mark.integration
async def test_silences_catch_matching_alerts_which_are_recorded_and_start_nothing(nc):
    gw = await gateway(nc)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(gw)), base_url="http://gw")
    try:
        made = await client.post("/silences", json={"matchers": {"target": "orders-*", "alert_name": "latency|5xx",
                                                                 "labels": {}},
                                                    "duration": "2h", "comment": "deploy window"})
        assert made.status_code == 201, made.text
        silence = made.json()
        assert silence["state"] == "active" and silence["created_by"] and silence["silenced_alerts"] == 0
        caught = (await client.post("/webhook", json=alert(2))).json()  # "Latency" on orders-api
        assert caught["status"] == "SILENCED" and caught["silenced"] == silence["id"] and caught["joined"] is None
        assert caught["timeline"][-1]["status"] == "SILENCED"
        other = (await client.post("/webhook", json=alert(0))).json()  # "TargetDown": not matched
        assert other["status"] == "RECEIVED" and other["silenced"] is None
        await eventually(lambda: gw.correlations.silenced[silence["id"]] == 1, timeout=10, what="counted")
        listed = (await client.get("/silences")).json()
        assert listed[0]["id"] == silence["id"] and listed[0]["silenced_alerts"] == 1
        expired = await client.delete(f"/silences/{silence['id']}")
        assert expired.status_code == 200 and expired.json()["state"] == "expired"
        after = (await client.post("/webhook", json=alert(6))).json()  # "Latency" again: no longer silenced
        assert after["silenced"] is None
        assert (await client.delete("/silences/sil-000000000000")).status_code == 404
        assert (await client.delete("/silences/not-an-id")).status_code == 422
    finally:
        await client.aclose()
        await gw.projector.stop()
        await gw.close()


@pytest.mark.integration
@pytest.mark.parametrize("body, reason", [
    ({"matchers": {"alert_name": "(unclosed"}, "duration": "1h", "comment": "c"}, "not a valid regular expression"),
    ({"matchers": {"target": "api"}, "starts_at": "2099-12-01T10:00:00Z", "ends_at": "2099-12-01T09:00:00Z",
      "comment": "c"}, "ends_at must be after starts_at"),
    ({"matchers": {"target": "api"}, "duration": "1h", "comment": "c", "colour": "red"}, "colour"),
    ({"matchers": {"target": "api"}, "comment": "c"}, "either ends_at or duration"),
    ({"matchers": {}, "duration": "1h", "comment": "c"}, "at least one matcher"),
    ({"matchers": {"target": "api; rm -rf /"}, "duration": "1h", "comment": "c"}, "target must be a glob"),
    ({"matchers": {"target": "api"}, "duration": "1h", "comment": ""}, "comment"),
    ({"matchers": {"target": "api"}, "ends_at": "2020-01-01T00:00:00Z", "comment": "c"}, "already be over"),
    ({"matchers": {"target": "api", "labels": {"bad-name": "x"}}, "duration": "1h", "comment": "c"},
     "not a Prometheus label name"),
])
async def test_an_invalid_silence_is_refused_with_the_reason_and_nothing_is_stored(nc, body, reason):
    gw = await gateway(nc)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(gw)), base_url="http://gw")
    try:
        answer = await client.post("/silences", json=body)
        assert answer.status_code == 422 and reason in answer.text, answer.text
        assert (await client.get("/silences")).json() == []
    finally:
        await client.aclose()
        await gw.projector.stop()
        await gw.close()


def test_an_expired_or_pending_silence_silences_nothing():
    from shared.events.silences import SilenceCreated
    from shared.silences import Silence

    s = Silence(SilenceCreated(silence_id="sil-1", target="api*", alert_name="down", starts_at=T0,
                               ends_at=T0 + timedelta(hours=1), comment="c", created_by="me"))
    assert s.state(T0 - timedelta(seconds=1)) == "pending" and s.state(T0 + timedelta(hours=2)) == "expired"
    assert s.state(T0) == "active" and s.matches("api-1", "Service DOWN", {})
    assert not s.matches("web", "Service DOWN", {}) and not s.matches("api-1", "Latency", {})


@pytest.mark.integration
async def test_a_budget_slot_is_given_back_when_nothing_ran(nc):
    from shared.budget import Budgets

    budgets = Budgets(nc)
    assert (await budgets.reserve("RESTART", "api", "a", 100.0, 600, 1)).granted
    assert not (await budgets.reserve("RESTART", "api", "b", 101.0, 600, 1)).granted
    await budgets.release("RESTART", "api", "a")
    assert (await budgets.reserve("RESTART", "api", "b", 102.0, 600, 1)).granted
