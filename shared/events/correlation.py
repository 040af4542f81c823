"""Correlation events: which incident an alert key (a target, or Alertmanager group labels) belongs to now, and the
alerts that joined it. Stored under correlation.<key token>.<name> in their own stream, so a storm of joins never
contends with the pipeline's appends to the incident itself."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from shared.events.base import Event

CORRELATION_STREAM = "CORRELATION"


class CorrelationEvent(Event, frozen=True, kw_only=True):
    """An event about one correlation key; `token` is the key's subject-safe digest."""

    stream: ClassVar[str] = CORRELATION_STREAM
    token: str
    key: str

    def nats_subject(self, key: str) -> str:
        return f"correlation.{self.token}.{self.name()}"


class CorrelationOpened(CorrelationEvent, frozen=True, kw_only=True, tag="correlation.opened.v1"):
    """`primary` is the incident every alert with this key joins while it is open (or ended within the window).
    Appended only if the key's subject is still where the writer read it: one opener per outage, on any gateway."""

    primary: str
    at: datetime


class AlertJoined(CorrelationEvent, frozen=True, kw_only=True, tag="correlation.joined.v1"):
    """An alert joined `primary` instead of starting another pipeline run; `alert_id` stays queryable."""

    primary: str
    alert_id: str
    source: str
    alert_type: str
    at: datetime
    severity: str | None = None


class AlertSilenced(CorrelationEvent, frozen=True, kw_only=True, tag="correlation.silenced.v1"):
    """An alert matched a silence: recorded (countable, visible) but it starts nothing."""

    alert_id: str
    silence_id: str
    source: str
    alert_type: str
    at: datetime
    container_name: str | None = None


CORRELATION_EVENTS: tuple[type[Event], ...] = (CorrelationOpened, AlertJoined, AlertSilenced)
