"""The restart policy, pure: exponential backoff with cap, reset after healthy, give-up window."""

from __future__ import annotations

from aegis.backoff import BackoffPolicy, CrashRecord, on_crash

POLICY = BackoffPolicy(initial=0.5, factor=2.0, cap=3.0, reset_after=60.0, give_up_restarts=5, give_up_window=120.0)


def test_delays_double_up_to_the_cap():
    record = CrashRecord()
    delays = [on_crash(POLICY, record, started_at=t, crashed_at=t + 1).delay for t in range(0, 40, 10)]
    assert delays == [0.5, 1.0, 2.0, 3.0]


def test_a_long_healthy_run_resets_the_backoff():
    record = CrashRecord()
    on_crash(POLICY, record, 0, 1)
    on_crash(POLICY, record, 2, 3)
    decision = on_crash(POLICY, record, 10, 100)  # ran 90 s > reset_after
    assert decision.verdict == "restart" and decision.delay == 0.5


def test_gives_up_after_too_many_crashes_in_the_window():
    record = CrashRecord()
    verdicts = [on_crash(POLICY, record, t, t + 1).verdict for t in range(0, 60, 10)]
    assert verdicts == ["restart"] * 5 + ["give_up"]


def test_crashes_outside_the_window_are_forgotten():
    record = CrashRecord()
    for t in range(0, 50, 10):
        on_crash(POLICY, record, t, t + 1)
    assert on_crash(POLICY, record, 300, 301).verdict == "restart"
