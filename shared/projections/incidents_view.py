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
        self.open_by_fingerprint: dict[str, str] = {}  # non-terminal incidents that carry a fingerprint
        self.open_by_target: dict[str, set[str]] = {}  # non-terminal incidents by container_name

    def apply(self, seq: int, env: Envelope) -> None:
        """Fold one event in; IllegalTransitionError propagates to the projector, which skips and logs."""
        if env.incident_id is None:
            return
        previous = self.incidents.get(env.incident_id)
        state = evolve(previous, env, seq)
        self.incidents[env.incident_id] = state
        self._index(state)
        self.events_applied += 1
        for listener in self.listeners:
            listener(previous, state, env)

    def _index(self, state: IncidentState) -> None:
        iid = state.incident_id
        if state.fingerprint:
            if not state.terminal:
                self.open_by_fingerprint[state.fingerprint] = iid
            elif self.open_by_fingerprint.get(state.fingerprint) == iid:
                del self.open_by_fingerprint[state.fingerprint]
        if state.container_name:
            open_here = self.open_by_target.setdefault(state.container_name, set())
            (open_here.discard if state.terminal else open_here.add)(iid)

    def open_with_fingerprint(self, fingerprint: str) -> IncidentState | None:
        """The latest non-terminal incident with this fingerprint (constant time: the prober asks per check)."""
        iid = self.open_by_fingerprint.get(fingerprint)
        return self.incidents.get(iid) if iid is not None else None

    def open_on_target(self, target: str) -> list[IncidentState]:
        """Non-terminal incidents on one target."""
        return [self.incidents[i] for i in self.open_by_target.get(target, ())]

    def get(self, incident_id: str) -> IncidentState | None:
        """One incident, or None."""
        return self.incidents.get(incident_id)

    def all(self) -> list[IncidentState]:
        """Every incident, oldest first."""
        return sorted(self.incidents.values(), key=lambda s: s.created_at)
