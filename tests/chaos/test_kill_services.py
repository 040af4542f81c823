"""Chaos: 300 incidents through `aegis up` while services are SIGKILLed at random, or NATS is restarted.
Audited from the stream afterwards: every incident terminal, no action executed twice, no event lost or doubled."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest

from aegis.harness import Platform, demo_ports_free, wait_sync
from shared.config import SERVICE_NAMES
from shared.events.incident import INCIDENTS_STREAM
from shared.eventstore import EventStore
from shared.jetstream import connect

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]
COUNT = 300
REAL_TARGETS = "addition-api,division-api,multiply-api"  # real restarts (bounded by the restart budget)


def chaos_run(platform: Platform, count: int, rate: float, targets: str = "",
              types: str = "Synthetic check,Health Check") -> subprocess.Popen:
    argv = [sys.executable, "-m", "aegis.cli", "chaos", *platform.chaos_args(), "--count", str(count),
            "--rate", str(rate), "--types", types, "--timeout", "240"]
    if targets:
        argv += ["--targets", targets]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def report_of(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=330)
    if not out.strip():
        pytest.fail(f"aegis chaos failed ({proc.returncode}): {err[-1500:]}")
    return json.loads(out.strip().splitlines()[-1])


def audit(nats_url: str, prefix: str, expected: int, credentials: str | None = None) -> dict:
    """From the stream: one received and one terminal event per incident, at most one action each, nothing
    doubled (event ids and sequences unique)."""
    async def load():  # type: ignore[no-untyped-def]
        nc = await connect(nats_url, "chaos-audit", credentials=credentials)
        try:
            return await EventStore(nc, "audit").load_subject("incidents.>", INCIDENTS_STREAM)
        finally:
            await nc.close()

    stored = asyncio.run(load())
    by_incident: dict[str, Counter] = {}
    for item in stored:
        by_incident.setdefault(item.envelope.incident_id, Counter())[item.envelope.type] += 1  # type: ignore[arg-type]
    ours = {iid: types for iid, types in by_incident.items() if iid.startswith(prefix)}
    problems = []
    for iid, types in ours.items():
        if types["incident.received.v1"] != 1:
            problems.append(f"{iid}: received {types['incident.received.v1']}×")
        if types["incident.resolved.v1"] + types["incident.failed.v1"] + types["incident.recovered.v1"] != 1:
            problems.append(f"{iid}: not exactly one terminal event {dict(types)}")
        if types["incident.action_started.v1"] > 1 or types["incident.action_completed.v1"] > 1:
            problems.append(f"{iid}: action executed twice {dict(types)}")
    seqs = [s.seq for s in stored]
    ids = [s.envelope.event_id for s in stored]
    assert len(ours) == expected, f"{len(ours)} incidents stored, {expected} sent"
    assert problems == [], problems[:10]
    assert len(set(seqs)) == len(seqs) and len(set(ids)) == len(ids)
    return {"incidents": len(ours), "actions": sum(t["incident.action_started.v1"] for t in ours.values())}


@pytest.fixture
def platform(tmp_path):
    wait_sync(demo_ports_free, timeout=15, what="demo ports free")
    # restarts past the budget are held for a human; nobody answers here, so they expire (FAILED) in 5 s
    (tmp_path / "policy.toml").write_text("approval_ttl_seconds = 5\n")
    # every alert its own incident (correlation off): this test is about the pipeline losing nothing under kills
    plat = Platform(tmp_path, demo=True, config=f'policy_file = "{tmp_path / "policy.toml"}"\ncorrelation = false\n')
    yield plat
    plat.shutdown()


def test_services_sigkilled_at_random_lose_nothing(platform):
    rng = random.Random(13)
    kills: list[str] = []
    stop = threading.Event()

    def killer() -> None:
        per_service = Counter()
        while not stop.wait(rng.uniform(2.0, 4.0)):
            candidates = [s for s in SERVICE_NAMES if per_service[s] < 2]  # the supervisor gives up after 5 in 2 min
            if not candidates:
                return
            name = rng.choice(candidates)
            try:
                os.kill(platform.service_pid(name), signal.SIGKILL)
            except (AssertionError, ProcessLookupError):
                continue  # restarting right now
            per_service[name] += 1
            kills.append(name)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    noop = chaos_run(platform, COUNT - 30, 10)
    # a memory leak on a serving target is restarted (a "health check failing" alert about a target that answers
    # is closed by the pre-action check instead, so it would not exercise restarts under fire)
    real = chaos_run(platform, 30, 1, REAL_TARGETS, types="Memory Leak")
    reports = [report_of(noop), report_of(real)]
    stop.set()
    thread.join()
    assert len(kills) >= 5, kills
    if [r["terminal"] for r in reports] != [COUNT - 30, 30]:
        stuck = [(i["incident_id"], i["status"], [e["status"] for e in i["timeline"]][-4:])
                 for i in platform.get("/incidents").json() if i["status"] not in ("RESOLVED", "FAILED")]
        pytest.fail(f"{reports}\nkills {kills}\nnot terminal: {stuck[:12]}")
    result = audit(platform.nats_url, "chaos-", COUNT, platform.nats_credentials)
    assert result["actions"] >= 3  # real restarts happened under fire, each at most once


def test_nats_restarted_mid_run_loses_nothing(tmp_path, nats_server):
    wait_sync(demo_ports_free, timeout=15, what="demo ports free")
    platform = Platform(tmp_path, demo=True, env={"AEGIS_NATS_URL": nats_server.url})
    platform.nats_url = nats_server.url
    try:
        run = chaos_run(platform, COUNT, 15)
        wait_sync(lambda: len(platform.get("/incidents").json()) >= COUNT // 3, timeout=60, what="load under way")
        nats_server.stop()  # SIGTERM: JetStream flushes; every client is cut off
        time.sleep(1.0)  # the outage itself, not a wait for a condition
        nats_server.start()
        report = report_of(run)
        assert report["terminal"] == COUNT, report
        audit(nats_server.url, "chaos-", COUNT)
        assert platform.get("/health/ready").status_code == 200
    finally:
        platform.shutdown()
