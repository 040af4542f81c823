"""Silences (Alertmanager's model): matchers and a time range during which matching alerts are recorded but start
nothing. Stored under silences.<silence_id>.<name>."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from shared.events.base import Event

SILENCES_STREAM = "SILENCES"


class SilenceEvent(Event, frozen=True, kw_only=True):
    """An event about one silence."""

    stream: ClassVar[str] = SILENCES_STREAM
    silence_id: str

    def nats_subject(self, key: str) -> str:
        return f"silences.{self.silence_id}.{self.name()}"


class SilenceCreated(SilenceEvent, frozen=True, kw_only=True, tag="silence.created.v1"):
    """Alerts matching every matcher between starts_at and ends_at are silenced. `target` is a glob on the alert's
    target; `alert_name` a regex searched in its alert type; `labels` regexes that must match those labels."""

    target: str = "*"
    alert_name: str = ""
    labels: dict[str, str] = {}
    starts_at: datetime
    ends_at: datetime
    comment: str
    created_by: str


class SilenceExpired(SilenceEvent, frozen=True, kw_only=True, tag="silence.expired.v1"):
    """Someone ended the silence early."""

    by: str


SILENCE_EVENTS: tuple[type[Event], ...] = (SilenceCreated, SilenceExpired)
