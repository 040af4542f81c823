"""Token buckets per key (principal or client address): pure arithmetic over an injected clock."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_TRACKED = 10_000  # buckets kept before idle ones are dropped


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimiter:
    """`per_minute` requests on average, bursts up to `burst` (default a tenth of a minute's worth, min 5)."""

    per_minute: int
    burst: int = 0
    clock: Callable[[], float] = time.monotonic
    buckets: dict[str, _Bucket] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rate = self.per_minute / 60.0
        self.capacity = float(self.burst or max(5, self.per_minute // 10))

    def _bucket(self, key: str) -> _Bucket:
        now = self.clock()
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= MAX_TRACKED:
                self._prune(now)
            bucket = self.buckets[key] = _Bucket(self.capacity, now)
        else:
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        return bucket

    def retry_after(self, key: str) -> int:
        """0 if a request may go now, else whole seconds until one token is back (never consumes)."""
        bucket = self._bucket(key)
        return 0 if bucket.tokens >= 1 else max(1, math.ceil((1 - bucket.tokens) / self.rate))

    def take(self, key: str) -> int:
        """Consume a token: 0 when allowed, else the Retry-After seconds (nothing consumed)."""
        wait = self.retry_after(key)
        if wait == 0:
            self.buckets[key].tokens -= 1
        return wait

    def _prune(self, now: float) -> None:
        full_after = self.capacity / self.rate
        for key in [k for k, b in self.buckets.items() if now - b.updated > full_after]:
            del self.buckets[key]
