"""Read models against a real nats-server: live equals rebuilt; survive a nats-server kill and restart."""

from __future__ import annotations

import asyncio

import pytest

from aegis.harness import eventually
from shared.consumer import ConsumerRunner, ConsumerSpec
from shared.errors import ConcurrencyError
from shared.events import incident as ev
from shared.events.incident import INCIDENTS_STREAM
from shared.jetstream import connect, ensure_streams
from shared.projections.incidents_view import IncidentsView
from shared.projections.projector import Projector
from tests.support.builders import T0, analysis, council_approved, received

pytestmark = pytest.mark.integration


async def write_incident(store, incident_id: str, resolve: bool) -> int:
    events = [received(), ev.AnalysisStarted(analyzer="offline"), analysis(), *council_approved()]
    if resolve:
        events += [ev.ActionStarted(action="RESTART", target="addition-api"),
                   ev.ActionCompleted(action="RESTART", target="addition-api"),
                   ev.VerificationStarted(target="addition-api"), ev.HealthChecked(attempt=1, healthy=True),
                   ev.IncidentResolved(resolved_at=T0)]
    return await store.append(incident_id, events, expected_seq=0)


async def test_projection_rebuilt_after_restart_equals_the_live_one(nc, store):
    live = IncidentsView()
    projector = Projector(nc, INCIDENTS_STREAM, "incidents.>", live.apply, "live")
    await projector.start()
    last = 0
    for i in range(25):
        last = max(last, await write_incident(store, f"inc-{i}", resolve=i % 2 == 0))
    await projector.wait_for(last)
    await projector.stop()

    rebuilt = IncidentsView()
    again = Projector(nc, INCIDENTS_STREAM, "incidents.>", rebuilt.apply, "rebuilt")
    await again.start()
    await again.catch_up()
    await again.stop()
    assert rebuilt.incidents == live.incidents
    assert len(rebuilt.incidents) == 25
    assert sum(s.status == "RESOLVED" for s in rebuilt.all()) == 13


async def test_wait_for_gives_read_your_writes(nc, store):
    view = IncidentsView()
    projector = Projector(nc, INCIDENTS_STREAM, "incidents.>", view.apply)
    await projector.start()
    seq = await store.append("mine", [received()], expected_seq=0)
    await projector.wait_for(seq, timeout=5)
    assert view.get("mine").status == "RECEIVED"
    await projector.stop()


async def test_an_illegal_stored_event_is_skipped_not_fatal(nc, store):
    view = IncidentsView()
    projector = Projector(nc, INCIDENTS_STREAM, "incidents.>", view.apply)
    await projector.start()
    await store.append("x", [ev.AnalysisStarted(analyzer="orphan")], expected_seq=0)
    seq = await store.append("y", [received()], expected_seq=0)
    await projector.wait_for(seq)
    assert projector.skipped == 1 and view.get("y") is not None and view.get("x") is None
    await projector.stop()


async def test_nats_killed_and_restarted_midstream_loses_nothing(nats_server, store):
    handled: list[str] = []

    async def handler(env, delivery):
        handled.append(env.incident_id)

    consumer_nc = await connect(nats_server.url, "consumer")
    await ensure_streams(consumer_nc.jetstream())
    runner = ConsumerRunner(consumer_nc, ConsumerSpec(durable="restart-test", stream=INCIDENTS_STREAM,
                                                      filter_subjects=["incidents.*.received"], handler=handler))
    await runner.ensure_consumer()
    task = asyncio.create_task(runner.run())
    view = IncidentsView()
    projector = Projector(consumer_nc, INCIDENTS_STREAM, "incidents.>", view.apply)
    await projector.start()
    try:
        for i in range(20):
            await store.append(f"before-{i}", [received()], expected_seq=0)
        await eventually(lambda: len(handled) == 20, what="first half handled")

        nats_server.proc.kill()  # SIGKILL: no chance to flush politely
        nats_server.proc.wait()
        await eventually(lambda: not consumer_nc.is_connected, timeout=10, what="clients notice the broken link")
        await asyncio.to_thread(nats_server.start)

        async def append_after(i):
            try:
                await store.append(f"after-{i}", [received()], expected_seq=0)
            except ConcurrencyError:
                pass  # an earlier try was stored but its ack was lost in the restart
            return True

        for i in range(20):
            await eventually(lambda i=i: _try(append_after(i)), timeout=20, what="append after restart")
        await eventually(lambda: len(set(handled)) == 40, timeout=30, what="all 40 handled after restart")
        await eventually(lambda: len(view.incidents) == 40, timeout=30, what="projection caught up")
    finally:
        runner.stop()
        await asyncio.wait_for(task, 10)
        await projector.stop()
        await consumer_nc.close()
    assert {f"before-{i}" for i in range(20)} | {f"after-{i}" for i in range(20)} == set(handled)


async def _try(coro) -> bool:
    try:
        return await coro
    except Exception:  # noqa: BLE001 - the server may still be coming back
        return False
