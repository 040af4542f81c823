"""Which actions ran on which target and when: the council's restart budget reads it."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from shared.events import Envelope
from shared.events.incident import ActionStarted


class TargetHistory:
    """Action starts by target, folded from incidents.*.action_started."""

    def __init__(self) -> None:
        self.actions: dict[str, list[tuple[datetime, str, str]]] = defaultdict(list)

    def apply(self, seq: int, env: Envelope) -> None:
        """Fold one action_started event."""
        if isinstance(env.payload, ActionStarted) and env.incident_id:
            self.actions[env.payload.target].append((env.time, env.payload.action, env.incident_id))

    def count(self, target: str, action: str, since: datetime, exclude: str | None = None) -> int:
        """How many times `action` started on `target` since `since` (other than for incident `exclude`)."""
        return sum(1 for t, a, i in self.actions.get(target, ()) if a == action and t >= since and i != exclude)

    def recent(self, target: str, action: str, now: datetime, minutes: float, exclude: str | None = None) -> int:
        """Starts within the last `minutes`."""
        return self.count(target, action, now - timedelta(minutes=minutes), exclude)
