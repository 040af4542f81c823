"""The judgment report on a team's own history, pure: how often AegisOps's decisions were right on *their*
incidents (docs/reports.md). Computed from the folded incidents (the gateway's IncidentsView, i.e. a replay of the
stream), so the counts are the record's, not a benchmark's."""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.errors import ValidationError
from shared.events import iso
from shared.projections.incident import IncidentState

PERIOD = re.compile(r"^(\d{1,5})([mhdw])$")
UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_PERIOD = timedelta(days=3650)


def parse_since(text: str) -> timedelta:
    """"30d", "12h", "90m", "2w" → a period; ValidationError with the reason otherwise."""
    found = PERIOD.match(text.strip())
    if not found or int(found.group(1)) == 0:
        raise ValidationError(f"since {text!r} is not a period such as 30d, 12h, 90m or 2w")
    period = timedelta(seconds=int(found.group(1)) * UNITS[found.group(2)])
    if period > MAX_PERIOD:
        raise ValidationError(f"since {text!r} is longer than ten years")
    return period


@dataclass
class Row:
    """The counts of one situation or one action."""

    decisions: int = 0
    resolved_verified: int = 0
    needed_human: int = 0
    fix_did_not_hold: int = 0
    held_for_approval: int = 0
    overruled: int = 0
    _resolve_seconds: list[float] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        median = statistics.median(self._resolve_seconds) if self._resolve_seconds else None
        return {"decisions": self.decisions, "resolved_verified": self.resolved_verified,
                "needed_human": self.needed_human, "fix_did_not_hold": self.fix_did_not_hold,
                "held_for_approval": self.held_for_approval, "overruled": self.overruled,
                "median_seconds_to_resolve": round(median, 3) if median is not None else None}


def _entry_time(state: IncidentState, *statuses: str) -> datetime | None:
    return next((e.ts for e in state.timeline if e.status in statuses), None)


def _human_seconds(state: IncidentState) -> float | None:
    """How long a human took on a held action: approval requested → granted, rejected or expired."""
    asked = _entry_time(state, "AWAITING_APPROVAL")
    answered = next((e.ts for e in state.timeline if asked is not None and e.ts >= asked
                     and e.status in ("APPROVED", "REJECTED") and e.agent), None)  # an expiry is nobody's answer
    return (answered - asked).total_seconds() if asked is not None and answered is not None else None


def overruled(state: IncidentState) -> bool:
    """A human said no to an action the council put to them (an expired approval is nobody's answer)."""
    return state.rejected_by is not None


def report(incidents: Iterable[IncidentState], since: timedelta, at: datetime, fix_hold: timedelta) -> dict[str, Any]:
    """Per situation and per action over the incidents received in the last `since`: decisions, verified
    resolutions, needed a human, fixes that did not hold (the same target failing again within `fix_hold` of a
    verified fix), held for approval, overruled by a human; and the time humans took on held incidents against the
    time AegisOps saved by acting alone."""
    start = at - since
    every = sorted((s for s in incidents if s.joined is None), key=lambda s: s.created_at)
    window = [s for s in every if s.created_at >= start and s.analysis is not None]
    by_target: dict[str, list[IncidentState]] = {}
    for s in every:
        if s.container_name:
            by_target.setdefault(s.container_name, []).append(s)
    situations: dict[str, Row] = {}
    actions: dict[str, Row] = {}
    human_seconds: list[float] = []
    auto_resolved = 0
    overruled_ids: list[str] = []
    not_held_ids: list[str] = []
    for s in window:
        assert s.analysis is not None
        verified = s.status == "RESOLVED" and s.action is not None
        again = verified and s.resolved_at is not None and any(
            o.incident_id != s.incident_id and s.resolved_at < o.created_at <= s.resolved_at + fix_hold
            for o in by_target.get(s.container_name or "", ()))
        waited = _human_seconds(s) if s.requires_approval else None
        for row in (situations.setdefault(s.analysis.situation or "unclassified", Row()),
                    actions.setdefault(s.analysis.action, Row())):
            row.decisions += 1
            row.resolved_verified += s.status == "RESOLVED" and (s.action is not None or s.analysis.action == "NOOP")
            row.needed_human += s.outcome == "human" or s.status == "FAILED"
            row.fix_did_not_hold += again
            row.held_for_approval += s.requires_approval
            row.overruled += overruled(s)
            if s.status == "RESOLVED" and s.resolved_at is not None:
                row._resolve_seconds.append((s.resolved_at - s.created_at).total_seconds())
        if waited is not None:
            human_seconds.append(waited)
        if verified and not s.requires_approval:
            auto_resolved += 1
        if overruled(s):
            overruled_ids.append(s.incident_id)
        if again:
            not_held_ids.append(s.incident_id)
    per_held = statistics.median(human_seconds) if human_seconds else None
    return {
        "since": iso(start), "until": iso(at), "incidents": len(window),
        "by_situation": {k: v.to_json() for k, v in sorted(situations.items())},
        "by_action": {k: v.to_json() for k, v in sorted(actions.items())},
        "time": {"held_incidents": len(human_seconds),
                 "median_human_seconds_per_held_incident": round(per_held, 3) if per_held is not None else None,
                 "resolved_without_a_human": auto_resolved,
                 "estimated_seconds_saved": round(per_held * auto_resolved, 3) if per_held is not None else None,
                 "how": "incidents AegisOps resolved and verified on its own × the median time humans took to decide "
                        "a held one (none held: no estimate)"},
        "overruled": overruled_ids, "fix_did_not_hold": not_held_ids,
    }
