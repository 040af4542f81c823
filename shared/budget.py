"""Action budgets reserved atomically: a compare-and-set on one KV key per (target, action), so any number of
simultaneous decisions about one target can never approve more automatic actions than the budget allows."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import nats.js.errors
from nats.aio.client import Client as NATS
from nats.js.kv import KeyValue

from shared.errors import StoreUnavailableError
from shared.jetstream import open_bucket

BUCKET = "AEGIS_BUDGETS"
ATTEMPTS = 50  # CAS rounds before giving up (each loser re-reads the winner's write)


@dataclass(frozen=True)
class Reservation:
    """Whether this incident holds a slot, and how many slots the window holds (itself included)."""

    granted: bool
    used: int


def admit(slots: list[tuple[float, str]], incident_id: str, at: float, window_s: float,
          limit: int) -> tuple[bool, list[tuple[float, str]]]:
    """Pure: the slots still in the window, and whether `incident_id` holds (or now takes) one of them."""
    live = [(t, i) for t, i in slots if at - t < window_s]
    if any(i == incident_id for _, i in live):
        return True, live
    if len(live) >= limit:
        return False, live
    return True, [*live, (at, incident_id)]


class Budgets:
    """The AEGIS_BUDGETS bucket: key `<action>.<target>` holds the slots taken within the window."""

    def __init__(self, nc: NATS, replicas: int = 1) -> None:
        self.js = nc.jetstream()
        self.replicas = replicas
        self._kv: KeyValue | None = None

    async def kv(self) -> KeyValue:
        """The bucket (created on first use)."""
        if self._kv is None:
            self._kv = await open_bucket(self.js, BUCKET, replicas=self.replicas)
        return self._kv

    async def _change(self, key: str, change: Callable[[list[Any]], list[Any]]) -> list[Any]:
        """Apply `change(slots) -> slots` to a key with compare-and-set, re-reading on every conflict."""
        kv = await self.kv()
        for _ in range(ATTEMPTS):
            try:
                entry = await kv.get(key)
                slots, revision = [tuple(s) for s in json.loads(entry.value or b"[]")], entry.revision
            except (nats.js.errors.KeyNotFoundError, nats.js.errors.KeyDeletedError):
                slots, revision = [], 0
            kept = change(slots)
            if kept == slots:
                return kept
            value = json.dumps(kept).encode()
            try:
                if revision:
                    await kv.update(key, value, last=revision)
                else:
                    await kv.create(key, value)
                return kept
            except (nats.js.errors.KeyWrongLastSequenceError, nats.js.errors.BadRequestError):
                continue  # another decision wrote first: read its slots and decide again
            except nats.js.errors.APIError as exc:
                if exc.err_code != 10071:
                    raise
        raise StoreUnavailableError(f"budget {key}: no settled change after {ATTEMPTS} attempts")

    async def reserve(self, action: str, target: str, incident_id: str, at: float, window_s: float,
                      limit: int) -> Reservation:
        """Take a slot for `incident_id` unless `limit` slots are taken within `window_s` (idempotent per incident)."""
        granted = False

        def take(slots: list[tuple[float, str]]) -> list[tuple[float, str]]:
            nonlocal granted
            granted, kept = admit(slots, incident_id, at, window_s, limit)
            return kept

        kept = await self._change(f"{action}.{target}", take)
        return Reservation(granted, len(kept))

    async def release(self, action: str, target: str, incident_id: str) -> None:
        """Give back the slot of an action that did not run (closed by the pre-action check)."""
        await self._change(f"{action}.{target}", lambda slots: [s for s in slots if s[1] != incident_id])
