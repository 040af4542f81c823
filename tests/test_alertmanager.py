"""Alertmanager webhooks (version 4) on POST /webhook: firing, grouped, re-sent, resolved, bad payloads."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def am(*alerts, status="firing"):
    return {"version": "4", "status": status, "receiver": "aegis", "groupKey": "{}:{alertname=\"X\"}",
            "alerts": list(alerts)}


def alert(fp, status="firing", name="HighMemory", container="buggy-app-v2", severity="critical"):
    return {"status": status, "fingerprint": fp, "startsAt": "2026-02-21T03:15:00.000Z",
            "labels": {"alertname": name, "severity": severity, "container": container},
            "annotations": {"summary": f"{name} on {container}", "description": "memory above 85% for 5m"}}


async def test_grouped_firing_alerts_become_incidents_once(api, store):
    body = am(alert("a1b2c3"), alert("d4e5f6", name="CPUSpike", severity="warning"))
    first = await api.post("/webhook", json=body)
    assert first.status_code == 200 and first.json()["received"] == 2
    incidents = first.json()["incidents"]
    assert [i["alert_type"] for i in incidents] == ["HighMemory", "CPUSpike"]
    again = await api.post("/webhook", json=body)  # group_interval re-send / HA twin
    assert [i["incident_id"] for i in again.json()["incidents"]] == [i["incident_id"] for i in incidents]
    stored = await store.load(incidents[0]["incident_id"])
    assert len(stored) == 1
    received = stored[0].envelope.payload
    assert received.source == "alertmanager" and received.fingerprint == "a1b2c3"
    assert received.severity == "CRITICAL" and received.container_name == "buggy-app-v2"
    assert "summary: HighMemory on buggy-app-v2" in received.logs and "alertname=HighMemory" in received.logs


async def test_resolved_alert_closes_its_incident_when_nothing_acted(api):
    fired = (await api.post("/webhook", json=am(alert("77aa")))).json()["incidents"][0]
    closed = await api.post("/webhook", json=am(alert("77aa", status="resolved"), status="resolved"))
    result = closed.json()["incidents"][0]
    assert result["incident_id"] == fired["incident_id"] and result["status"] == "RESOLVED"
    assert [e["status"] for e in result["timeline"]][-2:] == ["RECOVERED", "RESOLVED"]
    unknown = await api.post("/webhook", json=am(alert("9999", status="resolved"), status="resolved"))
    assert unknown.json() == {"received": 1, "incidents": []}


@pytest.mark.parametrize("body, where", [
    ({"version": "3", "alerts": [alert("ab")]}, "version"),
    ({"version": "4", "alerts": []}, "alerts"),
    ({"version": "4", "alerts": [{**alert("ab"), "fingerprint": "../etc"}]}, "fingerprint"),
    ({"version": "4", "alerts": [{**alert("ab"), "status": "exploding"}]}, "status"),
])
async def test_bad_alertmanager_payloads_are_422(api, body, where):
    response = await api.post("/webhook", json=body)
    assert response.status_code == 422
    assert any(where in map(str, e["loc"]) for e in response.json()["detail"])


async def test_non_json_body_is_422(api):
    response = await api.post("/webhook", content=b"{nope", headers={"content-type": "application/json"})
    assert response.status_code == 422
