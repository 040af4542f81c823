"""Load an incident, decide, append; on a concurrency conflict reload and decide again."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from shared.errors import ConcurrencyError
from shared.events import Envelope, Event
from shared.eventstore import EventStore
from shared.log import get_logger
from shared.projections.incident import IncidentState, evolve, fold

log = get_logger("aggregate")
Decide = Callable[[IncidentState | None], Sequence[Event]]


async def load_incident(store: EventStore, incident_id: str) -> tuple[IncidentState | None, int]:
    """The incident's current state and the sequence of its last event (0 if none)."""
    stored = await store.load(incident_id)
    state = fold(stored)
    return state, (stored[-1].seq if stored else 0)


async def decide_and_append(store: EventStore, incident_id: str, decide: Decide, *,
                            causation: Envelope | None = None, attempts: int = 8) -> tuple[IncidentState | None, int]:
    """Run `decide` on fresh state and append its events, each conditional on the incident's last sequence.

    A writer that appended first is detected before our first event is stored (then we reload and decide again).
    The events are not one transaction: if the store fails after the first of several, that prefix stays, and the
    redelivered message decides again on a state that includes it (event ids are deterministic, so an event
    written twice within the dedup window is stored once).
    Returns the incident's state after the append (folded locally, no reload) and its last sequence.
    """
    for attempt in range(attempts):
        state, seq = await load_incident(store, incident_id)
        events = decide(state)
        if not events:
            return state, seq
        try:
            stored = await store.append_stored(incident_id, events, expected_seq=seq, causation=causation)
        except ConcurrencyError:
            log.info("append conflict, reloading", extra={"incident_id": incident_id, "attempt": attempt + 1})
            continue
        for item in stored:
            state = evolve(state, item.envelope, item.seq)
        return state, stored[-1].seq
    raise ConcurrencyError(f"gave up after {attempts} conflicting appends", incident_id=incident_id)
