"""The read model of all incidents: folded live from the INCIDENTS stream, queried by the gateway."""

from __future__ import annotations

from collections.abc import Callable

from shared.events import Envelope
from shared.log import get_logger
from shared.projections.incident import IncidentState, evolve

log = get_logger("incidents_view")
Listener = Callable[[IncidentState | None, IncidentState, Envelope], None]


class IncidentsView:
    """Incident states by id plus listeners told of every applied event (e.g. the WebSocket feed)."""

    def __init__(self) -> None:
        self.incidents: dict[str, IncidentState] = {}
        self.listeners: list[Listener] = []
        self.events_applied = 0

    def apply(self, seq: int, env: Envelope) -> None:
        """Fold one event in; IllegalTransitionError propagates to the projector, which skips and logs."""
        if env.incident_id is None:
            return
        previous = self.incidents.get(env.incident_id)
        state = evolve(previous, env, seq)
        self.incidents[env.incident_id] = state
        self.events_applied += 1
        for listener in self.listeners:
            listener(previous, state, env)

    def get(self, incident_id: str) -> IncidentState | None:
        """One incident, or None."""
        return self.incidents.get(incident_id)

    def all(self) -> list[IncidentState]:
        """Every incident, oldest first."""
        return sorted(self.incidents.values(), key=lambda s: s.created_at)
