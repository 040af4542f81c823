"""Decisions every stage shares, pure."""

from __future__ import annotations

from collections.abc import Callable

from shared.events import Event
from shared.events import incident as ev
from shared.projections.incident import IncidentState


def fail(reason: str, stage: str) -> Callable[[IncidentState | None], list[Event]]:
    """A decider that fails a not-yet-terminal incident with `reason` (and does nothing otherwise)."""

    def decide(state: IncidentState | None) -> list[Event]:
        if state is None or state.terminal:
            return []
        return [ev.IncidentFailed(error=reason, stage=stage)]

    return decide
