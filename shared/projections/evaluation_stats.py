"""The AgentOps contract's evaluation statistics as sums and counts, so they can be kept per day and merged."""

from __future__ import annotations

from typing import Any, Protocol

AVERAGES = (("avg_latency", "latency_sec"), ("avg_throughput", "throughput_qps"),
            ("avg_semantic_drift", "semantic_drift"), ("avg_uncertainty", "uncertainty"),
            ("avg_factual_support", "factual_support"))


class Scored(Protocol):
    """What the statistics read from an evaluation record."""

    hallucinated: bool | None
    latency_sec: float | None
    throughput_qps: float | None
    semantic_drift: float | None
    uncertainty: float | None
    factual_support: float | None


class Totals:
    """Counts and sums over some evaluations; each average is over the records that have that value."""

    __slots__ = ("total", "judged", "hallucinations", "sums", "counts")

    def __init__(self) -> None:
        self.total = 0
        self.judged = 0  # records with a hallucination verdict
        self.hallucinations = 0
        self.sums = [0.0] * len(AVERAGES)
        self.counts = [0] * len(AVERAGES)

    def add(self, record: Scored, sign: int = 1) -> None:
        """Count a record in (sign 1) or back out (sign -1, before its scores change)."""
        self.total += sign
        if record.hallucinated is not None:
            self.judged += sign
            self.hallucinations += sign * int(record.hallucinated)
        for i, (_, field) in enumerate(AVERAGES):
            value = getattr(record, field)
            if value is not None:
                self.sums[i] += sign * value
                self.counts[i] += sign

    def merge(self, other: Totals) -> None:
        """Add another Totals into this one."""
        self.total += other.total
        self.judged += other.judged
        self.hallucinations += other.hallucinations
        for i in range(len(AVERAGES)):
            self.sums[i] += other.sums[i]
            self.counts[i] += other.counts[i]

    def to_json(self) -> dict[str, Any]:
        """The AgentOps contract's stats shape; the rate is over judged records; 0.0 where nothing counts."""
        out: dict[str, Any] = {
            "total_evaluations": self.total, "total_hallucinations": self.hallucinations,
            "hallucination_rate": round(self.hallucinations / self.judged, 4) if self.judged else 0.0}
        for i, (name, _) in enumerate(AVERAGES):
            out[name] = round(self.sums[i] / self.counts[i], 4) if self.counts[i] else 0.0
        return out
