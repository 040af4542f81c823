"""The event store against a real nats-server: append, load, replay, concurrency, dedup."""

from __future__ import annotations

import asyncio

import pytest

from shared.aggregate import decide_and_append, load_incident
from shared.errors import ConcurrencyError
from shared.events import incident as ev
from shared.eventstore import EventStore
from tests.support.builders import analysis, received

pytestmark = pytest.mark.integration


async def test_append_load_and_replay(store: EventStore):
    seq = await store.append("inc-1", [received(), ev.AnalysisStarted(analyzer="offline")], expected_seq=0)
    await store.append("inc-2", [received()], expected_seq=0)
    stored = await store.load("inc-1")
    assert [s.envelope.type for s in stored] == ["incident.received.v1", "incident.analysis_started.v1"]
    assert stored[-1].seq == seq
    assert all(s.envelope.incident_id == "inc-1" and s.envelope.actor == "tests@local" for s in stored)
    state, last = await load_incident(store, "inc-1")
    assert state.status == "ANALYSING" and last == seq


async def test_loading_an_unknown_incident_gives_nothing(store: EventStore):
    assert await store.load("never-seen") == []
    assert await load_incident(store, "never-seen") == (None, 0)


async def test_load_pages_through_long_incidents(store: EventStore):
    seq = await store.append("long", [received()], expected_seq=0)
    for i in range(1, 1500):
        seq = await store.append("long", [ev.NotificationSent(draft_id=str(i), channel="test")], expected_seq=seq)
    stored = await store.load("long")
    assert len(stored) == 1500 and stored[-1].seq == seq


async def test_stale_expected_sequence_is_a_conflict(store: EventStore):
    await store.append("inc-1", [received()], expected_seq=0)
    with pytest.raises(ConcurrencyError) as info:
        await store.append("inc-1", [received()], expected_seq=0)
    assert info.value.fields["err_code"] == 10071


async def test_two_concurrent_writers_one_wins_the_other_reloads(store: EventStore, nc):
    await store.append("inc-1", [received()], expected_seq=0)
    other = EventStore(nc, "other@local")
    started = asyncio.Barrier(2)
    calls = {"a": 0, "b": 0}

    def decider(name, event):
        def decide(state):
            calls[name] += 1
            return [] if any(t.message == event.analyzer for t in state.timeline) else [event]
        return decide

    async def writer(name, s, event):
        await started.wait()
        return await decide_and_append(s, "inc-1", decider(name, event))

    # Both load the same version; whoever appends second must hit the conflict, reload and append on top.
    original_load = EventStore.load

    async def slow_load(self, incident_id, *a, **k):
        result = await original_load(self, incident_id, *a, **k)
        await asyncio.sleep(0.05)
        return result

    EventStore.load = slow_load  # type: ignore[method-assign]
    try:
        await asyncio.gather(writer("a", store, ev.AnalysisStarted(analyzer="a")),
                             writer("b", other, ev.AnalysisStarted(analyzer="b")))
    finally:
        EventStore.load = original_load  # type: ignore[method-assign]
    stored = await store.load("inc-1")
    assert sorted(s.envelope.payload.analyzer for s in stored[1:]) == ["a", "b"]
    assert calls["a"] + calls["b"] == 3  # exactly one of them decided twice


async def test_same_message_id_is_stored_once(store: EventStore):
    seq = await store.append("inc-1", [received()], expected_seq=0, event_ids=["fixed-id"])
    ack = await store.publish(store.envelope("inc-1", received(), event_id="fixed-id"), None)
    assert ack.duplicate and ack.seq == seq
    assert len(await store.load("inc-1")) == 1


async def test_a_stale_decision_of_several_events_stores_none_of_them(store: EventStore):
    base = await store.append("inc-1", [received()], expected_seq=0)
    decision = [ev.AnalysisStarted(analyzer="offline"), analysis()]
    seq = await store.append("inc-1", decision, expected_seq=base)
    with pytest.raises(ConcurrencyError):  # the first event carries the check: the rest is never sent
        await store.append("inc-1", decision, expected_seq=base)
    assert [s.seq for s in await store.load("inc-1")][-1] == seq and len(await store.load("inc-1")) == 3


async def test_causation_gives_deterministic_ids(store: EventStore):
    await store.append("inc-1", [received()], expected_seq=0)
    cause = (await store.load("inc-1"))[0].envelope
    a = store.envelope("inc-1", analysis(), causation=cause)
    b = store.envelope("inc-1", analysis(), causation=cause)
    assert a.event_id == b.event_id and a.causation_id == cause.event_id
    assert a.correlation_id == cause.correlation_id


async def test_a_load_never_returns_less_than_the_read_floor(store):
    """What a lagging replica looks like to a handler: its floor (the event that woke it) is not there yet.
    The load retries, then fails as transient (redelivery) rather than deciding on a stale state."""
    from shared.errors import StoreUnavailableError
    from shared.eventstore import READ_FLOOR, raise_read_floor
    from tests.support.builders import received

    seq = await store.append("floor-1", [received()], expected_seq=0)
    token = READ_FLOOR.set(None)
    try:
        raise_read_floor("floor-1", seq)
        assert [s.seq for s in await store.load("floor-1")] == [seq]
        raise_read_floor("floor-1", seq + 5)  # as if a follower had not applied the last five yet
        with pytest.raises(StoreUnavailableError, match="replica behind"):
            await store.load("floor-1")
        assert await store.load("another-incident") == []  # the floor is per incident
    finally:
        READ_FLOOR.reset(token)


async def test_appending_raises_the_read_floor_to_what_was_written(store):
    from shared.eventstore import READ_FLOOR
    from tests.support.builders import analysis, received

    token = READ_FLOOR.set(None)
    try:
        seq = await store.append("floor-2", [received(), analysis()], expected_seq=0)
        assert READ_FLOOR.get() == ("floor-2", seq)
    finally:
        READ_FLOOR.reset(token)
