"""The supervisor with real processes: SIGKILL → restart with backoff, recorded as events; give-up; stop."""

from __future__ import annotations

import os
import signal
import sys

import psutil
import pytest

from aegis.backoff import BackoffPolicy
from aegis.harness import eventually
from aegis.supervisor import Supervisor, WorkerSpec
from shared.events.system import SYSTEM_STREAM

pytestmark = pytest.mark.integration
SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]
CRASHER = [sys.executable, "-c", "raise SystemExit(3)"]


async def worker_events(store, name):
    return [s.envelope.type for s in await store.load_subject(f"system.workers.{name}.>", SYSTEM_STREAM)]


async def test_sigkilled_worker_is_restarted_and_recorded(store):
    sup = Supervisor(store, BackoffPolicy(initial=0.05, factor=2, cap=1, give_up_restarts=5))
    sup.add(WorkerSpec("sleeper", SLEEPER))
    await sup.start_all()
    try:
        first = sup.workers["sleeper"].proc.pid
        os.kill(first, signal.SIGKILL)
        await eventually(
            lambda: sup.workers["sleeper"].proc.pid != first and sup.workers["sleeper"].status == "running",
            what="restart",
        )
        assert psutil.pid_exists(sup.workers["sleeper"].proc.pid)
        types = await eventually(lambda: _has(store, "sleeper", "worker.restarted.v1"), what="restart recorded")
        assert types == ["worker.started.v1", "worker.crashed.v2", "worker.restarted.v1"]
        crashed = (await store.load_subject("system.workers.sleeper.crashed", SYSTEM_STREAM))[0].envelope.payload
        assert crashed.error == "killed by SIGKILL" and crashed.attempt == 1
        assert crashed.signal == "SIGKILL" and crashed.exit_code is None  # v2 keeps signal and exit code apart
    finally:
        await sup.stop_all(grace=2)
    pid = sup.workers["sleeper"].proc.pid
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert (await worker_events(store, "sleeper"))[-1] == "worker.stopped.v1"


async def _has(store, name, event_type):
    types = await worker_events(store, name)
    return types if event_type in types else None


async def test_crash_loop_gives_up_after_the_limit(store):
    sup = Supervisor(store, BackoffPolicy(initial=0.01, factor=2, cap=0.05, give_up_restarts=3, give_up_window=60))
    sup.add(WorkerSpec("crasher", CRASHER))
    await sup.start_all()
    await eventually(lambda: sup.workers["crasher"].status == "failed", what="gave up")
    types = await worker_events(store, "crasher")
    assert types.count("worker.crashed.v2") == 4 and types.count("worker.restarted.v1") == 3
    assert types[-1] == "worker.gave_up.v1"
    await sup.stop_all()


async def test_stop_all_leaves_no_process(store):
    sup = Supervisor(store, BackoffPolicy())
    for i in range(3):
        sup.add(WorkerSpec(f"w{i}", SLEEPER))
    await sup.start_all()
    pids = [w.proc.pid for w in sup.workers.values()]
    await sup.stop_all(grace=2)
    assert all(not psutil.pid_exists(p) or psutil.Process(p).status() == psutil.STATUS_ZOMBIE for p in pids)
