"""Human approval end to end: held by policy, approved (CLI), rejected (HTTP), expired (council timer)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import httpx
import pytest
import websockets

from aegis.harness import alert, demo_ports_free, kill_target, stored_types, wait_sync
from shared.inspection import pids_listening_on

pytestmark = pytest.mark.e2e
POLICY = """
approval_ttl_seconds = 4
[[rules]]
match = "*-api"
approval_required = ["RESTART"]
"""


@pytest.fixture(scope="module")
def platform(start_platform, tmp_path_factory):
    wait_sync(demo_ports_free, timeout=15, what="demo ports free")
    tmp = tmp_path_factory.mktemp("approval")
    (tmp / "policy.toml").write_text(POLICY)
    plat = start_platform(tmp, demo=True, config=f'policy_file = "{tmp / "policy.toml"}"\n')
    yield plat


def awaiting(platform, incident_id):
    return wait_sync(lambda: (lambda i: i if i.get("status") == "AWAITING_APPROVAL" else None)(
        platform.incident(incident_id)), timeout=20, what=f"{incident_id} awaiting approval")


async def test_held_restart_is_approved_from_the_cli_then_runs(platform):
    alice = platform.user_key("alice@example.com", "approver")  # before the alert: the 4 s approval TTL is for the CLI
    kill_target(8002)
    async with websockets.connect(platform.ws_url) as ws:
        await ws.recv()
        await asyncio.to_thread(platform.webhook, alert("appr-1", "addition-api"))
        frame = None
        while frame is None or frame["type"] != "approval.requested":
            frame = json.loads(await asyncio.wait_for(ws.recv(), 20))
    assert frame["data"]["required_role"] == "approver" and "requires approval for RESTART" in frame["data"]["reason"]
    held = awaiting(platform, "appr-1")
    assert held["council_decision"]["summary"].endswith("held for human approval")
    proc = subprocess.run([sys.executable, "-m", "aegis.cli", "approve", "appr-1", "-m", "go ahead", "--by", "mallory",
                           "--url", platform.url], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "AEGIS_API_KEY": alice})
    assert proc.returncode == 0 and "appr-1: APPROVED" in proc.stdout
    result = await asyncio.to_thread(platform.wait_terminal, "appr-1")
    assert result["status"] == "RESOLVED"
    statuses = [e["status"] for e in result["timeline"]]
    assert statuses[statuses.index("COUNCIL_DECISION"):statuses.index("EXECUTING")] == [
        "COUNCIL_DECISION", "AWAITING_APPROVAL", "APPROVED"]
    assert any(e["message"] == "Approved by alice@example.com. go ahead" for e in result["timeline"])  # not mallory
    assert httpx.get("http://127.0.0.1:8002/health").status_code == 200


async def test_rejected_by_a_human_fails_and_nothing_runs(platform):
    before = pids_listening_on(8003)
    platform.webhook(alert("appr-2", "division-api"))
    awaiting(platform, "appr-2")
    bob = platform.user_key("bob@example.com", "approver")
    operator = platform.user_key("olga@example.com", "operator")
    refused = platform.post("/incidents/appr-2/reject", json={}, headers={"X-API-Key": operator})
    assert refused.status_code == 403 and "approver" in refused.json()["detail"]
    response = platform.post("/incidents/appr-2/reject", json={"comment": "not during the sale"},
                             headers={"X-API-Key": bob, "X-Aegis-User": "someone-else"})
    assert response.status_code == 200 and response.json()["status"] == "FAILED"
    assert response.json()["error"] == "Rejected by bob@example.com: not during the sale"
    assert "incident.action_started.v1" not in await stored_types(platform, "appr-2")
    assert pids_listening_on(8003) == before
    again = platform.post("/incidents/appr-2/approve", json={})
    assert again.status_code == 409 and "not awaiting approval" in again.json()["detail"]


async def test_nobody_decides_and_the_approval_expires(platform):
    before = pids_listening_on(8004)
    platform.webhook(alert("appr-3", "multiply-api"))
    awaiting(platform, "appr-3")
    result = await asyncio.to_thread(platform.wait_terminal, "appr-3", 30)
    assert result["status"] == "FAILED" and result["error"] == "Approval expired: no approver decided within 4s"
    types = await stored_types(platform, "appr-3")
    assert "incident.approval_expired.v1" in types and "incident.action_started.v1" not in types
    assert pids_listening_on(8004) == before


def test_bad_decisions_are_refused(platform):
    assert platform.post("/incidents/nope/approve", json={}).status_code == 404
    assert platform.post("/incidents/appr-2/approve", json={"by": "a b; rm"}).status_code == 422
    assert platform.post("/incidents/appr-2/approve", json={"sneaky": 1}).status_code == 422
    proc = subprocess.run([sys.executable, "-m", "aegis.cli", "reject", "nope", "--url", platform.url,
                           "--data-dir", str(platform.data_dir)], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1 and "reject refused (404): Incident nope not found" in proc.stderr
    anonymous = subprocess.run([sys.executable, "-m", "aegis.cli", "reject", "nope", "--url", platform.url,
                                "--data-dir", str(platform.data_dir / "elsewhere")],
                               capture_output=True, text=True, timeout=30)
    assert anonymous.returncode == 1 and "reject refused (401): authentication required" in anonymous.stderr


def test_bad_policy_stops_aegis_up_with_the_reason(tmp_path):
    (tmp_path / "policy.toml").write_text("allowed_actions = ['REBOOT']\n")
    (tmp_path / "aegis.toml").write_text(f'policy_file = "{tmp_path / "policy.toml"}"\n')
    proc = subprocess.run([sys.executable, "-m", "aegis.cli", "up", "--config", str(tmp_path / "aegis.toml"),
                           "--data-dir", str(tmp_path / "d")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "invalid policy file" in proc.stderr and "REBOOT" in proc.stderr
