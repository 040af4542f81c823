"""Leases in a NATS KV bucket: one holder per key at a time, lapsing by themselves when the holder dies."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import nats.js.errors
from nats.aio.client import Client as NATS
from nats.js.kv import KeyValue

from shared.errors import TransientError
from shared.jetstream import ERR_WRONG_LAST_SEQUENCE, js_call, open_bucket
from shared.log import get_logger

BUCKET = "AEGIS_LEASES"
log = get_logger("lease")


@dataclass
class Lease:
    """A held lease; keep it alive with refresh() more often than the TTL, then release()."""

    kv: KeyValue
    key: str
    holder: str
    revision: int

    async def refresh(self) -> None:
        """Extend the lease (a write resets its age); fails if someone else took it over."""
        self.revision = await js_call(self.kv.update(self.key, self.holder.encode(), last=self.revision))

    async def release(self) -> None:
        """Give the lease up (only if it is still ours)."""
        try:
            await js_call(self.kv.delete(self.key, last=self.revision))
        except Exception as exc:  # noqa: BLE001 - an expired lease needs no release
            log.info("lease release skipped", extra={"key": self.key, "error": repr(exc)})


class Leases:
    """Acquire per-key leases; a holder that stops refreshing loses its lease after `ttl` seconds."""

    def __init__(self, nc: NATS, ttl: float, bucket: str = BUCKET, replicas: int = 1) -> None:
        self.js = nc.jetstream()
        self.ttl = ttl
        self.bucket = bucket
        self.replicas = replicas
        self._kv: KeyValue | None = None

    async def kv(self) -> KeyValue:
        """The bucket (created on first use; its max age is the lease TTL)."""
        if self._kv is None:
            self._kv = await open_bucket(self.js, self.bucket, replicas=self.replicas, ttl=self.ttl)
        return self._kv

    async def holder(self, key: str) -> str | None:
        """Who holds `key` now, if anyone."""
        kv = await self.kv()
        try:
            entry = await kv.get(key)
        except (nats.js.errors.KeyNotFoundError, nats.js.errors.KeyDeletedError):
            return None
        return entry.value.decode() if entry.value else None

    async def acquire(self, key: str, holder: str, wait: float) -> Lease:
        """Take the lease, waiting up to `wait` seconds for the current holder to release it or lapse."""
        kv = await self.kv()
        deadline = time.monotonic() + wait
        while True:
            try:
                revision = await kv.create(key, holder.encode())
                return Lease(kv, key, holder, revision)
            except (nats.js.errors.KeyWrongLastSequenceError, nats.js.errors.KeyNotFoundError,
                    nats.js.errors.KeyDeletedError):
                # held; or (not found / deleted) nats-py's create() re-read the key after a wrong-sequence answer
                # and the holder's entry had lapsed (max age) in between: free now, so try again
                pass
            except nats.js.errors.APIError as exc:
                if getattr(exc, "err_code", None) != ERR_WRONG_LAST_SEQUENCE:
                    raise
            if time.monotonic() >= deadline:
                raise TransientError(f"lease {key} is held by {await self.holder(key)}", key=key)
            await asyncio.sleep(0.1)


async def keep_alive(lease: Lease, interval: float) -> None:
    """Refresh a lease every `interval` seconds until cancelled."""
    while True:
        await asyncio.sleep(interval)
        await lease.refresh()
