"""The consumer runner against a real nats-server: ack, redelivery, term, give-up, sharing, keep-alive."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from aegis.harness import eventually
from shared.aggregate import decide_and_append
from shared.consumer import ConsumerRunner, ConsumerSpec
from shared.errors import (
    ConfigError,
    DecodeError,
    IllegalTransitionError,
    NotFoundError,
    RateLimitedError,
    RemoteError,
    StoreUnavailableError,
    TransientError,
    ValidationError,
    is_retryable,
)
from shared.events import incident as ev
from shared.events.incident import INCIDENTS_STREAM
from tests.support.builders import received

pytestmark = pytest.mark.integration


@contextlib.asynccontextmanager
async def running(nc, spec):
    runner = ConsumerRunner(nc, spec)
    await runner.ensure_consumer()
    task = asyncio.create_task(runner.run())
    try:
        yield runner
    finally:
        runner.stop()
        await asyncio.wait_for(task, 10)


def spec(handler, **kw):
    return ConsumerSpec(durable=kw.pop("durable", "test-analyst"), stream=INCIDENTS_STREAM,
                        filter_subjects=["incidents.*.received"], handler=handler, **kw)


async def test_crash_mid_message_is_redelivered_and_its_effect_appended_once(nc, store):
    attempts = []

    async def handler(env, delivery):
        attempts.append(delivery.attempt)

        def decide(state):
            return [] if state.status == "ANALYSING" else [ev.AnalysisStarted(analyzer="offline")]

        await decide_and_append(store, env.incident_id, decide, causation=env)
        if delivery.attempt == 1:
            raise RuntimeError("crash after the append, before the ack")

    await store.append("inc-1", [received()], expected_seq=0)
    async with running(nc, spec(handler)):
        await eventually(lambda: len(attempts) >= 2, what="redelivery")
    stored = await store.load("inc-1")
    assert [s.envelope.type for s in stored] == ["incident.received.v1", "incident.analysis_started.v1"]
    assert attempts == [1, 2]


async def test_undecodable_message_is_terminated_and_the_next_one_handled(nc, store):
    seen = []

    async def handler(env, delivery):
        seen.append(env.incident_id)

    await nc.jetstream().publish("incidents.junk.received", b"\x00not an event")
    await store.append("good", [received()], expected_seq=0)
    async with running(nc, spec(handler)):
        await eventually(lambda: seen == ["good"], what="the good message")
        info = await nc.jetstream().consumer_info(INCIDENTS_STREAM, "test-analyst")
        await eventually(lambda: info.num_ack_pending == 0, what="nothing left unacked")
    assert seen == ["good"]


async def test_bounded_redelivery_ends_in_the_give_up_hook(nc, store):
    given_up = []

    async def handler(env, delivery):
        raise RuntimeError("always broken")

    async def on_give_up(env, exc):
        given_up.append((env.incident_id, str(exc)))

    await store.append("inc-1", [received()], expected_seq=0)
    async with running(nc, spec(handler, on_give_up=on_give_up, max_deliver=3, nak_delays=(0.05,))):
        await eventually(lambda: given_up, what="give up")
    assert given_up == [("inc-1", "always broken")]


async def test_long_handler_keeps_the_message_with_in_progress(nc, store):
    calls = []

    async def handler(env, delivery):
        calls.append(delivery.attempt)
        await asyncio.sleep(2.5)  # simulated long work, longer than ack_wait

    await store.append("inc-1", [received()], expected_seq=0)
    async with running(nc, spec(handler, ack_wait=1.0)):
        await eventually(lambda: calls, what="first call")
        info = await eventually(lambda: _acked(nc), timeout=10, what="ack")
    assert calls == [1] and info


async def _acked(nc):
    info = await nc.jetstream().consumer_info(INCIDENTS_STREAM, "test-analyst")
    return info.num_ack_pending == 0 and info.num_pending == 0 and info.delivered.stream_seq > 0


async def test_two_runners_share_one_durable_and_split_the_work(nc, store):
    seen: dict[str, list[str]] = {"a": [], "b": []}

    def handler_for(name):
        async def handler(env, delivery):
            seen[name].append(env.incident_id)
            await asyncio.sleep(0.01)
        return handler

    async with running(nc, spec(handler_for("a"), batch=4)), running(nc, spec(handler_for("b"), batch=4)):
        await asyncio.gather(*(store.append(f"inc-{i}", [received()], expected_seq=0) for i in range(60)))
        await eventually(lambda: len(seen["a"]) + len(seen["b"]) >= 60, what="all handled")
    handled = seen["a"] + seen["b"]
    assert sorted(handled) == sorted(f"inc-{i}" for i in range(60))  # each exactly once
    assert seen["a"] and seen["b"]


async def test_changed_consumer_config_is_updated_in_place(nc):
    async def handler(env, delivery):
        pass

    await ConsumerRunner(nc, spec(handler, ack_wait=5.0)).ensure_consumer()
    await ConsumerRunner(nc, spec(handler, ack_wait=7.0)).ensure_consumer()
    info = await nc.jetstream().consumer_info(INCIDENTS_STREAM, "test-analyst")
    assert info.config.ack_wait == 7.0


@pytest.mark.parametrize("error", [ValidationError("container name 'a;b' is not valid"),
                                   IllegalTransitionError("RESOLVED does not take a vote")])
async def test_a_non_retryable_error_gives_up_at_once(nc, store, error):
    attempts, given_up = [], []

    async def handler(env, delivery):
        attempts.append(delivery.attempt)
        raise error

    async def on_give_up(env, exc):
        given_up.append(str(exc))

    await store.append("inc-1", [received()], expected_seq=0)
    async with running(nc, spec(handler, on_give_up=on_give_up, max_deliver=5, nak_delays=(0.05,))):
        await eventually(lambda: given_up, what="give up")
        await asyncio.sleep(0.3)  # a redelivery would have come within the nak delay
    assert attempts == [1] and given_up == [str(error)]


async def test_a_transient_error_is_retried_until_it_passes(nc, store):
    attempts = []

    async def handler(env, delivery):
        attempts.append(delivery.attempt)
        if delivery.attempt < 3:
            raise StoreUnavailableError("JetStream did not answer")

    await store.append("inc-1", [received()], expected_seq=0)
    async with running(nc, spec(handler, max_deliver=5, nak_delays=(0.05,))):
        await eventually(lambda: attempts == [1, 2, 3], what="third attempt")


def test_errors_say_whether_a_retry_can_help():
    assert not is_retryable(ValidationError("x")) and not is_retryable(DecodeError("x"))
    assert not is_retryable(ConfigError("x")) and not is_retryable(NotFoundError("x"))
    assert is_retryable(StoreUnavailableError("x")) and is_retryable(TransientError("x"))
    assert is_retryable(RateLimitedError("slow down", retry_after=3)) and is_retryable(OSError("unexpected"))
    assert is_retryable(RemoteError("bad gateway", 502)) and not is_retryable(RemoteError("bad input", 422))
