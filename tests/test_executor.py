"""The executor against a real nats-server and real processes: one action per decision, verification, NOOP."""

from __future__ import annotations

import asyncio
import json
import stat
import sys

import httpx
import pytest

from aegis.harness import eventually, free_port, wait_sync
from services.executor.handlers import Executor
from services.executor.process_backend import start_detached, stop_pids
from shared.aggregate import load_incident
from shared.config import TargetConfig, load_settings
from shared.eventstore import EventStore
from shared.inspection import pids_listening_on
from shared.projections.inventory import InventoryView
from shared.service import ServiceContext
from tests.support.builders import DELIVERY, analysis, council_approved, received

pytestmark = pytest.mark.integration


def calculator(port: int, boot_delay: float = 0.0) -> TargetConfig:
    return TargetConfig(name="calc", port=port, health_url=f"http://127.0.0.1:{port}/health",
                        command=[sys.executable, "-m", "aegis.demo.calculator", "addition", "--port", str(port),
                                 "--boot-delay", str(boot_delay)])


@pytest.fixture
def target():
    t = calculator(free_port())
    yield t
    stop_pids(pids_listening_on(t.port), grace=1)


def executor(nc, tmp_path, target, name, **settings):
    inventory = InventoryView()
    inventory.targets[target.name] = target
    ctx = ServiceContext(name="executor", settings=load_settings(environ={}, data_dir=str(tmp_path), **settings),
                         nc=nc, store=EventStore(nc, f"executor@{name}"))
    return Executor(ctx, inventory)


async def approved(store, incident_id, target, action="RESTART"):
    await store.append(incident_id, [received(container_name=target.name), analysis(action), *council_approved()],
                       expected_seq=0)
    return (await store.load(incident_id))[-1].envelope




async def test_two_executors_and_a_redelivery_act_exactly_once(nc, store, target, tmp_path):
    start_detached(target)
    before = await eventually(lambda: pids_listening_on(target.port), what="target listening")
    decision = await approved(store, "inc-1", target)
    a, b = executor(nc, tmp_path, target, "a"), executor(nc, tmp_path, target, "b")
    await asyncio.gather(a.on_decision(decision, DELIVERY), b.on_decision(decision, DELIVERY),
                         a.on_decision(decision, DELIVERY))
    state, _ = await load_incident(store, "inc-1")
    types = [s.envelope.type for s in await store.load("inc-1")]
    assert state.status == "RESOLVED", state.timeline
    assert types.count("incident.action_started.v1") == 1
    after = pids_listening_on(target.port)
    assert len(after) == 1 and set(after).isdisjoint(before)
    assert httpx.get(f"http://127.0.0.1:{target.port}/addition?a=1&b=2").json()["result"] == 3
    await a.on_decision(decision, DELIVERY)  # a late redelivery changes nothing
    assert [s.envelope.type for s in await store.load("inc-1")] == types


async def test_failed_verification_fails_the_incident_with_the_reason(nc, store, tmp_path):
    broken = TargetConfig(name="broken", port=free_port(), command=[sys.executable, "-c", "raise SystemExit(1)"])
    decision = await approved(store, "inc-2", broken)
    ex = executor(nc, tmp_path, broken, "a", health_check_attempts=3, health_check_wait=0.2)
    await ex.on_decision(decision, DELIVERY)
    state, _ = await load_incident(store, "inc-2")
    assert state.status == "FAILED" and state.health_checks == 3
    assert state.error.startswith("broken still unhealthy after 3 health checks: ConnectError")


async def test_benign_noop_on_a_down_target_goes_to_a_human_and_starts_nothing(nc, store, target, tmp_path):
    decision = await approved(store, "inc-3", target, action="NOOP")
    await executor(nc, tmp_path, target, "a", health_check_wait=0.2).on_decision(decision, DELIVERY)
    state, _ = await load_incident(store, "inc-3")
    assert state.status == "FAILED" and state.action is None and state.outcome == "human"
    assert state.error.startswith("Needs a human: diagnosed as benign") and "fails its health check" in state.error
    assert pids_listening_on(target.port) == []


async def test_benign_noop_resolves_only_after_the_target_passes_its_health_check(nc, store, target, tmp_path):
    start_detached(target, tmp_path)
    await eventually(lambda: pids_listening_on(target.port) != [], timeout=10)
    before = pids_listening_on(target.port)
    decision = await approved(store, "inc-3b", target, action="NOOP")
    await executor(nc, tmp_path, target, "a").on_decision(decision, DELIVERY)
    state, _ = await load_incident(store, "inc-3b")
    assert state.status == "RESOLVED" and state.verified and state.action is None
    assert "passed its health check (HTTP 200)" in state.timeline[-1].message
    assert pids_listening_on(target.port) == before  # nothing was restarted


async def test_benign_noop_without_a_known_target_closes_unverified(nc, store, tmp_path):
    await store.append("inc-3c", [received(container_name="not-registered"), analysis("NOOP"), *council_approved()],
                       expected_seq=0)
    decision = (await store.load("inc-3c"))[-1].envelope
    unknown = calculator(free_port())
    await executor(nc, tmp_path, unknown, "a").on_decision(decision, DELIVERY)
    state, _ = await load_incident(store, "inc-3c")
    assert state.status == "RESOLVED" and not state.verified and "nothing was verified" in state.timeline[-1].message


async def test_unstartable_command_is_an_action_failure(nc, store, tmp_path):
    missing = TargetConfig(name="missing", port=free_port(), command=["/nonexistent/binary"])
    decision = await approved(store, "inc-4", missing)
    await executor(nc, tmp_path, missing, "a").on_decision(decision, DELIVERY)
    state, _ = await load_incident(store, "inc-4")
    assert state.status == "FAILED" and "cannot start missing" in state.error
    assert [e.status for e in state.timeline][-2:] == ["ACTION_FAILED", "FAILED"]


async def claimed(store, incident_id, target):
    from shared.events import incident as ev

    await store.append(incident_id, [received(container_name=target.name), analysis(), *council_approved(),
                                     ev.ActionStarted(action="RESTART", target=target.name, node="executor@dead")],
                       expected_seq=0)
    return (await store.load(incident_id))[-2].envelope


async def test_resume_after_a_lost_executor_starts_the_target_only_if_nothing_runs(nc, store, target, tmp_path):
    decision = await claimed(store, "inc-5", target)  # the dead executor never got to start anything
    await executor(nc, tmp_path, target, "b").on_decision(decision, DELIVERY)
    state, _ = await load_incident(store, "inc-5")
    assert state.status == "RESOLVED" and "resumed after the executor was lost" in state.timeline[-3].message
    running = pids_listening_on(target.port)

    decision = await claimed(store, "inc-6", target)  # this time the target is up: verify, never act again
    await executor(nc, tmp_path, target, "c").on_decision(decision, DELIVERY)
    state, _ = await load_incident(store, "inc-6")
    types = [s.envelope.type for s in await store.load("inc-6")]
    assert state.status == "RESOLVED" and "incident.action_completed.v1" not in types
    assert pids_listening_on(target.port) == running


def test_a_target_starts_with_its_own_environment_never_the_platforms_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("AEGIS_SMTP_PASSWORD", "smtp-secret-123")
    monkeypatch.setenv("AEGIS_LLM_API_KEY", "llm-secret-456")
    dump = tmp_path / "env.json"
    target = TargetConfig(name="env-dump", port=9, env={"APP_MODE": "blue"}, command=[
        sys.executable, "-c", f"import json, os; open({str(dump)!r}, 'w').write(json.dumps(dict(os.environ)))"])
    start_detached(target, tmp_path / "logs")
    seen = wait_sync(lambda: dump.exists() and dump.read_text() and json.loads(dump.read_text()), what="env dumped")
    assert seen["APP_MODE"] == "blue" and "PATH" in seen
    assert not [k for k in seen if k.startswith("AEGIS_")] and "smtp-secret-123" not in json.dumps(seen)
    log = tmp_path / "logs" / "env-dump.log"
    assert stat.S_IMODE(log.stat().st_mode) == 0o600 and stat.S_IMODE(log.parent.stat().st_mode) == 0o700
