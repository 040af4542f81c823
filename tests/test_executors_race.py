"""Several executors: racing on 50 actions (each runs once), and one SIGKILLed while holding a target's lease."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import pytest

from aegis.harness import eventually, free_port
from services.executor.handlers import Executor
from services.executor.process_backend import start_detached, stop_pids
from shared.aggregate import load_incident
from shared.config import TargetConfig, load_settings
from shared.events.system import TargetRegistered
from shared.eventstore import EventStore
from shared.inspection import pids_listening_on, target_pids
from shared.lease import Leases
from shared.projections.inventory import InventoryView
from shared.service import ServiceContext
from tests.support.builders import DELIVERY, analysis, council_approved, received

pytestmark = pytest.mark.integration


def calculator(boot_delay: float = 0.0, node: str = "") -> TargetConfig:
    port = free_port()
    return TargetConfig(name=f"calc-{port}", port=port, health_url=f"http://127.0.0.1:{port}/health", node=node,
                        command=[sys.executable, "-m", "aegis.demo.calculator", "addition", "--port", "{port}",
                                 "--boot-delay", str(boot_delay)])


def executor(nc, tmp_path, targets, actor, **settings):
    inventory = InventoryView()
    inventory.targets.update({t.name: t for t in targets})
    s = load_settings(environ={}, data_dir=str(tmp_path), **({"lease_ttl": 10.0, "health_check_wait": 0.5} | settings))
    return Executor(ServiceContext(name="executor", settings=s, nc=nc, store=EventStore(nc, f"executor@{actor}")),
                    inventory)


async def decided(store, incident_id, target):
    await store.append(incident_id, [received(container_name=target.name), analysis(), *council_approved()],
                       expected_seq=0)
    return (await store.load(incident_id))[-1].envelope


async def test_three_executors_of_one_node_racing_on_50_actions_run_each_once(nc, store, tmp_path):
    targets = [calculator(node="one") for _ in range(5)]
    for t in targets:
        start_detached(t)
    try:
        decisions = [await decided(store, f"race-{i}", targets[i % 5]) for i in range(50)]
        executors = [executor(nc, tmp_path, targets, f"one-{x}", node="one", instance=x) for x in "abc"]
        outsider = executor(nc, tmp_path, targets, "two", node="two")  # sees every decision, owns none of them
        await asyncio.gather(*(ex.on_decision(d, DELIVERY) for d in decisions for ex in [*executors, outsider]))
        per_target: dict[str, int] = {}
        for i in range(50):
            state, _ = await load_incident(store, f"race-{i}")
            types = [s.envelope.type for s in await store.load(f"race-{i}")]
            assert state.status == "RESOLVED", (i, state.timeline[-1])
            assert types.count("incident.action_started.v1") == 1
            per_target[state.container_name] = per_target.get(state.container_name, 0) + 1
        assert sorted(per_target.values()) == [10] * 5
        actors = {s.envelope.actor for i in range(50) for s in await store.load(f"race-{i}")
                  if s.envelope.type == "incident.action_started.v1"}
        assert len(actors) >= 2 and "executor@two" not in actors  # split within node one, never taken by two
    finally:
        for t in targets:
            stop_pids(pids_listening_on(t.port), 1)


async def test_executor_killed_holding_a_lease_is_taken_over(nats_server, nc, store, tmp_path):
    target = calculator(boot_delay=3.0)
    await store.append_system(TargetRegistered(target=target))
    env = {**os.environ, "AEGIS_NATS_URL": nats_server.url, "AEGIS_DATA_DIR": str(tmp_path),
           "AEGIS_LEASE_TTL": "2", "AEGIS_NODE": "doomed", "AEGIS_HEALTH_CHECK_WAIT": "0.5"}
    proc = subprocess.Popen([sys.executable, "-m", "services.executor"], env=env, stdout=subprocess.DEVNULL,
                            stderr=open(tmp_path / "executor.log", "wb"))  # noqa: SIM115 - the child owns it
    try:
        decision = await decided(store, "lease-1", target)
        leases = Leases(nc, ttl=2)
        holder = await eventually(lambda: leases.holder(f"target.{target.name}"), timeout=30,
                                  what="the executor process holds the lease")
        assert holder == "executor@doomed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        survivor = executor(nc, tmp_path, [target], "survivor", lease_ttl=2.0)
        await survivor.on_decision(decision, DELIVERY)  # the redelivery, at another executor
        state, _ = await load_incident(store, "lease-1")
        types = [s.envelope.type for s in await store.load("lease-1")]
        assert state.status == "RESOLVED", state.timeline[-1]
        assert types.count("incident.action_started.v1") == 1 and types.count("incident.resolved.v1") == 1
        assert await leases.holder(f"target.{target.name}") is None
    finally:
        if proc.poll() is None:
            proc.kill()
        stop_pids(target_pids(target), 1)  # also an instance still booting (not listening yet)
