"""Older versions of events still found in streams, and the upcasters that turn them into the current ones.

Decoding (shared/events/catalog.py) applies these right after parsing, so folds, projections and handlers
only ever see current events; writers only write current ones. To evolve an event in a breaking way: give the
new shape a new tag (`….v2`), move the old class here under its old tag, and add its upcaster.
"""

from __future__ import annotations

from collections.abc import Callable

from shared.events.base import Event
from shared.events.system import WorkerCrashed, WorkerEvent, signal_name


class WorkerCrashedV1(WorkerEvent, frozen=True, kw_only=True, tag="worker.crashed.v1"):
    """v1: a signal was a negative exit_code (Python's Popen.returncode convention)."""

    exit_code: int | None
    error: str = ""
    attempt: int = 0


def worker_crashed_v1_to_v2(old: WorkerCrashedV1) -> WorkerCrashed:
    code = old.exit_code
    if code is not None and code < 0:
        return WorkerCrashed(worker=old.worker, exit_code=None, signal=signal_name(-code), error=old.error,
                             attempt=old.attempt)
    return WorkerCrashed(worker=old.worker, exit_code=code, error=old.error, attempt=old.attempt)


UPCASTERS: dict[type[Event], Callable[[Event], Event]] = {
    WorkerCrashedV1: worker_crashed_v1_to_v2,  # type: ignore[dict-item]
}
LEGACY_EVENTS: tuple[type[Event], ...] = tuple(UPCASTERS)
