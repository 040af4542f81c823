"""Judgment end to end through `aegis up --demo` and POST /webhook, no LLM: an unknown alert goes to a human and is
never closed or learned; a benign one closes only after the target's health check; a real one acts; a fix that did
not hold escalates instead of restarting again."""

from __future__ import annotations

import pytest

from aegis.harness import Platform, demo_ports_free, dump, wait_sync
from shared.inspection import pids_listening_on

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def platform(start_platform):
    if not demo_ports_free():
        pytest.fail("demo ports 8000/8002-8004 are taken by something else")
    # no joining of an ended incident: the second leak alert below must be judged as a new failure
    plat = start_platform("platform", demo=True, config="correlation_window_seconds = 0\n")
    yield plat
    plat.shutdown()  # before the factory's teardown: the demo ports must be free when this module ends
    wait_sync(demo_ports_free, timeout=10, what="demo targets stopped")


def post(platform: Platform, incident_id: str, alert_type: str, logs: str, target: str = "addition-api") -> dict:
    response = platform.webhook({"incident_id": incident_id, "alert_type": alert_type, "severity": "CRITICAL",
                                 "logs": logs, "container_name": target})
    assert response.status_code == 200, response.text
    return platform.wait_terminal(incident_id)


def test_an_unknown_alert_needs_a_human_nothing_runs_and_nothing_is_learned(platform):
    before = pids_listening_on(8003)
    result = post(platform, "judge-unknown-1", "HTTP 5xx rate high", "7% of requests failing over 5m",
                  "division-api")
    assert result["status"] == "FAILED" and result["outcome"] == "human" and result["needs_human"], dump(result)
    assert result["error"].startswith("Needs a human:") and "Manual intervention may be needed" in result["error"]
    assert result["analysis"]["action"] == "NOOP" and result["analysis"]["outcome"] == "human"
    assert "EXECUTING" not in [e["status"] for e in result["timeline"]]
    assert pids_listening_on(8003) == before
    assert "judge-unknown-1" not in {e["incident_id"] for e in platform.get("/runbook").json()["entries"]}


def test_a_benign_alert_closes_only_after_the_targets_health_check(platform):
    before = pids_listening_on(8004)
    result = post(platform, "judge-benign-1", "Watchdog",
                  "This is an alert meant to ensure that the entire alerting pipeline is functional.", "multiply-api")
    assert result["status"] == "RESOLVED" and result["outcome"] == "benign", dump(result)
    assert "passed its health check" in result["timeline"][-1]["message"]
    assert pids_listening_on(8004) == before  # nothing was restarted


def test_a_diagnosed_leak_restarts_and_a_fix_that_does_not_hold_escalates(platform):
    before = pids_listening_on(8002)
    first = post(platform, "judge-oom-1", "JvmHeapExhausted",
                 "java.lang.OutOfMemoryError: Java heap space\nno deploy in 10 days")
    assert first["status"] == "RESOLVED" and first["analysis"]["action"] == "RESTART", dump(first)
    assert "runtime_out_of_memory: matched “" in first["analysis"]["justification"]
    assert set(pids_listening_on(8002)).isdisjoint(before)
    restarted = pids_listening_on(8002)
    again = post(platform, "judge-oom-2", "JvmHeapExhausted",
                 "java.lang.OutOfMemoryError: Java heap space\nno deploy in 10 days")
    assert again["status"] == "FAILED" and again["outcome"] == "human", dump(again)
    assert "the fix did not hold" in again["error"] and "judge-oom-1" in again["error"]
    assert pids_listening_on(8002) == restarted  # no restart loop
