"""GET /incidents, pure: which incidents a filter selects, newest first."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from shared.errors import ValidationError
from shared.projections.incident import IncidentState

_AGE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(text: str, at: datetime) -> datetime:
    """An ISO time (with a zone) or an age such as 30m / 2h / 7d; ValidationError says what is accepted."""
    age = _AGE.match(text.strip())
    if age:
        return at - timedelta(seconds=int(age.group(1)) * _UNIT[age.group(2)])
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(f"since {text!r}: give an ISO time such as 2026-11-30T12:00:00Z or an age such as "
                              "30m, 2h, 7d") from None
    if when.tzinfo is None:
        raise ValidationError(f"since {text!r}: the time needs a zone (e.g. Z or +00:00)")
    return when


def select(states: Iterable[IncidentState], *, status: str | None = None, target: str | None = None,
           severity: str | None = None, source: str | None = None, since: datetime | None = None
           ) -> list[IncidentState]:
    """The matching incidents, newest first. status OPEN: every incident not yet terminal."""
    wanted = status.upper() if status else None
    out = [s for s in states
           if (wanted is None or (not s.terminal if wanted == "OPEN" else s.status == wanted))
           and (target is None or s.container_name == target)
           and (severity is None or (s.severity or "").upper() == severity.upper())
           and (source is None or s.source == source)
           and (since is None or s.created_at >= since)]
    out.sort(key=lambda s: s.created_at, reverse=True)
    return out
