"""The event store over JetStream: append with optimistic concurrency, load one incident, dedup by id."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Sequence
from contextvars import ContextVar
from typing import NamedTuple

from nats.aio.client import Client as NATS

from shared.errors import EventStoreError, StoreUnavailableError
from shared.events import Envelope, Event, decode, deterministic_id, encode, now
from shared.events.incident import INCIDENTS_STREAM
from shared.jetstream import js_call
from shared.publisher import Ack, Publisher

MSG_ID = "Nats-Msg-Id"
EXPECTED_LAST_SUBJECT_SEQ = "Nats-Expected-Last-Subject-Sequence"
EXPECTED_LAST_SUBJECT_SEQ_SUBJECT = "Nats-Expected-Last-Subject-Sequence-Subject"
LOAD_BATCH = 1000


class StoredEvent(NamedTuple):
    """An envelope with the stream sequence JetStream stored it at."""

    seq: int
    envelope: Envelope


READ_FLOOR: ContextVar[tuple[str, int] | None] = ContextVar("read_floor", default=None)
READ_FLOOR_WAIT = 2.0  # seconds a lagging replica may take before a load gives up (transiently)


def raise_read_floor(incident_id: str, seq: int) -> None:
    """Loads of this incident in the current task must see at least stream sequence `seq`."""
    floor = READ_FLOOR.get()
    if floor is None or floor[0] != incident_id or floor[1] < seq:
        READ_FLOOR.set((incident_id, seq))


def incident_filter(incident_id: str) -> str:
    """The subject filter that selects every event of one incident."""
    return f"incidents.{incident_id}.>"


class EventStore:
    """Appends and loads events; the only code that writes facts to JetStream."""

    def __init__(self, nc: NATS, actor: str, timeout: float = 5.0) -> None:
        self.nc = nc
        self.js = nc.jetstream(timeout=timeout)
        self.actor = actor
        self.timeout = timeout
        self.publisher = Publisher(nc)

    def envelope(self, incident_id: str | None, event: Event, *, causation: Envelope | None = None,
                 index: int = 0, event_id: str | None = None, basis: int = 0) -> Envelope:
        """Wrap a payload. Ids derive from the causing event and the sequence the decision was based on,
        so a redelivered handler deciding on the same state repeats them (and JetStream dedups)."""
        if event_id is None:
            event_id = (deterministic_id(causation.event_id, event.type_tag(), str(basis), str(index))
                        if causation is not None else str(uuid.uuid4()))
        correlation = (causation.correlation_id or causation.event_id) if causation is not None else event_id
        return Envelope(event_id=event_id, incident_id=incident_id, time=now(), actor=self.actor, payload=event,
                        causation_id=causation.event_id if causation is not None else None,
                        correlation_id=correlation)

    async def append(self, incident_id: str, events: Sequence[Event], *, expected_seq: int,
                     causation: Envelope | None = None, event_ids: Sequence[str] | None = None) -> int:
        """Append events to one incident if its last sequence is still `expected_seq` (0: new incident).

        Raises ConcurrencyError when another writer got there first. Returns the last stored sequence.
        """
        stored = await self.append_stored(incident_id, events, expected_seq=expected_seq, causation=causation,
                                          event_ids=event_ids)
        return stored[-1].seq if stored else expected_seq

    async def append_stored(self, incident_id: str, events: Sequence[Event], *, expected_seq: int,
                            causation: Envelope | None = None,
                            event_ids: Sequence[str] | None = None) -> list[StoredEvent]:
        """Like append(), returning what was stored so callers can fold it without reloading."""
        seq = expected_seq
        stored: list[StoredEvent] = []
        for index, event in enumerate(events):
            env = self.envelope(incident_id, event, causation=causation, index=index, basis=expected_seq,
                                event_id=event_ids[index] if event_ids else None)
            ack = await self.publish(env, seq)
            seq = ack.seq
            stored.append(StoredEvent(seq, env))
        if stored:
            raise_read_floor(incident_id, seq)  # read your own writes, from any replica
        return stored

    @staticmethod
    def _headers(env: Envelope, expected_seq: int | None) -> dict[str, str]:
        headers = {MSG_ID: env.event_id}
        if expected_seq is not None:  # without an incident: the check is on the message's own subject
            headers[EXPECTED_LAST_SUBJECT_SEQ] = str(expected_seq)
            if env.incident_id is not None:
                headers[EXPECTED_LAST_SUBJECT_SEQ_SUBJECT] = incident_filter(env.incident_id)
        return headers

    async def publish(self, env: Envelope, expected_seq: int | None) -> Ack:
        """Store one envelope; with `expected_seq` the append is conditional on the incident's last seq."""
        return (await self.publish_pipelined([(env, expected_seq)]))[0]

    async def publish_pipelined(self, items: Sequence[tuple[Envelope, int | None]]) -> list[Ack]:
        """Store many envelopes with one round trip's latency (appends to different incidents).

        Raises the first failure (ConcurrencyError, StoreUnavailableError, ...) after all acks are in.
        """
        futures = [await self.publisher.send(env.payload.nats_subject(env.incident_id or ""), encode(env),
                                             self._headers(env, expected))
                   for env, expected in items]
        results = await self.publisher.wait(futures, self.timeout)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return results  # type: ignore[return-value]

    async def append_system(self, event: Event, event_id: str | None = None, *, first: bool = False) -> int:
        """Append an event outside any incident. `first`: only if its subject holds nothing yet (else
        ConcurrencyError) — how a unique name (a user's email) is claimed once, even by racing writers."""
        ack = await self.publish(self.envelope(None, event, event_id=event_id), 0 if first else None)
        return ack.seq

    async def load(self, incident_id: str, stream: str = INCIDENTS_STREAM) -> list[StoredEvent]:
        """Every event of one incident in order, read with batched direct gets (one round trip per 1000).

        Never older than this task's read floor (the event that woke the handler, and what it appended): on a
        replicated stream a direct get may be answered by a follower that has not applied those yet — then the
        read is repeated, and after READ_FLOOR_WAIT it fails as transient (the message is redelivered)."""
        floor = READ_FLOOR.get()
        wanted = floor[1] if floor is not None and floor[0] == incident_id and stream == INCIDENTS_STREAM else 0
        deadline = time.monotonic() + READ_FLOOR_WAIT
        while True:
            stored = await self.load_subject(incident_filter(incident_id), stream)
            if not wanted or (stored and stored[-1].seq >= wanted):
                return stored
            if time.monotonic() > deadline:
                raise StoreUnavailableError(f"replica behind: {incident_id} not yet at sequence {wanted}",
                                            incident_id=incident_id)
            await asyncio.sleep(0.01)

    async def load_subject(self, subject_filter: str, stream: str) -> list[StoredEvent]:
        """Every stored message matching a subject filter, decoded, in stream order."""
        out: list[StoredEvent] = []
        start = 1
        while True:
            batch, more = await self._direct_batch(stream, subject_filter, start)
            out.extend(batch)
            if not more or not batch:
                return out
            start = batch[-1].seq + 1

    async def _direct_batch(self, stream: str, subject_filter: str, start: int) -> tuple[list[StoredEvent], bool]:
        inbox = self.nc.new_inbox()
        sub = await self.nc.subscribe(inbox)
        try:
            request = json.dumps({"seq": start, "next_by_subj": subject_filter, "batch": LOAD_BATCH}).encode()
            await js_call(self.nc.publish(f"$JS.API.DIRECT.GET.{stream}", request, reply=inbox))
            out: list[StoredEvent] = []
            more = False
            while True:
                msg = await js_call(sub.next_msg(timeout=self.timeout))
                headers = msg.headers or {}
                status = headers.get("Status")
                if status == "404" or status == "204":  # not found / end of batch
                    return out, more
                if status:
                    raise EventStoreError(f"direct get failed: {status} {headers.get('Description', '')}",
                                          status=status)
                out.append(StoredEvent(int(headers["Nats-Sequence"]), decode(msg.data)))
                more = int(headers.get("Nats-Num-Pending", "0")) > 0
                if len(out) >= LOAD_BATCH and not more:
                    return out, more
        finally:
            await sub.unsubscribe()

