"""`aegis replay ID`: an incident rebuilt from the stream — its timeline, or its state at a sequence or time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from shared.config import INCIDENT_ID
from shared.errors import NotFoundError, ValidationError
from shared.events import iso
from shared.eventstore import EventStore, StoredEvent
from shared.projections.incident import IncidentState, fold


def checked_id(incident_id: str) -> str:
    if not INCIDENT_ID.match(incident_id):
        raise ValidationError(f"invalid incident id {incident_id!r}: letters, digits, '-' and '_' only")
    return incident_id


@dataclass(frozen=True)
class Cutoff:
    """Where to stop replaying: a stream sequence, a time, or nowhere."""

    seq: int | None = None
    time: datetime | None = None

    @classmethod
    def parse(cls, text: str | None) -> Cutoff:
        """`123` is a stream sequence; anything else must be an ISO 8601 time (UTC when it has no zone)."""
        if not text:
            return cls()
        if text.isdigit():
            return cls(seq=int(text))
        try:
            at = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(f"--at {text!r} is neither a stream sequence nor an ISO 8601 time") from None
        return cls(time=at if at.tzinfo else at.replace(tzinfo=UTC))

    def keeps(self, event: StoredEvent) -> bool:
        if self.seq is not None:
            return event.seq <= self.seq
        if self.time is not None:  # to the millisecond, the precision times are shown with
            t = event.envelope.time
            return t.replace(microsecond=t.microsecond // 1000 * 1000) <= self.time
        return True


@dataclass(frozen=True)
class Replay:
    incident_id: str
    events: list[StoredEvent]  # those up to the cutoff
    total: int  # all the incident has
    state: IncidentState | None

    def to_json(self, cutoff: Cutoff) -> dict[str, Any]:
        return {
            "incident_id": self.incident_id,
            "at": {"seq": cutoff.seq, "time": iso(cutoff.time) if cutoff.time else None},
            "events_replayed": len(self.events), "events_total": self.total,
            "state": self.state.to_result() if self.state else None,
            "events": [{"seq": e.seq, "time": iso(e.envelope.time), "type": e.envelope.type, "actor": e.envelope.actor,
                        "event_id": e.envelope.event_id, "causation_id": e.envelope.causation_id,
                        "payload": msgspec.to_builtins(e.envelope.payload)} for e in self.events],
        }


def rebuild(incident_id: str, stored: Sequence[StoredEvent], cutoff: Cutoff) -> Replay:
    """Pure: fold the events the cutoff keeps (the same fold every service uses)."""
    if not stored:
        raise NotFoundError(f"incident {incident_id} has no events in the stream")
    kept = [e for e in stored if cutoff.keeps(e)]
    return Replay(incident_id, kept, len(stored), fold((e.seq, e.envelope) for e in kept))


async def replay(store: EventStore, incident_id: str, cutoff: Cutoff) -> Replay:
    return rebuild(incident_id, await store.load(checked_id(incident_id)), cutoff)
