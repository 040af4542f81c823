"""The correlation read model (folded from correlation.>): the alerts each incident absorbed, and the REST shape of
an incident with them — a joined alert reports its primary's outcome, a primary the alerts it absorbed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.events import Envelope, iso
from shared.events.correlation import AlertJoined, AlertSilenced
from shared.projections.incident import IncidentState
from shared.projections.incidents_view import IncidentsView

MAX_IDS_KEPT = 50  # per incident, the newest joined alert ids shown; the count is exact


@dataclass
class Joined:
    """What joined one primary incident."""

    count: int = 0
    sources: Counter[str] = field(default_factory=Counter)
    alert_types: Counter[str] = field(default_factory=Counter)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    alert_ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The `correlated` block of an incident."""
        return {"count": self.count, "sources": dict(self.sources), "alert_types": dict(self.alert_types),
                "first_seen": iso(self.first_seen) if self.first_seen else None,
                "last_seen": iso(self.last_seen) if self.last_seen else None, "alert_ids": self.alert_ids}


class CorrelationView:
    """Joined alerts by primary incident and silenced alerts by silence."""

    def __init__(self) -> None:
        self.joined: dict[str, Joined] = {}
        self.silenced: Counter[str] = Counter()
        self.silenced_total = 0

    def apply(self, seq: int, env: Envelope) -> None:
        """Fold one correlation event."""
        p = env.payload
        if isinstance(p, AlertJoined):
            j = self.joined.setdefault(p.primary, Joined())
            j.count += 1
            j.sources[p.source] += 1
            j.alert_types[p.alert_type] += 1
            j.first_seen = min(j.first_seen, p.at) if j.first_seen else p.at
            j.last_seen = max(j.last_seen, p.at) if j.last_seen else p.at
            j.alert_ids = (j.alert_ids + [p.alert_id])[-MAX_IDS_KEPT:]
        elif isinstance(p, AlertSilenced):
            self.silenced[p.silence_id] += 1
            self.silenced_total += 1


def result_of(state: IncidentState, incidents: IncidentsView, correlations: CorrelationView) -> dict[str, Any]:
    """The Core API contract's IncidentResult plus our fields; a joined alert ends with its primary's status and
    outcome."""
    out = state.to_result()
    if state.joined:
        primary = incidents.get(state.joined)
        if primary is not None and primary.terminal and not primary.joined:
            out["status"], out["outcome"] = primary.status, primary.outcome
            out["resolved_at"] = iso(primary.resolved_at) if primary.resolved_at else None
            out["error"] = primary.error
        return out
    joined = correlations.joined.get(state.incident_id)
    out["correlated"] = joined.to_json() if joined else {"count": 0}
    if joined:
        sources = ", ".join(f"{n} {s}" for s, n in joined.sources.most_common())
        out["timeline"] = out["timeline"] + [{
            "ts": iso(joined.last_seen) if joined.last_seen else None, "status": "CORRELATED", "agent": None,
            "message": f"{joined.count} more alert(s) about this outage joined ({sources}); first "
                       f"{iso(joined.first_seen) if joined.first_seen else '?'}, last "
                       f"{iso(joined.last_seen) if joined.last_seen else '?'}"}]
    return out
