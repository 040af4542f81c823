"""Durable pull consumers: explicit ack / nak(delay) / term / in_progress, bounded redelivery, re-bind."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import nats.errors
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.client import JetStreamContext

from shared.errors import AegisError, DecodeError, EventStoreError, RetryLater, is_retryable
from shared.events import Envelope, decode
from shared.events.incident import INCIDENTS_STREAM
from shared.eventstore import READ_FLOOR
from shared.jetstream import js_call
from shared.log import get_logger, incident_id_var
from shared.metrics import HANDLED, HANDLER_SECONDS
from shared.wiring import CONSUMERS, consumer

log = get_logger("consumer")
MAX_RETRY_LATER = 3600.0  # a deadline further away is re-checked hourly


@dataclass
class Delivery:
    """What a handler knows about the message it is handling."""

    msg: Msg
    attempt: int
    last_attempt: bool

    async def in_progress(self) -> None:
        """Tell JetStream we are still working so it does not redeliver."""
        await self.msg.in_progress()


Handler = Callable[[Envelope, Delivery], Awaitable[None]]
GiveUp = Callable[[Envelope, BaseException], Awaitable[None]]


@dataclass
class ConsumerSpec:
    """One durable consumer: which events it reacts to and what it does with them."""

    durable: str
    stream: str
    filter_subjects: Sequence[str]
    handler: Handler
    on_give_up: GiveUp | None = None
    ack_wait: float = 30.0
    max_deliver: int = 5
    batch: int = 64
    concurrency: int = 32
    nak_delays: Sequence[float] = field(default_factory=lambda: (0.2, 1.0, 3.0, 10.0))
    # None: a new durable starts at the stream's first message; else at this time (RFC 3339) — a node's executor
    # consumer starts where an action could still be waiting for it, not at the beginning of history
    start_time: str | None = None

    @classmethod
    def wired(cls, durable: str, handler: Handler, node: str = "", **options: Any) -> ConsumerSpec:
        """The spec of a consumer declared in shared/wiring.py (its stream and filter come from there); a per-node
        consumer is named for `node`."""
        declared = consumer(durable)
        return cls(durable=declared.durable_for(node), stream=declared.stream,
                   filter_subjects=declared.filter_subjects, handler=handler, **options)

    def config(self) -> ConsumerConfig:
        """The server-side consumer config this spec stands for."""
        start = {"deliver_policy": DeliverPolicy.BY_START_TIME, "opt_start_time": self.start_time} \
            if self.start_time else {"deliver_policy": DeliverPolicy.ALL}
        return ConsumerConfig(
            durable_name=self.durable, name=self.durable, **start,
            ack_policy=AckPolicy.EXPLICIT, ack_wait=self.ack_wait, max_deliver=self.max_deliver,
            filter_subjects=list(self.filter_subjects), max_ack_pending=10_000,
        )


def _incident_key(msg: Msg) -> str:
    parts = msg.subject.split(".")
    return parts[1] if len(parts) > 2 else msg.subject


class ConsumerRunner:
    """Pulls from one durable consumer and runs its handler; several processes may share the durable."""

    def __init__(self, nc: NATS, spec: ConsumerSpec) -> None:
        self.nc = nc
        self.js = nc.jetstream()
        self.spec = spec
        self._stopping = asyncio.Event()
        self._sub: JetStreamContext.PullSubscription | None = None
        self._reconnects_seen = 0
        self._inflight: set[asyncio.Task[None]] = set()

    async def ensure_consumer(self) -> None:
        """Create the durable, or update it explicitly when its config changed (creating does not)."""
        config = self.spec.config().as_dict()
        subject = f"$JS.API.CONSUMER.CREATE.{self.spec.stream}.{self.spec.durable}"
        for action in ("create", "update"):
            body = json.dumps({"stream_name": self.spec.stream, "config": config, "action": action})
            reply = await js_call(self.nc.request(subject, body.encode(), timeout=5.0))
            resp = json.loads(reply.data)
            if "error" not in resp:
                return
            if action == "create" and resp["error"].get("err_code") == 10148 and self.spec.start_time:
                # where an existing durable starts cannot change (and must not: it keeps its place)
                kept = (await js_call(self.js.consumer_info(self.spec.stream, self.spec.durable))).config
                config = {k: v for k, v in config.items() if k != "opt_start_time"}
                config["deliver_policy"] = DeliverPolicy(kept.deliver_policy).value
                if kept.opt_start_time is not None:
                    config["opt_start_time"] = ConsumerConfig._to_utc_iso(kept.opt_start_time)
            if action == "update" or resp["error"].get("err_code") != 10148:  # 10148: exists with other config
                raise EventStoreError(f"cannot create consumer {self.spec.durable}: {resp['error']}",
                                      err_code=resp["error"].get("err_code"))

    async def _bind(self) -> None:
        await self.ensure_consumer()
        self._sub = await js_call(self.js.pull_subscribe_bind(durable=self.spec.durable, stream=self.spec.stream))
        self._reconnects_seen = self.nc.stats.get("reconnects", 0)

    def stop(self) -> None:
        """Ask the loop to finish its in-flight messages and return."""
        self._stopping.set()

    async def run(self) -> None:
        """Fetch and handle until stop(); re-binds after NATS restarts or consumer loss."""
        failures = 0
        while not self._stopping.is_set():
            try:
                if self._sub is None or self.nc.stats.get("reconnects", 0) != self._reconnects_seen:
                    await self._bind()
                assert self._sub is not None  # bound just above
                msgs = await self._sub.fetch(self.spec.batch, timeout=1.0)
                failures = 0
            except (TimeoutError, nats.errors.TimeoutError):
                continue  # nothing pending: normal
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any fetch/bind failure leads to a re-bind
                failures += 1
                self._sub = None
                delay = min(0.1 * 2 ** failures, 5.0)
                log.warning("consumer fetch failed; re-binding",
                            extra={"durable": self.spec.durable, "error": repr(exc), "retry_in": delay})
                await self._sleep(delay)
                continue
            await self._handle_batch(msgs)
        await self._drain()

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            pass

    async def _handle_batch(self, msgs: list[Msg]) -> None:
        groups: dict[str, list[Msg]] = defaultdict(list)
        for msg in msgs:
            groups[_incident_key(msg)].append(msg)
        semaphore = asyncio.Semaphore(self.spec.concurrency)

        async def run_group(group: list[Msg]) -> None:
            async with semaphore:
                for msg in group:  # one incident's messages stay in order
                    await self.handle(msg)

        tasks = [asyncio.create_task(run_group(g)) for g in groups.values()]
        self._inflight.update(tasks)
        try:
            await asyncio.gather(*tasks)
        finally:
            self._inflight.difference_update(tasks)

    async def _drain(self) -> None:
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)

    async def handle(self, msg: Msg) -> None:
        """Handle one message: ack on success, nak(delay) on failure, term if undecodable."""
        spec = self.spec
        try:
            env = decode(msg.data)
        except DecodeError as exc:
            log.error("terminating undecodable message", extra={"durable": spec.durable, "subject": msg.subject,
                                                                 "error": str(exc)})
            HANDLED.labels(spec.durable, "term").inc()
            await msg.term()
            return
        attempt = msg.metadata.num_delivered
        delivery = Delivery(msg=msg, attempt=attempt, last_attempt=attempt >= spec.max_deliver)
        token = incident_id_var.set(env.incident_id)
        # handlers decide on a state that includes, at least, the event that woke them (see EventStore.load)
        floor = READ_FLOOR.set((env.incident_id, msg.metadata.sequence.stream) if env.incident_id else None)
        heartbeat = asyncio.create_task(self._keep_alive(msg))
        try:
            with HANDLER_SECONDS.labels(spec.durable).time():
                await spec.handler(env, delivery)
        except asyncio.CancelledError:
            raise
        except RetryLater as later:
            HANDLED.labels(spec.durable, "later").inc()
            await msg.nak(delay=max(0.05, min(later.delay, MAX_RETRY_LATER)))
        except Exception as exc:  # noqa: BLE001 - every failure is either retried or given up on
            await self._failed(env, delivery, exc)
        else:
            HANDLED.labels(spec.durable, "ack").inc()
            await msg.ack()
        finally:
            heartbeat.cancel()
            incident_id_var.reset(token)
            READ_FLOOR.reset(floor)

    async def _failed(self, env: Envelope, delivery: Delivery, exc: BaseException) -> None:
        spec = self.spec
        known = isinstance(exc, AegisError)
        retryable = is_retryable(exc)
        log.log(30 if known else 40, "handler failed",
                extra={"durable": spec.durable, "event": env.type, "attempt": delivery.attempt,
                       "retryable": retryable, "error": repr(exc)}, exc_info=None if known else exc)
        if delivery.last_attempt or not retryable:  # trying the same work again cannot help: give up now
            HANDLED.labels(spec.durable, "gave_up").inc()
            if spec.on_give_up is not None:
                try:
                    await spec.on_give_up(env, exc)
                except Exception as give_up_exc:  # noqa: BLE001
                    log.error("give-up hook failed", extra={"error": repr(give_up_exc)})
            await delivery.msg.term()
            return
        HANDLED.labels(spec.durable, "nak").inc()
        delay = spec.nak_delays[min(delivery.attempt - 1, len(spec.nak_delays) - 1)]
        await delivery.msg.nak(delay=delay)

    async def _keep_alive(self, msg: Msg) -> None:
        interval = max(self.spec.ack_wait / 3, 0.5)
        while True:
            await asyncio.sleep(interval)
            try:
                await msg.in_progress()
            except Exception:  # noqa: BLE001 - connection trouble; redelivery is the fallback
                return



async def stage_durables(js: JetStreamContext) -> list[str]:
    """The pipeline's durables as they exist on the server, in pipeline order: a per-node consumer once per node
    (`executor-alpha`, `executor-beta`), every other one by its declared name."""
    names = {c.name for c in await js_call(js.consumers_info(INCIDENTS_STREAM))}
    out: list[str] = []
    for c in CONSUMERS:
        out += sorted(n for n in names if n.startswith(f"{c.durable}-")) if c.per_node else [c.durable]
    return out
