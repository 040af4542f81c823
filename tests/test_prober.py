"""The prober: pure thresholds and flap control; end to end, a killed process, a recovery, a flapping target."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from aegis.harness import eventually, free_port, wait_sync
from services.executor.process_backend import start_detached, stop_pids
from services.prober.domain import ProbeResult, TargetHealth, observe
from shared.config import ProbeConfig, TargetConfig
from shared.inspection import pids_listening_on, target_pids

PROBE = ProbeConfig(failure_threshold=3, success_threshold=2, startup_grace=0)


def feed(health, oks, start=0.0, probe=PROBE, window=300.0, limit=6):
    out = []
    for i, ok in enumerate(oks):
        out += observe(health, ProbeResult(ok, "x", 1.0, start + i), probe, window, limit)
    return out


def test_opens_after_n_consecutive_failures_only():
    h = TargetHealth("t")
    assert feed(h, [True, False, False, True, False, False]) == []
    assert feed(h, [False]) == ["open"] and h.status == "down"
    assert feed(h, [False, False]) == []  # still the same outage


def test_a_target_never_seen_up_gets_its_startup_grace_but_a_crash_counts_at_once():
    h, probe = TargetHealth("t"), ProbeConfig(failure_threshold=2, startup_grace=10)
    assert [observe(h, ProbeResult(False, "refused", 0, t), probe, 300, 6) for t in (0, 1, 2, 9)] == [[], [], [], []]
    assert observe(h, ProbeResult(False, "refused", 0, 10.5), probe, 300, 6) == ["open"]  # grace over: an outage
    booting = TargetHealth("b")
    observe(booting, ProbeResult(False, "refused", 0, 0), probe, 300, 6)
    assert observe(booting, ProbeResult(False, "exited", 0, 1), probe, 300, 6, certain=True) == ["open"]


def test_recovers_after_the_success_threshold():
    h = TargetHealth("t")
    feed(h, [False, False, False])
    assert feed(h, [True]) == [] and feed(h, [True]) == ["recover"] and h.status == "up"


def test_a_certain_failure_skips_the_threshold():
    h = TargetHealth("t")
    feed(h, [True])
    assert observe(h, ProbeResult(False, "exited", 0, 10), PROBE, 300, 6, certain=True) == ["open"]


def test_flapping_suppresses_new_incidents():
    h = TargetHealth("t")
    probe = ProbeConfig(failure_threshold=1, success_threshold=1)
    decisions = feed(h, [True, False, True, False, True, False, True, False, True, False], probe=probe, limit=4)
    assert decisions.count("open") == 2 and "suppressed" in decisions
    assert h.flapping(10, 300, 4)
    later = feed(h, [True, False], start=1000, probe=probe, limit=4)  # quiet for long: not flapping any more
    assert later == ["recover", "open"]


def test_a_target_under_remediation_is_not_reported_again():
    from services.prober.domain import remediating
    from shared.events import incident as ev
    from tests.support.builders import T0, happy_path, received, run

    path = [received(container_name="hog")] + happy_path()[1:]
    started = next(i for i, p in enumerate(path) if isinstance(p, ev.ActionStarted))
    deciding, acting, done = run(*path[:started]), run(*path[:started + 1]), run(*path)
    assert remediating([deciding], "hog") is None  # nothing done to it yet: a failure is news
    assert remediating([acting], "hog") == "inc-1"  # our own restart stopped it
    assert remediating([acting], "other") is None
    assert done.resolved_at == T0 and remediating([done], "hog") is None  # over: a new failure is a new incident


def test_targets_are_spread_over_the_interval():
    from services.prober.domain import slot_offset

    offsets = [slot_offset(f"api-{i}", 1.0) for i in range(2000)]
    assert all(0 <= o < 1.0 for o in offsets) and slot_offset("api-7", 1.0) == offsets[7]  # stable per name
    per_tenth = [sum(1 for o in offsets if k / 10 <= o < (k + 1) / 10) for k in range(10)]
    assert min(per_tenth) > 150  # about 200 in each tenth of a second, not 2,000 at once


async def test_exit_waits_hold_no_thread_so_many_process_targets_do_not_starve_the_pool():
    from shared.process_watch import wait_exit

    sleepers = [subprocess.Popen(["sleep", "60"]) for _ in range(12)]  # more than the default pool's threads
    try:
        waits = [asyncio.create_task(wait_exit(p.pid)) for p in sleepers]
        await asyncio.sleep(0.1)
        assert await asyncio.wait_for(asyncio.to_thread(lambda: "pool free"), 5) == "pool free"
        for p in sleepers:
            p.kill()
            p.wait()
        assert await asyncio.wait_for(asyncio.gather(*waits), 5) == [True] * 12
        assert await wait_exit(sleepers[0].pid) is False  # already gone (and reaped): nothing to watch
    finally:
        for p in sleepers:
            p.kill()


async def test_one_process_scan_serves_every_target(monkeypatch):
    from shared import process_watch as processes

    scans = []
    real = processes.process_snapshot
    monkeypatch.setattr(processes, "process_snapshot", lambda: scans.append(1) or real())
    table = processes.ProcessTable(max_age=5)
    me = TargetConfig(name="me", port=free_port(), command=["/no/such/command"])
    results = await asyncio.gather(*[table.pids(me) for _ in range(200)])
    assert len(scans) == 1 and all(r == [] for r in results)


def test_bad_probe_config_is_refused():
    with pytest.raises(ValueError, match="at least 0.2"):
        ProbeConfig(interval=0.1)


@pytest.fixture(scope="module")
def platform(start_platform, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prober")
    port, flaky_port = free_port(), free_port()
    flag = tmp / "sick"
    (tmp / "policy.toml").write_text('[[rules]]\nmatch = "flaky-*"\napproval_required = ["RESTART"]\n')
    config = f"""
policy_file = "{tmp / 'policy.toml'}"
flap_limit = 4
[[targets]]
name = "watched-api"
port = {port}
command = ["{sys.executable}", "-m", "aegis.demo.calculator", "addition", "--port", "{{port}}"]
health_url = "http://127.0.0.1:{port}/health"
probe = {{ kind = "http", interval = 0.2, failure_threshold = 3 }}
[[targets]]
name = "flaky-api"
port = {flaky_port}
command = ["{sys.executable}", "-m", "tests.support.flaky_server", "--port", "{{port}}", "--flag", "{flag}"]
health_url = "http://127.0.0.1:{flaky_port}/health"
probe = {{ kind = "http", interval = 0.2, failure_threshold = 2, success_threshold = 2 }}
"""
    targets = [TargetConfig(name="watched-api", port=port, command=[sys.executable, "-m", "aegis.demo.calculator",
                                                                      "addition", "--port", "{port}"]),
               TargetConfig(name="flaky-api", port=flaky_port,
                            command=[sys.executable, "-m", "tests.support.flaky_server", "--port", "{port}", "--flag",
                                     str(flag)])]
    for t in targets:
        start_detached(t)
    for t in targets:
        wait_sync(lambda t=t: pids_listening_on(t.port), timeout=20, what=f"{t.name} up")
    plat = start_platform(tmp, demo=False, config=config, probes=True)
    plat.flag, plat.port, plat.flaky_port = flag, port, flaky_port
    yield plat
    plat.shutdown()  # first: a running prober would see the targets exit and have them restarted
    for t in targets:
        stop_pids(target_pids(t), 1)


def prober_incidents(platform, target):
    return [i for i in platform.get("/incidents").json()
            if i["incident_id"].startswith(f"probe-{target}-")]


@pytest.mark.e2e
async def test_killed_process_is_noticed_at_once_and_brought_back(platform):
    await eventually(lambda: _status(platform, "watched-api") == "up", timeout=20, what="probed up")
    pid = pids_listening_on(platform.port)[0]
    killed = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    incident = await eventually(lambda: (prober_incidents(platform, "watched-api") or [None])[0], timeout=10,
                                what="prober opened an incident")
    detected = time.monotonic() - killed
    result = await asyncio.to_thread(platform.wait_terminal, incident["incident_id"])
    assert result["status"] == "RESOLVED" and result["timeline"][0]["message"] == "Incident received by the prober."
    first = next(i for i in platform.get("/incidents").json() if i["incident_id"] == incident["incident_id"])
    assert first["status"] == "RESOLVED"
    assert httpx.get(f"http://127.0.0.1:{platform.port}/addition?a=2&b=2").json()["result"] == 4
    print(f"\nkilled process target: incident opened after {detected * 1000:.0f} ms")


def _status(platform, name):
    found = [t for t in platform.get("/targets").json() if t["name"] == name]
    return found[0]["status"] if found else None


@pytest.mark.e2e
async def test_target_that_recovers_before_any_action_is_closed_without_action(platform):
    await eventually(lambda: _status(platform, "flaky-api") == "up", timeout=20, what="flaky probed up")
    platform.flag.touch()
    incident = await eventually(lambda: (prober_incidents(platform, "flaky-api") or [None])[0], timeout=10,
                                what="incident on the flaky target")
    await eventually(lambda: platform.incident(incident["incident_id"]).get("status") == "AWAITING_APPROVAL",
                     timeout=20, what="held for approval by policy")
    platform.flag.unlink()
    result = await asyncio.to_thread(platform.wait_terminal, incident["incident_id"])
    assert result["status"] == "RESOLVED"
    assert [e["status"] for e in result["timeline"]][-2:] == ["RECOVERED", "RESOLVED"]
    assert not any(e["status"] == "EXECUTING" for e in result["timeline"])


@pytest.mark.e2e
async def test_a_flapping_target_does_not_open_an_incident_storm(platform):
    await eventually(lambda: _status(platform, "flaky-api") == "up", timeout=20, what="flaky up again")
    before = len(prober_incidents(platform, "flaky-api"))
    for _ in range(8):  # sick, well, sick, well… each phase long enough to cross the thresholds
        platform.flag.touch()
        await eventually(lambda: _status(platform, "flaky-api") == "down", timeout=10, what="down")
        platform.flag.unlink()
        await eventually(lambda: _status(platform, "flaky-api") == "up", timeout=10, what="up")
    opened = len(prober_incidents(platform, "flaky-api")) - before
    target = next(t for t in platform.get("/targets").json() if t["name"] == "flaky-api")
    assert target["flapping"] is True
    assert opened <= 3, opened  # flap_limit 4: after the first cycles no new incidents


def test_resource_alerts_fire_once_per_episode():
    from services.prober.resources import ResourceState, observe_resources

    probe = ProbeConfig(memory_percent=50, memory_limit_mb=100, cpu_percent=80, cpu_seconds=2)
    state = ResourceState()
    assert observe_resources(state, {"memory_mb": 40, "cpu_percent": 10}, probe, 0) == []
    alerts = observe_resources(state, {"memory_mb": 60, "cpu_percent": 95}, probe, 1)
    assert [a for a, _ in alerts] == ["Memory Leak"] and "60.0% of 100 MB" in alerts[0][1]
    assert observe_resources(state, {"memory_mb": 61, "cpu_percent": 95}, probe, 2) == []  # CPU hot only 1 s
    cpu = observe_resources(state, {"memory_mb": 61, "cpu_percent": 95}, probe, 3.5)
    assert [a for a, _ in cpu] == ["CPU Spike"] and "for 2.5s" in cpu[0][1]
    observe_resources(state, {"memory_mb": 10, "cpu_percent": 5}, probe, 4)  # back to normal: re-armed
    assert [a for a, _ in observe_resources(state, {"memory_mb": 90, "cpu_percent": 5}, probe, 5)] == ["Memory Leak"]


@pytest.fixture(scope="module")
def hog_platform(start_platform, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hog")
    port = free_port()
    target = TargetConfig(name="hog-app", port=port, command=[sys.executable, "-m", "aegis.demo.buggy_app",
                                                             "--port", "{port}"])
    config = f"""
metrics_interval_secs = 0.5
[[targets]]
name = "hog-app"
port = {port}
command = {json_list(target.command)}
health_url = "http://127.0.0.1:{port}/health"
probe = {{ kind = "http", interval = 0.5, memory_percent = 50.0, memory_limit_mb = 80.0, cpu_percent = 60.0, \
cpu_seconds = 1.0 }}
"""
    start_detached(target)
    wait_sync(lambda: pids_listening_on(port), timeout=20, what="hog up")
    plat = start_platform(tmp, demo=False, config=config, probes=True)
    plat.hog_port = port
    yield plat
    plat.shutdown()
    stop_pids(target_pids(target), 1)


def json_list(items):
    import json

    return json.dumps(items)


def resource_incidents(platform, alert_type):
    return [
        i
        for i in platform.get("/incidents").json()
        if i["incident_id"].startswith("res-hog-app-") and i["alert_type"] == alert_type
    ]


@pytest.mark.e2e
async def test_memory_and_cpu_hogs_open_incidents_that_end_in_a_restart(hog_platform):
    plat = hog_platform
    for _ in range(4):  # 4 × 10 MB on top of ~20 MB: above 50% of 80 MB
        try:
            httpx.get(f"http://127.0.0.1:{plat.hog_port}/trigger_memory", timeout=5)
        except httpx.HTTPError:  # AegisOps already restarted it mid-trigger: the threshold was crossed
            break
    memory = await eventually(
        lambda: (resource_incidents(plat, "Memory Leak") or [None])[0], timeout=30, what="Memory Leak incident"
    )
    result = await asyncio.to_thread(plat.wait_terminal, memory["incident_id"])
    assert result["status"] == "RESOLVED" and result["analysis"]["action"] == "RESTART", (
        result.get("error"),
        result.get("analysis"),
        result.get("timeline"),
    )
    await eventually(lambda: pids_listening_on(plat.hog_port), timeout=20, what="hog back")
    # the restart AegisOps did itself is not a new outage: no health-check incident for it
    assert not [i for i in plat.get("/incidents").json() if i["incident_id"].startswith("probe-hog-app-")]
    httpx.get(f"http://127.0.0.1:{plat.hog_port}/trigger_cpu", timeout=5)
    cpu = await eventually(
        lambda: (resource_incidents(plat, "CPU Spike") or [None])[0], timeout=30, what="CPU Spike incident"
    )
    result = await asyncio.to_thread(plat.wait_terminal, cpu["incident_id"])
    assert result["status"] == "RESOLVED" and result["analysis"]["action"] == "RESTART"
    assert result["analysis"]["situation"] == "cpu_runaway" and result["analysis"]["outcome"] == "act"
