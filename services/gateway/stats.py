"""Figures derived from the incident read model: stage latencies, MTTR, actions — for /metrics and /performance."""

from __future__ import annotations

from collections.abc import Iterable

from shared.projections.incident import IncidentState
from shared.stats import percentile

# (stage, timeline status where it starts, timeline status where it ends)
STAGES = (("analysis", "RECEIVED", "AI_COMPLETE"), ("council", "AI_COMPLETE", "COUNCIL_DECISION"),
          ("action", "EXECUTING", "VERIFYING"), ("verification", "VERIFYING", "RESOLVED"),
          ("total", "RECEIVED", "RESOLVED"))


def _first(state: IncidentState, status: str):  # type: ignore[no-untyped-def]
    return next((e.ts for e in state.timeline if e.status == status), None)


def stage_durations(states: Iterable[IncidentState]) -> dict[str, list[float]]:
    """Seconds each incident spent in each stage (only stages it went through)."""
    out: dict[str, list[float]] = {name: [] for name, _, _ in STAGES}
    for state in states:
        for name, start, end in STAGES:
            a, b = _first(state, start), _first(state, end)
            if a is not None and b is not None and b >= a:
                out[name].append((b - a).total_seconds())
    return out


def mttr(states: Iterable[IncidentState]) -> list[float]:
    """Received → resolved, for incidents resolved by an action."""
    return [(s.resolved_at - s.created_at).total_seconds() for s in states
            if s.status == "RESOLVED" and s.action and s.resolved_at]


def actions(states: Iterable[IncidentState]) -> dict[tuple[str, str], int]:
    """(action, outcome) counts."""
    out: dict[tuple[str, str], int] = {}
    for s in states:
        if s.action:
            key = (s.action, "resolved" if s.status == "RESOLVED" else "failed" if s.status == "FAILED" else "running")
            out[key] = out.get(key, 0) + 1
    return out


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50 / p95 / p99 in milliseconds."""
    if not values:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "count": 0}
    return {f"p{q}_ms": round(percentile(values, q) * 1000, 2) for q in (50, 95, 99)} | {"count": len(values)}
