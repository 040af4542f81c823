"""The base class every event payload derives from, and the id/time helpers events use."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import ClassVar

import msgspec

EVENT_NAMESPACE = uuid.UUID("6f1f2b1e-9a51-4d0c-9e43-a3e5c0f1d7a2")


# gc=False (events, envelopes, value objects, read-model states): immutable data that is never part of a reference
# cycle, so refcounting frees it; read models hold hundreds of thousands of these and the cyclic collector walking
# them all caused 70-80 ms pauses in the gateway (bench/intake.py, p99 of webhooks).
class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="type", gc=False):
    """Base of all event payloads. The tag is '<domain>.<name>.v<N>'; <name> is the subject token."""

    stream: ClassVar[str] = ""

    @classmethod
    def type_tag(cls) -> str:
        """The versioned type tag, e.g. 'incident.received.v1'."""
        return cls.__struct_config__.tag  # type: ignore[return-value]

    @classmethod
    def name(cls) -> str:
        """The subject token of this event type, e.g. 'received'."""
        return cls.type_tag().split(".")[1]

    def nats_subject(self, key: str) -> str:
        """The subject this event is stored under for aggregate `key`."""
        raise NotImplementedError


def now() -> datetime:
    """The current UTC time (event timestamps are always timezone-aware UTC)."""
    return datetime.now(UTC)


def iso(ts: datetime) -> str:
    """ISO-8601 with milliseconds and a Z, as the Core API contract writes timestamps."""
    if ts.utcoffset():
        ts = ts.astimezone(UTC)
    return ts.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def deterministic_id(*parts: str) -> str:
    """An id that is the same every time the same parts produce it (for Nats-Msg-Id dedup)."""
    return str(uuid.uuid5(EVENT_NAMESPACE, "|".join(parts)))
