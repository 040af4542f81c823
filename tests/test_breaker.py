"""The circuit breaker, pure, with a fake clock."""

from __future__ import annotations

from shared.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def make():
    clock, changes = Clock(), []
    breaker = CircuitBreaker("llm", failure_threshold=3, reset_timeout=10, clock=clock,
                             on_change=lambda prev, new, why: changes.append((prev, new)))
    return breaker, clock, changes


def test_opens_after_threshold_and_refuses_calls():
    b, _, changes = make()
    for _ in range(2):
        b.failure("500")
    assert b.state == CLOSED and b.allow()
    b.failure("500")
    assert b.state == OPEN and not b.allow()
    assert changes == [(CLOSED, OPEN)]


def test_half_open_lets_one_trial_through_then_closes_on_success():
    b, clock, changes = make()
    for _ in range(3):
        b.failure("timeout")
    clock.t = 10
    assert b.allow() and b.state == HALF_OPEN
    assert not b.allow()  # only one trial at a time
    b.success()
    assert b.state == CLOSED and b.allow()
    assert changes == [(CLOSED, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, CLOSED)]


def test_failed_trial_opens_again_for_a_full_timeout():
    b, clock, _ = make()
    for _ in range(3):
        b.failure("x")
    clock.t = 10
    assert b.allow()
    b.failure("still down")
    assert b.state == OPEN and not b.allow()
    clock.t = 15
    assert not b.allow()
    clock.t = 20
    assert b.allow()


def test_success_resets_the_count():
    b, _, _ = make()
    b.failure("x")
    b.failure("x")
    b.success()
    b.failure("x")
    assert b.state == CLOSED
