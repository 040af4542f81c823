"""Event types: `base` (payload base), `incident` and `system` (the catalog), `catalog` (envelope, codec)."""

from shared.events.base import Event, deterministic_id, iso, now
from shared.events.catalog import ALL_EVENTS, EVENTS_BY_TAG, Envelope, decode, encode

__all__ = ["ALL_EVENTS", "EVENTS_BY_TAG", "Envelope", "Event", "decode", "deterministic_id", "encode", "iso", "now"]
