"""Silences, pure: which active silence an alert matches, folded from the SILENCES stream."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from shared.events import Envelope, iso
from shared.events.silences import SilenceCreated, SilenceExpired


@lru_cache(maxsize=1024)
def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


@dataclass
class Silence:
    """One silence and whether it was expired by hand."""

    created: SilenceCreated
    expired_at: datetime | None = None
    expired_by: str | None = None
    silenced: int = 0

    def state(self, at: datetime) -> str:
        """pending | active | expired (Alertmanager's words)."""
        end = min(self.created.ends_at, self.expired_at) if self.expired_at else self.created.ends_at
        if at >= end:
            return "expired"
        return "active" if at >= self.created.starts_at else "pending"

    def matches(self, target: str | None, alert_type: str, labels: Mapping[str, str]) -> bool:
        """Every matcher holds for this alert."""
        c = self.created
        if c.target != "*" and not fnmatch.fnmatchcase(target or "", c.target):
            return False
        if c.alert_name and not _rx(c.alert_name).search(alert_type):
            return False
        return all(name in labels and _rx(rx).fullmatch(labels[name]) for name, rx in c.labels.items())

    def to_json(self, at: datetime) -> dict[str, Any]:
        """The API shape."""
        c = self.created
        return {"id": c.silence_id, "matchers": {"target": c.target, "alert_name": c.alert_name, "labels": c.labels},
                "starts_at": iso(c.starts_at), "ends_at": iso(c.ends_at), "comment": c.comment,
                "created_by": c.created_by, "state": self.state(at), "silenced_alerts": self.silenced,
                "expired_by": self.expired_by}


class SilenceView:
    """Silences by id, folded from silences.>."""

    def __init__(self) -> None:
        self.silences: dict[str, Silence] = {}

    def apply(self, seq: int, env: Envelope) -> None:
        """Fold one silence event."""
        p = env.payload
        if isinstance(p, SilenceCreated):
            self.silences[p.silence_id] = Silence(p)
        elif isinstance(p, SilenceExpired) and p.silence_id in self.silences:
            s = self.silences[p.silence_id]
            if s.expired_at is None:
                s.expired_at, s.expired_by = env.time, p.by

    def matching(self, target: str | None, alert_type: str, labels: Mapping[str, str] | None,
                 at: datetime) -> Silence | None:
        """The first active silence this alert matches, if any."""
        for s in self.silences.values():
            if s.state(at) == "active" and s.matches(target, alert_type, labels or {}):
                return s
        return None
