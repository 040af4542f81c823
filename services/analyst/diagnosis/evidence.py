"""What a diagnosis is made from: the alert as sent, and what the platform itself knows about the target."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# Runs no real alert needs whole, cut before any pattern reads them: a pattern that scans a number, a blank or a
# token from every position of a run costs the square of its length (a 2,000-digit "number" cost 0.5 s of regex
# before this; bench/judgment.py measures such texts). What is cut says nothing a shorter run does not: a number or
# a base64/hex blob past 32 characters, a blank or one character repeated past 32, a short unit ("1.", "- ")
# repeated past 16 times.
MAX_RUN = 32
_SAME_CHARACTER = re.compile(rf"(.)\1{{{MAX_RUN},}}", re.S)
# (`\1\1` before the counted repeat: the engine rejects most units on two plain back-references, twice as fast as
# entering the repeat at each position)
_REPEATED_UNIT = re.compile(rf"(.{{2,8}}?)\1\1\1{{{MAX_RUN // 2 - 2},}}", re.S)
_LONG_NUMBER = re.compile(rf"\d{{{MAX_RUN + 1},}}")
_BLOB = re.compile(rf"[A-Za-z0-9+/=_-]{{{4 * MAX_RUN + 1},}}")


def bounded_runs(text: str) -> str:
    """`text` with each over-long run cut: one character repeated, a number, to MAX_RUN characters; a short unit
    repeated, to MAX_RUN // 2 repeats; a blob of word characters, to 4 × MAX_RUN."""
    text = _SAME_CHARACTER.sub(lambda m: m.group(1) * MAX_RUN, text)
    text = _REPEATED_UNIT.sub(lambda m: m.group(1) * (MAX_RUN // 2), text)
    text = _LONG_NUMBER.sub(lambda m: m.group()[:MAX_RUN], text)
    return _BLOB.sub(lambda m: m.group()[:4 * MAX_RUN], text)


@dataclass(frozen=True)
class PreviousFix:
    """A verified fix of the same target shortly before this alert."""

    incident_id: str
    action: str
    minutes_ago: float
    situation: str = ""  # what that fix was for ("" when not recorded: treated as the same)


@dataclass(frozen=True)
class Platform:
    """The platform's own record of the target at decision time (all optional: a target may be unknown)."""

    known_target: bool = False  # an inventory target: its node's executor checks its health right before acting
    probe: str | None = None  # "down" | "slow" | "healthy": a health check at decision time, else the prober's sample
    probe_detail: str = ""
    deployed_minutes_ago: float | None = None  # a new version registered in the inventory this long ago
    rollback_available: bool = False
    recent_restarts: int = 0
    replicas: int | None = None
    cpu_percent: float | None = None
    memory_percent: float | None = None
    previous_fix: PreviousFix | None = None
    measured_here: bool = False  # the platform's own prober raised the alert from its own sample of this target

    def features(self) -> dict[str, str]:
        """Platform readings by feature name, each with the line that justifies it."""
        out: dict[str, str] = {}
        if self.probe == "down":
            out["probe_down"] = f"the target is down now ({self.probe_detail or 'no answer'})"
        elif self.probe == "slow":
            out["probe_slow"] = f"the target is slow now ({self.probe_detail})"
        elif self.probe == "healthy":
            out["probe_healthy"] = f"the target is healthy now ({self.probe_detail or 'it answers'})"
        if self.deployed_minutes_ago is not None and self.deployed_minutes_ago <= 180:
            out["version_changed"] = f"a new version was registered {self.deployed_minutes_ago:.0f} min ago"
        if self.recent_restarts >= 2:
            out["restarts_recent"] = f"{self.recent_restarts} restarts of this target recently"
        if self.memory_percent is not None and self.memory_percent >= 85:
            out["high_memory"] = f"process memory at {self.memory_percent:.0f}% (platform sample)"
        if self.cpu_percent is not None and self.cpu_percent >= 85:
            out["high_cpu"] = f"process CPU at {self.cpu_percent:.0f}% (platform sample)"
        return out


@dataclass(frozen=True)
class Evidence:
    """One incident's alert text plus the platform's facts."""

    alert_type: str
    logs: str
    severity: str | None = None
    container_name: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    platform: Platform = field(default_factory=Platform)

    def text(self) -> str:
        """Everything the signatures search: the alert name (also split from CamelCase), labels, logs; over-long runs
        cut (bounded_runs)."""
        spaced = _CAMEL.sub(" ", self.alert_type)
        parts = [self.alert_type]
        if spaced != self.alert_type:
            parts.append(spaced)
        if self.labels:
            parts.append(" ".join(f"{k}={v}" for k, v in sorted(self.labels.items())))
        parts.append(self.logs)
        return bounded_runs("\n".join(parts))
