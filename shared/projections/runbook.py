"""The runbook read model: the latest entry per incident id, in the order they were first added."""

from __future__ import annotations

import msgspec

from shared.events import Envelope
from shared.events.knowledge import RunbookEntry, RunbookEntryAdded


class RunbookView:
    """Entries by incident id, folded from the RUNBOOK stream."""

    def __init__(self) -> None:
        self.entries: dict[str, RunbookEntry] = {}
        self.applied_seq = 0

    def apply(self, seq: int, env: Envelope) -> None:
        """Fold one runbook event (a later entry with the same id replaces the earlier)."""
        if isinstance(env.payload, RunbookEntryAdded):
            self.entries[env.payload.entry.incident_id] = env.payload.entry
        self.applied_seq = max(self.applied_seq, seq)

    def to_json(self) -> dict:
        """The Core API contract's GET /runbook shape."""
        entries = [msgspec.to_builtins(e) for e in self.entries.values()]
        return {"entries": entries, "total": len(entries)}
