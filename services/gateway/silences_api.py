"""POST/GET/DELETE /silences: Alertmanager-style silences, as events. Creating and expiring need the operator role;
the creator is the signed-in principal."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.gateway.listing import parse_since
from shared.errors import NotFoundError, ValidationError
from shared.events import now
from shared.events.silences import SilenceCreated, SilenceExpired
from shared.eventstore import EventStore
from shared.silences import SilenceView

MAX_DURATION = timedelta(days=90)  # the SILENCES stream keeps 90 days
_GLOB = re.compile(r"^[a-zA-Z0-9_.*?\[\]-]{1,128}$")


def _regex(value: str, what: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{what} {value!r} is not a valid regular expression: {exc}") from None
    return value


class Matchers(BaseModel):
    """What a silence matches: every given matcher must hold."""

    model_config = ConfigDict(extra="forbid")
    target: str = Field(default="*", description="glob on the alert's target (container_name)")
    alert_name: str = Field(default="", max_length=200, description="regex searched in the alert type")
    labels: dict[str, str] = Field(default_factory=dict, max_length=20,
                                   description="label name → regex that must match the whole value")

    @field_validator("target")
    @classmethod
    def _glob(cls, value: str) -> str:
        if not _GLOB.match(value):
            raise ValueError("target must be a glob of letters, digits and _ . - * ? [ ] (at most 128)")
        return value

    @field_validator("alert_name")
    @classmethod
    def _alert(cls, value: str) -> str:
        return _regex(value, "alert_name")

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        for name, rx in value.items():
            if not re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]{0,63}", name):
                raise ValueError(f"label name {name!r} is not a Prometheus label name")
            _regex(rx, f"label {name}")
        return value


class SilenceRequest(BaseModel):
    """POST /silences."""

    model_config = ConfigDict(extra="forbid")
    matchers: Matchers
    starts_at: datetime | None = Field(default=None, description="default: now")
    ends_at: datetime | None = None
    duration: str | None = Field(default=None, description="instead of ends_at: 30m, 2h, 1d …")
    comment: str = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _window(self) -> SilenceRequest:
        m = self.matchers
        if m.target == "*" and not m.alert_name and not m.labels:
            raise ValueError("a silence needs at least one matcher (target, alert_name or labels); "
                             "silencing everything is not allowed")
        if (self.ends_at is None) == (self.duration is None):
            raise ValueError("give either ends_at or duration")
        for when in (self.starts_at, self.ends_at):
            if when is not None and when.tzinfo is None:
                raise ValueError("times need a zone (e.g. 2026-11-30T12:00:00Z)")
        self.window(now())  # an empty, past or too long range is refused here, as a 422 with the reason
        return self

    def window(self, at: datetime) -> tuple[datetime, datetime]:
        """(starts_at, ends_at); ValueError when the range is empty, already over or too long."""
        start = self.starts_at or at
        if self.duration is not None:
            try:
                end = start + (at - parse_since(self.duration, at))
            except ValidationError:
                raise ValueError(f"duration {self.duration!r}: give an age such as 30m, 2h, 1d") from None
        else:
            end = self.ends_at  # type: ignore[assignment]
        if end <= at:
            raise ValueError("the silence would already be over (ends_at is in the past)")
        if end <= start:
            raise ValueError("ends_at must be after starts_at")
        if end - start > MAX_DURATION:
            raise ValueError(f"a silence lasts at most {MAX_DURATION.days} days")
        return start, end


def build_silences_router(store: EventStore, view: SilenceView, silenced_count, by, wait_for) -> APIRouter:  # type: ignore[no-untyped-def]
    """The routes; `silenced_count(id)` counts alerts a silence caught, `by(request)` names the caller, `wait_for(seq)`
    waits until the view has applied an append (read-your-writes)."""
    router = APIRouter()

    def shown(silence_id: str) -> dict[str, Any]:
        s = view.silences[silence_id]
        out = s.to_json(now())
        out["silenced_alerts"] = silenced_count(silence_id)
        return out

    @router.post("/silences", status_code=201, summary="Create a silence (operator role)")
    async def create(body: SilenceRequest, request: Request) -> dict[str, Any]:
        at = now()
        start, end = body.window(at)
        silence_id = f"sil-{uuid.uuid4().hex[:12]}"
        m = body.matchers
        seq = await store.append_system(SilenceCreated(
            silence_id=silence_id, target=m.target, alert_name=m.alert_name, labels=m.labels, starts_at=start,
            ends_at=end, comment=body.comment, created_by=by(request)), event_id=silence_id)
        await wait_for(seq)
        return shown(silence_id)

    @router.get("/silences", summary="Silences, newest first (pending, active and expired)")
    async def listing() -> list[dict[str, Any]]:
        ids = sorted(view.silences, key=lambda i: view.silences[i].created.starts_at, reverse=True)
        return [shown(i) for i in ids]

    @router.delete("/silences/{silence_id}", summary="Expire a silence now (operator role)")
    async def expire(request: Request, silence_id: str = Path(pattern=r"^sil-[0-9a-f]{12}$")) -> dict[str, Any]:
        if silence_id not in view.silences:
            raise NotFoundError(f"Silence {silence_id} not found")
        if view.silences[silence_id].state(now()) != "expired":
            seq = await store.append_system(SilenceExpired(silence_id=silence_id, by=by(request)),
                                            event_id=f"{silence_id}-expired")
            await wait_for(seq)
        return shown(silence_id)

    return router
