"""A circuit breaker as a small state machine: closed → open after N failures → half_open after a timeout."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
Transition = Callable[[str, str, str], None]  # (previous, new, reason)


@dataclass
class CircuitBreaker:
    """Counts consecutive failures; `allow()` says whether a call may go out now."""

    name: str
    failure_threshold: int = 3
    reset_timeout: float = 30.0
    on_change: Transition | None = None
    clock: Callable[[], float] = time.monotonic
    state: str = CLOSED
    failures: int = 0
    opened_at: float = 0.0
    _trial_out: bool = field(default=False, repr=False)

    def _move(self, new: str, reason: str) -> None:
        if new != self.state:
            previous, self.state = self.state, new
            if self.on_change is not None:
                self.on_change(previous, new, reason)

    def allow(self) -> bool:
        """True if a call may be made: closed, or the one trial call of half_open."""
        if self.state == OPEN and self.clock() - self.opened_at >= self.reset_timeout:
            self._move(HALF_OPEN, f"{self.reset_timeout:g}s elapsed; trying one call")
            self._trial_out = False
        if self.state == CLOSED:
            return True
        if self.state == HALF_OPEN and not self._trial_out:
            self._trial_out = True
            return True
        return False

    def success(self) -> None:
        """A call worked: close."""
        self.failures = 0
        self._move(CLOSED, "call succeeded")

    def failure(self, reason: str) -> None:
        """A call failed: open at the threshold, or at once when the half-open trial fails."""
        self.failures += 1
        if self.state == HALF_OPEN or self.failures >= self.failure_threshold:
            self.opened_at = self.clock()
            self._trial_out = False
            self._move(OPEN, f"{self.failures} consecutive failures; last: {reason}")

    def restore(self, state: str, at: float) -> None:
        """Resume from a recorded state (a restarted process must not forget an open breaker)."""
        self.state = state
        self.opened_at = at if state == OPEN else 0.0
