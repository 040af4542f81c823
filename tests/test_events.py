"""The event catalog: every type round-trips, tags are versioned and unique, junk is refused."""

from __future__ import annotations

import pytest

from shared.errors import DecodeError
from shared.events import ALL_EVENTS, Envelope, decode, encode, now
from shared.events import incident as ev


def test_tags_are_versioned_and_unique():
    tags = [cls.type_tag() for cls in ALL_EVENTS]
    assert len(tags) == len(set(tags))
    for tag in tags:
        domain, name, version = tag.split(".")
        assert version.startswith("v") and version[1:].isdigit() and name


def test_round_trip_keeps_every_field():
    env = Envelope(event_id="e1", incident_id="inc-1", time=now(), actor="analyst@n1",
                   payload=ev.IncidentReceived(alert_type="CPU Spike", logs="CPU at 99%", severity="CRITICAL"),
                   causation_id="c", correlation_id="r")
    assert decode(encode(env)) == env
    assert env.type == "incident.received.v1"
    assert env.payload.nats_subject("inc-1") == "incidents.inc-1.received"


def test_unknown_fields_are_tolerated_for_forward_compatibility():
    env = Envelope(event_id="e1", incident_id="i", time=now(), actor="a",
                   payload=ev.AnalysisStarted(analyzer="offline"))
    data = encode(env).replace(b'"analyzer":"offline"', b'"analyzer":"offline","added_later":1')
    assert decode(data).payload.analyzer == "offline"


@pytest.mark.parametrize(
    "junk",
    [
        b"not json",
        b"{}",
        b'{"event_id":"x","incident_id":null,"time":"2026-01-01T00:00:00Z",'
        b'"actor":"a","payload":{"type":"incident.unknown.v9"}}',
    ],
)
def test_undecodable_messages_raise_decode_error(junk):
    with pytest.raises(DecodeError):
        decode(junk)


def test_a_v1_event_is_upcast_on_decode_and_new_writers_write_v2():
    from shared.events.legacy import LEGACY_EVENTS, UPCASTERS, WorkerCrashedV1
    from shared.events.system import WorkerCrashed

    killed = Envelope(
        event_id="e1",
        incident_id=None,
        time=now(),
        actor="supervisor@old",
        payload=WorkerCrashedV1(worker="executor", exit_code=-9, error="killed by SIGKILL", attempt=2),
    )
    exited = Envelope(
        event_id="e2",
        incident_id=None,
        time=now(),
        actor="supervisor@old",
        payload=WorkerCrashedV1(worker="analyst", exit_code=3, error="exited with code 3"),
    )
    up = decode(encode(killed)).payload
    assert up == WorkerCrashed(
        worker="executor", exit_code=None, signal="SIGKILL", error="killed by SIGKILL", attempt=2
    )
    assert decode(encode(exited)).payload == WorkerCrashed(worker="analyst", exit_code=3, error="exited with code 3")
    assert b'"worker.crashed.v1"' in encode(killed)  # what old streams hold
    assert WorkerCrashed.type_tag() == "worker.crashed.v2" and set(LEGACY_EVENTS) == set(UPCASTERS)
    assert not set(LEGACY_EVENTS) & set(ALL_EVENTS)  # nobody writes a legacy version


async def test_a_stream_holding_v1_events_still_replays(store, nc):
    from shared.events.legacy import WorkerCrashedV1
    from shared.events.system import SYSTEM_STREAM, WorkerCrashed
    from shared.projections.projector import Projector
    from shared.projections.system_view import SystemView

    await store.append_system(WorkerCrashedV1(worker="executor", exit_code=-9, error="killed by SIGKILL", attempt=1))
    await store.append_system(WorkerCrashed(worker="executor", exit_code=1, error="exited with code 1", attempt=2))
    loaded = await store.load_subject("system.workers.executor.>", SYSTEM_STREAM)
    assert [s.envelope.payload.signal for s in loaded] == ["SIGKILL", None]
    view = SystemView()
    projector = Projector(nc, SYSTEM_STREAM, "system.>", view.apply, "system")
    await projector.start()
    await projector.catch_up()
    await projector.stop()
    assert [h["attempt"] for h in view.history] == [2, 1] and view.history[1]["status"] == "crashed"
