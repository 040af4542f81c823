"""Catch a read model up from a stream and keep it live; callers can wait for a given sequence."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import weakref
from collections.abc import Callable

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy
from nats.js.client import JetStreamContext

from shared.errors import AegisError, StoreUnavailableError
from shared.events import Envelope, decode
from shared.eventstore import EventStore
from shared.jetstream import js_call
from shared.log import get_logger
from shared.natsfast import stream_seq_and_pending

log = get_logger("projector")
Apply = Callable[[int, Envelope], None]
_LIVE: weakref.WeakSet[Projector] = weakref.WeakSet()  # this process's projectors, for skipped_events()


def skipped_events() -> dict[str, dict[str, object]]:
    """Per read model of this process that skipped stored events: how many, and the last reason — for
    /health/ready, the metrics and `aegis status` (a skipped event is data a read model does not show)."""
    counts: dict[str, int] = {}
    errors: dict[str, str] = {}
    for p in _LIVE:
        if p.skipped:
            counts[p.name] = counts.get(p.name, 0) + p.skipped
            errors[p.name] = p.last_skip_error
    return {name: {"skipped": counts[name], "last_error": errors[name]} for name in sorted(counts)}


class Projector:
    """Feeds every event of `subject` in `stream` to `apply`, in order, through an ordered consumer."""

    def __init__(self, nc: NATS, stream: str, subject: str, apply: Apply, name: str = "projection") -> None:
        self.nc = nc
        self.js = nc.jetstream()
        self.stream = stream
        self.subject = subject
        self.apply = apply
        self.name = name
        self.applied_seq = 0
        self.skipped = 0
        self.last_skip_error = ""
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._counter = itertools.count()
        self._sub: JetStreamContext.PushSubscription | None = None
        self._caught_up = asyncio.Event()
        _LIVE.add(self)

    async def start(self) -> None:
        """Start consuming from the beginning of the stream."""
        self._sub = await js_call(self.js.subscribe(
            self.subject, stream=self.stream, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL,
            cb=self._on_msg, idle_heartbeat=2.0, pending_msgs_limit=1_000_000, pending_bytes_limit=1 << 30))
        info = await js_call(self._sub.consumer_info())
        if info.num_pending == 0 and self.applied_seq == 0:
            self._caught_up.set()

    async def stop(self) -> None:
        """Stop consuming; waiters get cancelled."""
        if self._sub is not None:
            try:
                await self._sub.unsubscribe()
            except Exception:  # noqa: BLE001 - connection may already be gone at shutdown
                pass
            self._sub = None
        for _, _, fut in self._waiters:
            fut.cancel()
        self._waiters.clear()

    async def _on_msg(self, msg: Msg) -> None:
        fast = stream_seq_and_pending(msg.reply)
        if fast is None:
            seq, pending = msg.metadata.sequence.stream, msg.metadata.num_pending
        else:
            seq, pending = fast
        if seq <= self.applied_seq:
            return
        try:
            self.apply(seq, decode(msg.data))
        except AegisError as exc:
            self.skipped += 1
            self.last_skip_error = f"seq {seq}: {exc}"
            log.error("projection skipped an event", extra={"projection": self.name, "seq": seq, "error": str(exc)})
        self.applied_seq = seq
        if pending == 0:
            self._caught_up.set()
        waiters = self._waiters
        while waiters and waiters[0][0] <= seq:
            fut = heapq.heappop(waiters)[2]
            if not fut.done():
                fut.set_result(None)

    async def wait_for(self, seq: int, timeout: float = 10.0) -> None:
        """Return once the event at stream sequence `seq` (or later) has been applied."""
        if self.applied_seq >= seq:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (seq, next(self._counter), fut))
        try:
            await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            raise StoreUnavailableError(f"{self.name} did not reach sequence {seq} in {timeout}s",
                                        applied=self.applied_seq) from None

    @property
    def caught_up(self) -> bool:
        """True once the backlog that existed at start has been applied."""
        return self._caught_up.is_set()

    async def catch_up(self, timeout: float = 30.0) -> None:
        """Wait until the backlog that existed at start has been applied."""
        try:
            await asyncio.wait_for(self._caught_up.wait(), timeout)
        except TimeoutError:
            raise StoreUnavailableError(f"{self.name} did not catch up in {timeout}s",
                                        applied=self.applied_seq) from None


async def fold_stream(store: EventStore, stream: str, subject: str, apply: Apply) -> None:
    """Apply every stored event of `subject` once, now (for a CLI or a start-up check; services that keep a
    read model live use a Projector)."""
    for stored in await store.load_subject(subject, stream):
        apply(stored.seq, stored.envelope)
