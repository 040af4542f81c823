"""The CLI against a real `aegis up`: status, incidents, show, replay (and --at), whatif (one, --all), bench --list;
bad input gives a message and a non-zero exit; whatif and replay append nothing."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest

from aegis.harness import alert, demo_ports_free, kill_target, wait_sync
from shared.events.incident import INCIDENTS_STREAM
from shared.events.knowledge import EVALUATIONS_STREAM
from shared.eventstore import EventStore
from shared.jetstream import connect

pytestmark = pytest.mark.e2e
HOLD_RESTARTS = """
[[rules]]
match = "*-api"
approval_required = ["RESTART"]
"""


@pytest.fixture(scope="module")
def platform(start_platform):
    wait_sync(demo_ports_free, timeout=15, what="demo ports free")
    plat = start_platform("cli", demo=True)
    kill_target(8002)
    assert plat.webhook(alert("cli-restart", "addition-api")).status_code == 200
    assert plat.webhook(alert("cli-unknown", "no-such-target")).status_code == 200
    assert plat.wait_terminal("cli-restart")["status"] == "RESOLVED"
    assert plat.wait_terminal("cli-unknown")["status"] == "FAILED"
    yield plat


def aegis(platform, *args: str) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    gateway = ("--url", platform.url, "--data-dir", str(platform.data_dir))
    nats = ("--nats-url", platform.nats_url, "--data-dir", str(platform.data_dir))  # its nats/reader.creds
    extra = nats if args[0] in ("replay", "whatif") else gateway if args[0] != "bench" else ()
    return subprocess.run([sys.executable, "-m", "aegis.cli", *args, *extra], capture_output=True, text=True,
                          timeout=120)


def as_json(proc: subprocess.CompletedProcess):  # type: ignore[no-untyped-def]
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def actors(platform) -> set[str]:  # type: ignore[no-untyped-def]
    """Every actor that ever appended to INCIDENTS or EVALUATIONS."""
    async def go() -> set[str]:
        nc = await connect(platform.nats_url, "test-actors", credentials=platform.nats_credentials)
        try:
            store = EventStore(nc, "test")
            found = await store.load_subject("incidents.>", INCIDENTS_STREAM)
            found += await store.load_subject("evaluations.>", EVALUATIONS_STREAM)
            return {e.envelope.actor for e in found}
        finally:
            await nc.close()
    return asyncio.run(go())


def test_status_incidents_and_show(platform):
    status = as_json(aegis(platform, "status", "--json"))
    assert status["health"]["status"] in ("healthy", "degraded") and status["pipeline"]["stages"]
    assert "Workers" in aegis(platform, "status").stdout
    listed = as_json(aegis(platform, "incidents", "--json"))
    assert {"cli-restart", "cli-unknown"} <= {i["incident_id"] for i in listed}
    failed = as_json(aegis(platform, "incidents", "--status", "failed", "--json"))
    assert [i["incident_id"] for i in failed] == ["cli-unknown"]
    shown = as_json(aegis(platform, "show", "cli-restart", "--json"))
    assert shown == platform.incident("cli-restart")
    text = aegis(platform, "show", "cli-restart").stdout
    assert "Timeline" in text and "RESOLVED" in text and "RESTARTED" in text


def test_replay_rebuilds_the_timeline_and_the_state_at_a_point(platform):
    full = as_json(aegis(platform, "replay", "cli-restart", "--json"))
    served = platform.incident("cli-restart")
    assert served.pop("correlated") == {"count": 0}  # the gateway adds the alerts that joined (another stream)
    assert full["state"] == served  # the same fold, from the stream
    assert full["events_replayed"] == full["events_total"] == len(full["events"])
    types = [e["type"] for e in full["events"]]
    assert types[0] == "incident.received.v1" and "incident.resolved.v1" in types
    decided = next(e for e in full["events"] if e["type"] == "incident.council_decided.v1")
    at_seq = as_json(aegis(platform, "replay", "cli-restart", "--at", str(decided["seq"]), "--json"))
    assert at_seq["state"]["status"] == "APPROVED" and at_seq["events"][-1]["seq"] == decided["seq"]
    at_time = as_json(aegis(platform, "replay", "cli-restart", "--at", full["events"][0]["time"], "--json"))
    assert at_time["state"]["status"] == "RECEIVED" and at_time["events_replayed"] >= 1
    before = as_json(aegis(platform, "replay", "cli-restart", "--at", "2000-01-01T00:00:00Z", "--json"))
    assert before["state"] is None and before["events_replayed"] == 0
    text = aegis(platform, "replay", "cli-restart").stdout
    assert "incident.action_started.v1" in text and f"{full['events_total']} of {full['events_total']}" in text


@pytest.mark.parametrize("args, message", [
    (("replay", "no-such-incident"), "has no events"),
    (("replay", "cli-restart", "--at", "yesterday"), "neither a stream sequence nor an ISO 8601 time"),
    (("replay", "bad.id"), "invalid incident id"),
    (("whatif",), "give one incident id, or --all"),
    (("whatif", "--all", "--since", "forever"), "--since 'forever'"),
    (("whatif", "cli-restart", "--policy", "/no/such/policy.toml"), "policy"),
    (("incidents", "--limit", "0"), "--limit must be at least 1"),
    (("bench", "nope"), "unknown bench script"),
])
def test_bad_input_is_a_message_and_a_non_zero_exit(platform, args, message):
    proc = aegis(platform, *args)
    assert proc.returncode != 0 and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_whatif_shows_where_a_new_policy_would_decide_differently_and_appends_nothing(platform, tmp_path):
    same = as_json(aegis(platform, "whatif", "cli-restart", "--json"))
    assert same["recorded"] == {**same["whatif"], "reasons": same["recorded"]["reasons"]} and not same["differs"]
    policy = tmp_path / "hold.toml"
    policy.write_text(HOLD_RESTARTS)
    held = as_json(aegis(platform, "whatif", "cli-restart", "--policy", str(policy), "--json"))
    assert held["recorded"]["verdict"] == "APPROVED" and held["whatif"]["verdict"] == "HELD"
    assert held["differences"] == ["council APPROVED → HELD"]
    offline = as_json(aegis(platform, "whatif", "cli-restart", "--model", "offline", "--json"))
    assert offline["whatif"]["analyzer"] == "offline" and offline["whatif"]["action"] == "RESTART"
    everything = as_json(aegis(platform, "whatif", "--all", "--since", "1h", "--policy", str(policy), "--json"))
    assert everything["summary"]["incidents"] == 2 and everything["summary"]["changed"] == 1
    assert everything["summary"]["changes"] == {"APPROVED → HELD": 1}
    assert "APPROVED → HELD" in aegis(platform, "whatif", "--all", "--since", "1h", "--policy", str(policy)).stdout
    assert not {a for a in actors(platform) if a.startswith(("aegis-whatif", "aegis-replay"))}  # nothing appended


def test_bench_lists_its_scripts():
    proc = subprocess.run([sys.executable, "-m", "aegis.cli", "bench", "--list"], capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode == 0 and {"event_store", "pipeline", "retrieval"} <= set(proc.stdout.split())
