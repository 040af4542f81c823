"""One outage, one incident: which incident a new alert joins, decided on the event log.

The pure part (`key_for`, `decide`) says what a key is and whether its current primary still takes alerts; the I/O
part (`correlate`) reads the key's last `correlation.opened` and, when no primary takes the alert, claims the key with
a compare-and-set on its subject — so of any number of gateways (and the prober) racing on one outage, exactly one
opens the incident and every other alert joins it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from shared.errors import ConcurrencyError, NotFoundError, StoreUnavailableError
from shared.events import decode, deterministic_id
from shared.events.correlation import CORRELATION_STREAM, AlertJoined, AlertSilenced, CorrelationOpened
from shared.eventstore import EventStore
from shared.jetstream import js_call
from shared.projections.incident import IncidentState

GHOST_AFTER = timedelta(seconds=60)  # a primary no view has seen after this long was never created: claim anew
CLAIM_ATTEMPTS = 8

Lookup = Callable[[str], IncidentState | None]


def key_for(container_name: str | None, source: str = "", labels: Mapping[str, str] | None = None,
            group_labels: Sequence[str] = ()) -> str | None:
    """The correlation key: the target by default; for Alertmanager alerts, its group labels when configured.
    None: the alert names nothing to correlate on, so it stands alone."""
    if source == "alertmanager" and group_labels and labels is not None:
        values = [f"{name}={labels.get(name, '')}" for name in group_labels]
        if any(labels.get(name) for name in group_labels):
            return "am:" + ",".join(values)
    return f"target:{container_name}" if container_name else None


def token(key: str) -> str:
    """A subject-safe token for a key (target names may hold dots; group labels anything)."""
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def ended_at(state: IncidentState) -> datetime | None:
    """When a terminal incident ended (None while it is open)."""
    if not state.terminal:
        return None
    return state.resolved_at or (state.timeline[-1].ts if state.timeline else state.created_at)


def decide(opened: CorrelationOpened | None, primary: IncidentState | None, at: datetime,
           window_seconds: float, alert_type: str | None = None, source: str = "") -> str | None:
    """The incident an alert with this key joins now, or None when it must open a new one (pure). While the primary
    is open every alert with the key joins, and within the window after it ended too: the tail of a storm. One
    exception: after a fix, the prober's own alert of another kind (it fires once per new condition, e.g. a CPU
    spike right after a memory restart) is a new problem."""
    if opened is None:
        return None
    if primary is None:  # created by another writer moments ago, or never (its writer died after the claim)
        return opened.primary if at - opened.at <= GHOST_AFTER else None
    end = ended_at(primary)
    if end is None:
        return opened.primary
    new_condition = (primary.status == "RESOLVED" and source == "prober" and alert_type is not None
                     and alert_type != primary.alert_type)
    late_copy = not new_condition
    return opened.primary if late_copy and (at - end).total_seconds() <= window_seconds else None


async def last_opened(store: EventStore, key: str) -> tuple[CorrelationOpened | None, int]:
    """The key's current claim and its stream sequence (0: never claimed)."""
    try:
        msg = await js_call(store.js.get_last_msg(CORRELATION_STREAM, f"correlation.{token(key)}.opened"))
    except NotFoundError:
        return None, 0
    payload = decode(msg.data or b"").payload
    return (payload if isinstance(payload, CorrelationOpened) else None), msg.seq or 0


async def correlate(store: EventStore, key: str, incident_id: str, lookup: Lookup, at: datetime,
                    window_seconds: float, alert_type: str | None = None, source: str = "",
                    known: dict[str, str] | None = None) -> str | None:
    """None: `incident_id` is (now) the key's primary and runs the pipeline; else the primary it joins.

    `known` (key → primary, kept by the caller) skips the stream read while that primary is still open in the
    caller's view: joining an open primary is right whoever claimed it, so only the moment a primary ends needs the
    read and the compare-and-set."""
    if known is not None and key in known:
        cached = lookup(known[key])
        if cached is not None and not cached.terminal and known[key] != incident_id:
            return known[key]
    for _ in range(CLAIM_ATTEMPTS):
        opened, seq = await last_opened(store, key)
        if opened is not None and opened.primary == incident_id:
            return None  # a retried request: this incident already holds the key
        join = decide(opened, lookup(opened.primary) if opened else None, at, window_seconds, alert_type, source)
        if join is not None:
            if known is not None:
                known[key] = join
            return join
        claim = CorrelationOpened(token=token(key), key=key, primary=incident_id, at=at)
        try:
            await store.publish(store.envelope(None, claim, event_id=f"corr-{token(key)}-{incident_id}"), seq)
            if known is not None:
                known[key] = incident_id
            return None
        except ConcurrencyError:
            continue  # another writer claimed it first: read again and join theirs
    raise StoreUnavailableError(f"could not settle correlation key {key!r} after {CLAIM_ATTEMPTS} attempts")


async def record_join(store: EventStore, key: str, primary: str, alert_id: str, source: str, alert_type: str,
                      severity: str | None, at: datetime) -> None:
    """The primary's side of a join (its count, sources, first/last seen), once per alert."""
    await store.publish(store.envelope(None, AlertJoined(
        token=token(key), key=key, primary=primary, alert_id=alert_id, source=source, alert_type=alert_type[:200],
        severity=severity, at=at), event_id=deterministic_id("joined", alert_id)), None)


async def record_silenced(store: EventStore, silence_id: str, alert_id: str, source: str, alert_type: str,
                          container_name: str | None, at: datetime) -> None:
    """Count an alert a silence caught, once per alert."""
    key = f"silence:{silence_id}"
    await store.publish(store.envelope(None, AlertSilenced(
        token=token(key), key=key, alert_id=alert_id, silence_id=silence_id, source=source,
        alert_type=alert_type[:200], at=at, container_name=container_name),
        event_id=deterministic_id("silenced", alert_id)), None)
