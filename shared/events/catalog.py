"""The envelope and the catalog of every event type, with the codecs built once."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Union

import msgspec

from shared.errors import DecodeError
from shared.events.base import Event
from shared.events.correlation import CORRELATION_EVENTS
from shared.events.incident import INCIDENT_EVENTS
from shared.events.knowledge import KNOWLEDGE_EVENTS
from shared.events.legacy import LEGACY_EVENTS, UPCASTERS
from shared.events.security import AUDIT_EVENTS, AUTH_EVENTS
from shared.events.silences import SILENCE_EVENTS
from shared.events.system import INVENTORY_EVENTS, SYSTEM_EVENTS

ALL_EVENTS: tuple[type[Event], ...] = (
    INCIDENT_EVENTS
    + SYSTEM_EVENTS
    + INVENTORY_EVENTS
    + KNOWLEDGE_EVENTS
    + AUTH_EVENTS
    + AUDIT_EVENTS
    + CORRELATION_EVENTS
    + SILENCE_EVENTS
)  # what is written today
if TYPE_CHECKING:
    AnyEvent = Event  # for the checker: code narrows with isinstance before it reads a field
else:
    AnyEvent = Union[ALL_EVENTS + LEGACY_EVENTS]  # noqa: UP007 - built from a tuple; what may be read
EVENTS_BY_TAG: dict[str, type[Event]] = {cls.type_tag(): cls for cls in ALL_EVENTS}


class Envelope(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An immutable fact: who did what to which incident, when, and because of what."""

    event_id: str
    incident_id: str | None
    time: datetime
    actor: str
    payload: AnyEvent
    causation_id: str | None = None
    correlation_id: str | None = None

    @property
    def type(self) -> str:
        """The payload's versioned type tag, e.g. 'incident.received.v1'."""
        return self.payload.type_tag()


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Envelope)


def encode(envelope: Envelope) -> bytes:
    """Serialize an envelope to JSON bytes."""
    return _encoder.encode(envelope)


def decode(data: bytes) -> Envelope:
    """Parse JSON bytes into an envelope; DecodeError when they are not one of our events."""
    try:
        env = _decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise DecodeError(f"undecodable event: {exc}") from None
    while type(env.payload) in UPCASTERS:  # an older version: bring it up to the current one
        env = msgspec.structs.replace(env, payload=UPCASTERS[type(env.payload)](env.payload))
    return env
