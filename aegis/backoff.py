"""Restart policy as pure functions: exponential backoff, reset after a healthy window, give-up limit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from shared.config import Settings


@dataclass(frozen=True)
class BackoffPolicy:
    """CrashLoopBackOff-like: initial*factor^n capped; reset after running healthy; give up past N in M s."""

    initial: float = 0.5
    factor: float = 2.0
    cap: float = 30.0
    reset_after: float = 60.0
    give_up_restarts: int = 5
    give_up_window: float = 120.0

    @classmethod
    def from_settings(cls, s: Settings) -> BackoffPolicy:
        """The policy configured for this installation."""
        return cls(s.backoff_initial, s.backoff_factor, s.backoff_cap, s.backoff_reset_after,
                   s.give_up_restarts, s.give_up_window)


@dataclass
class CrashRecord:
    """A worker's recent crash history, enough to decide the next move."""

    consecutive: int = 0
    crash_times: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Decision:
    """What to do after a crash: restart after `delay`, or give up."""

    verdict: Literal["restart", "give_up"]
    delay: float = 0.0
    restarts_in_window: int = 0


def on_crash(policy: BackoffPolicy, record: CrashRecord, started_at: float, crashed_at: float) -> Decision:
    """Record a crash and decide; a run longer than reset_after wipes the consecutive count."""
    if crashed_at - started_at >= policy.reset_after:
        record.consecutive = 0
    record.crash_times = [t for t in record.crash_times if crashed_at - t < policy.give_up_window]
    record.crash_times.append(crashed_at)
    if len(record.crash_times) > policy.give_up_restarts:
        return Decision("give_up", restarts_in_window=len(record.crash_times) - 1)
    delay = min(policy.initial * policy.factor ** record.consecutive, policy.cap)
    record.consecutive += 1
    return Decision("restart", delay=delay, restarts_in_window=len(record.crash_times))
