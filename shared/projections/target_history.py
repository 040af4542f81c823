"""Which actions ran on which target and when, and which of them were verified fixes: the council's restart budget
and the analyst's remediation ladder ("the fix did not hold") read it."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from nats.aio.client import Client as NATS

from shared.events import Envelope
from shared.events.incident import ActionStarted, IncidentResolved
from shared.wiring import incident_subject

# the subjects that feed it (one projector each; they may interleave in any order)
SUBJECTS = (incident_subject(ActionStarted), incident_subject(IncidentResolved))


class TargetHistory:
    """Action starts and verified fixes by target, folded from incidents.*.action_started and .resolved."""

    def __init__(self) -> None:
        self.actions: dict[str, list[tuple[datetime, str, str]]] = defaultdict(list)
        self.fixes: dict[str, list[tuple[datetime, str, str]]] = defaultdict(list)
        self.situations: dict[str, str] = {}  # incident → the situation its action was meant to fix
        self._acted: dict[str, tuple[str, str]] = {}
        self._resolved_first: dict[str, datetime] = {}

    def apply(self, seq: int, env: Envelope) -> None:
        """Fold one action_started or resolved event."""
        p, iid = env.payload, env.incident_id
        if not iid:
            return
        if isinstance(p, ActionStarted):
            self.actions[p.target].append((env.time, p.action, iid))
            self._acted[iid] = (p.target, p.action)
            self.situations[iid] = p.situation
            resolved = self._resolved_first.pop(iid, None)
            if resolved is not None:
                self.fixes[p.target].append((resolved, p.action, iid))
        elif isinstance(p, IncidentResolved) and p.verified:
            acted = self._acted.get(iid)
            if acted is None:
                self._resolved_first[iid] = env.time  # a NOOP, or its action_started not folded yet
            else:
                self.fixes[acted[0]].append((env.time, acted[1], iid))

    def count(self, target: str, action: str, since: datetime, exclude: str | None = None) -> int:
        """How many times `action` started on `target` since `since` (other than for incident `exclude`)."""
        return sum(1 for t, a, i in self.actions.get(target, ()) if a == action and t >= since and i != exclude)

    def recent(self, target: str, action: str, now: datetime, minutes: float, exclude: str | None = None) -> int:
        """Starts within the last `minutes`."""
        return self.count(target, action, now - timedelta(minutes=minutes), exclude)

    def last_fix(self, target: str, now: datetime, minutes: float,
                 exclude: str | None = None) -> tuple[datetime, str, str] | None:
        """The latest verified fix (resolved time, action, incident) of `target` within the last `minutes`."""
        since = now - timedelta(minutes=minutes)
        recent = [f for f in self.fixes.get(target, ()) if f[0] >= since and f[2] != exclude]
        return max(recent, default=None)


async def live_target_history(nc: NATS) -> TargetHistory:
    """A TargetHistory kept live from the INCIDENTS stream (one projector per subject), caught up when returned."""
    from shared.events.incident import INCIDENTS_STREAM
    from shared.projections.projector import Projector

    history = TargetHistory()
    for subject in SUBJECTS:
        projector = Projector(nc, INCIDENTS_STREAM, subject, history.apply, "target-history")
        await projector.start()
        await projector.catch_up()
    return history
