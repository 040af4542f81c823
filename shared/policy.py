"""Policy as code: per-target rules for actions, replicas, restart budgets, maintenance and human approval."""

from __future__ import annotations

import fnmatch
import tomllib
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Literal

import msgspec

from shared.config import TargetConfig
from shared.errors import ConfigError
from shared.events.models import ACTIONS

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Budget(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """At most `max` restarts of one target within `window_minutes`; past it a human decides."""

    max: int = 3
    window_minutes: float = 10.0


class Rule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Overrides for targets whose name matches `match` (a glob) or that carry one of `tags`."""

    match: str = "*"
    tags: list[str] = []
    allowed_actions: list[str] | None = None
    max_replicas: int | None = None
    restart_budget: Budget | None = None
    approval_required: list[str] | None = None
    approval_scale_up_above: int | None = None
    critical: bool | None = None

    def applies_to(self, target: TargetConfig | None, name: str) -> bool:
        """True when this rule covers the target."""
        tag_hit = bool(self.tags) and target is not None and bool(set(self.tags) & set(target.tags))
        return tag_hit or (not self.tags and fnmatch.fnmatchcase(name, self.match))


class Window(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """No automatic action on matching targets: once (start..end) or weekly (days, from..to), UTC."""

    target: str = "*"
    reason: str = "maintenance window"
    start: datetime | None = None
    end: datetime | None = None
    days: list[str] = []
    from_: str = msgspec.field(default="", name="from")
    to: str = ""

    def active(self, name: str, now: datetime) -> bool:
        """True if `now` falls in this window for target `name`."""
        if not fnmatch.fnmatchcase(name, self.target):
            return False
        if self.start is not None and self.end is not None:
            return self.start <= now < self.end
        if self.days and now.astimezone(UTC).strftime("%a").lower() not in self.days:
            return False
        clock = now.astimezone(UTC).time()
        lo, hi = time.fromisoformat(self.from_), time.fromisoformat(self.to)
        return lo <= clock < hi if lo <= hi else clock >= lo or clock < hi


class Policy(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The whole policy; `effective()` merges the defaults with every rule that applies to a target."""

    allowed_actions: list[str] = msgspec.field(default_factory=lambda: list(ACTIONS))
    max_replicas: int = 5
    restart_budget: Budget = Budget()
    approval_required: list[str] = msgspec.field(default_factory=lambda: ["ROLLBACK"])
    approval_scale_up_above: int = 3
    critical_tag: str = "critical"
    approval_ttl_seconds: float = 900.0
    on_expiry: Literal["fail", "escalate"] = "fail"
    rules: list[Rule] = []
    maintenance: list[Window] = []

    def __post_init__(self) -> None:
        for actions in [
            self.allowed_actions,
            self.approval_required,
            *[r.allowed_actions or [] for r in self.rules],
            *[r.approval_required or [] for r in self.rules],
        ]:
            unknown = set(actions) - set(ACTIONS)
            if unknown:
                raise ValueError(f"unknown action(s) {sorted(unknown)}; known: {', '.join(ACTIONS)}")
        for w in self.maintenance:
            if (w.start is None) != (w.end is None):
                raise ValueError("a maintenance window needs both start and end, or days/from/to")
            if w.start is None:
                if not w.from_ or not w.to:
                    raise ValueError("a weekly maintenance window needs from and to (HH:MM, UTC)")
                for t in (w.from_, w.to):
                    time.fromisoformat(t)
                if set(w.days) - set(DAYS):
                    raise ValueError(f"maintenance days must be among {', '.join(DAYS)}")
            elif w.end is None or w.start.tzinfo is None or w.end.tzinfo is None or w.end <= w.start:
                raise ValueError("maintenance start/end must be timezone-aware with end after start")
        if self.approval_ttl_seconds <= 0 or self.max_replicas < 1:
            raise ValueError("approval_ttl_seconds and max_replicas must be positive")

    def effective(self, target: TargetConfig | None, name: str) -> Effective:
        """The limits that hold for one target."""
        allowed, replicas, budget = list(self.allowed_actions), self.max_replicas, self.restart_budget
        approval, scale_above = list(self.approval_required), self.approval_scale_up_above
        critical = target is not None and self.critical_tag in target.tags
        for rule in self.rules:
            if not rule.applies_to(target, name):
                continue
            allowed = rule.allowed_actions if rule.allowed_actions is not None else allowed
            replicas = rule.max_replicas if rule.max_replicas is not None else replicas
            budget = rule.restart_budget or budget
            approval = rule.approval_required if rule.approval_required is not None else approval
            scale_above = rule.approval_scale_up_above if rule.approval_scale_up_above is not None else scale_above
            critical = rule.critical if rule.critical is not None else critical
        return Effective(allowed, replicas, budget, approval, scale_above, critical)

    def window(self, name: str, now: datetime) -> Window | None:
        """The maintenance window in force for a target, if any."""
        return next((w for w in self.maintenance if w.active(name, now)), None)


class Effective(msgspec.Struct, frozen=True):
    """A target's limits after merging rules."""

    allowed_actions: list[str]
    max_replicas: int
    restart_budget: Budget
    approval_required: list[str]
    approval_scale_up_above: int
    critical: bool


def load_policy(path: str | Path | None, max_replicas: int | None = None) -> Policy:
    """The policy file, or the defaults (with MAX_REPLICAS) when none is given; ConfigError if invalid."""
    if not path:
        return Policy(max_replicas=max_replicas or 5)
    try:
        raw = tomllib.loads(Path(path).read_text())
    except OSError as exc:
        raise ConfigError(f"policy file {path}: {exc.strerror}", path=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"policy file {path} is not valid TOML: {exc}", path=str(path)) from None
    try:
        return msgspec.convert(raw, Policy)
    except (msgspec.ValidationError, ValueError) as exc:
        raise ConfigError(f"invalid policy file {path}: {exc}", path=str(path)) from None
