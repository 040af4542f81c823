"""Request models of the HTTP API (the Core API contract's IncidentPayload), validated at the edge."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.config import INCIDENT_ID

INCIDENT_ID_PATTERN = INCIDENT_ID.pattern
DRAFT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
# ids in a path are checked like ids in a body: a malformed one is a 422 with the reason, never a 500
IncidentId = Annotated[str, Path(pattern=INCIDENT_ID_PATTERN, description="An incident id")]
DraftId = Annotated[str, Path(pattern=DRAFT_ID_PATTERN, description="A notification draft id, e.g. alert-email")]
TARGET_NAME_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$"


SEVERITY_WORDS = {
    "CRITICAL": ("critical", "crit", "fatal", "emerg", "emergency", "alert", "page", "p0", "p1", "sev0", "sev1",
                 "disaster", "high", "major", "urgent", "blocker"),
    "WARNING": ("warning", "warn", "error", "err", "p2", "p3", "sev2", "sev3", "medium", "average", "minor",
                "moderate", "alarm", "degraded"),
    "INFO": ("info", "informational", "notice", "low", "p4", "p5", "sev4", "sev5", "none", "debug", "ok", "fyi"),
}
_SEVERITY = {word: level for level, words in SEVERITY_WORDS.items() for word in words}


def normalise_severity(value: str) -> str | None:
    """The Core API contract's three severities from what real sources send (HIGH, P1, sev2, warning, …); an empty
    value is none, a word no source uses is refused with the accepted ones."""
    word = value.strip().lower().replace("-", "").replace(" ", "")
    if not word:
        return None
    if word not in _SEVERITY:
        raise ValueError(f"severity {value!r} is not one of CRITICAL, WARNING, INFO (or a usual synonym: "
                         f"{', '.join(sorted(_SEVERITY))})")
    return _SEVERITY[word]


class IncidentPayload(BaseModel):
    """An alert sent to POST /webhook."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    incident_id: str = Field(pattern=INCIDENT_ID_PATTERN, description="Unique id (UUID recommended); "
                             "letters, digits, '-' and '_' only, since it names NATS subjects")
    alert_type: str = Field(min_length=1, max_length=200, examples=["Memory Leak", "CPU Spike"])
    logs: str = Field(description="Raw application log snippet (stored whole)")
    container_name: str | None = Field(default=None, pattern=TARGET_NAME_PATTERN)
    severity: Literal["CRITICAL", "WARNING", "INFO"] | None = Field(
        default=None, description="CRITICAL, WARNING or INFO; other words real sources send (HIGH, P1, sev2, "
                                  "error, low, …) are mapped to these")
    timestamp: str | None = Field(default=None, description="ISO 8601")

    @field_validator("severity", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return normalise_severity(value) if isinstance(value, str) else value

    @field_validator("timestamp")
    @classmethod
    def _iso(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise ValueError("timestamp must be ISO 8601, e.g. 2026-02-21T03:15:00Z") from None
        return value


class Decision(BaseModel):
    """A human's approve/reject; `by` is recorded (the caller's identity once authentication exists)."""

    model_config = ConfigDict(extra="forbid")

    comment: str = Field(default="", max_length=2000)
    by: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


class AlertmanagerAlert(BaseModel):
    """One alert of an Alertmanager webhook (version 4)."""

    model_config = ConfigDict(extra="ignore")

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = {}
    startsAt: str = ""  # noqa: N815 - Alertmanager's field name
    fingerprint: str = Field(pattern=r"^[A-Za-z0-9]{1,64}$")


class AlertmanagerPayload(BaseModel):
    """Prometheus Alertmanager's webhook body; each firing alert becomes an incident."""

    model_config = ConfigDict(extra="ignore")

    version: Literal["4"]
    status: str = ""
    receiver: str = ""
    groupKey: str = ""  # noqa: N815
    alerts: list[AlertmanagerAlert] = Field(min_length=1)


class DraftEdit(BaseModel):
    """A reviewer's change to a notification draft."""

    model_config = ConfigDict(extra="forbid")

    subject: str | None = Field(default=None, min_length=1, max_length=300)
    body: str | None = Field(default=None, min_length=1, max_length=20000)
    by: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
