"""`aegis eval`: the real offline diagnosis and council decision over a labeled corpus, no services needed.

Each case ends as one decision — an action (run or held for approval), NOOP (benign, closed after a health check) or
HUMAN (nothing runs; people are alerted) — compared with the corpus's expected and acceptable answers."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.analyst.diagnosis import Platform
from services.analyst.diagnosis.casebook import Casebook
from services.analyst.offline import analyze, casebook_for
from services.council.domain import Facts, deliberate
from shared.config import NAME_PATTERN, Settings, TargetConfig
from shared.errors import ValidationError
from shared.events import incident as ev
from shared.events.models import ACTIONS, AIAnalysis, outcome_of
from shared.policy import Policy
from shared.projections.incident import IncidentState

DECISIONS = (*ACTIONS, "HUMAN")
SAFE_ANSWERS = ("NOOP", "HUMAN")  # choosing an action where the answer is one of these is unsafe
CORPUS_DIR = Path(__file__).resolve().parent.parent / "corpus" / "judgment"
DEFAULT_CORPUS = CORPUS_DIR / "test.jsonl"
REQUIRED = ("id", "situation", "expected", "alert_type", "logs")
AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    """One labeled incident."""

    id: str
    situation: str
    expected: str
    acceptable: tuple[str, ...]
    alert_type: str
    logs: str
    severity: str | None = None
    container_name: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """What AegisOps decided for one case."""

    case: Case
    decision: str
    held: bool
    situation: str
    confidence: float
    reason: str

    @property
    def acceptable(self) -> bool:
        """The decision is the expected one or a listed alternative."""
        return self.decision in self.case.acceptable

    @property
    def unsafe(self) -> bool:
        """An action chosen where the answer was NOOP or a human."""
        return self.case.expected in SAFE_ANSWERS and self.decision not in SAFE_ANSWERS

    @property
    def silently_closed(self) -> bool:
        """NOOP-closed where something needed doing or a human."""
        return self.decision == "NOOP" and "NOOP" not in self.case.acceptable


def load_corpus(path: Path) -> list[Case]:
    """Cases from a JSONL file; ValidationError naming the line and the problem, nothing half-loaded."""
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise ValidationError(f"cannot read corpus {path}: {exc.strerror}") from None
    cases, seen = [], set()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"{path}:{n}: not JSON ({exc.msg})") from None
        if not isinstance(raw, dict):
            raise ValidationError(f"{path}:{n}: expected a JSON object")
        if isinstance(raw.get("logs"), list) and all(isinstance(x, str) for x in raw["logs"]):
            raw["logs"] = "\n".join(raw["logs"])  # logs may be given as a list of lines
        missing = [k for k in REQUIRED if not isinstance(raw.get(k), str)]
        if missing:
            raise ValidationError(f"{path}:{n}: missing or non-text field(s) {', '.join(missing)}")
        acceptable = tuple(raw.get("acceptable") or [raw["expected"]])
        bad = [d for d in (raw["expected"], *acceptable) if d not in DECISIONS]
        if bad:
            raise ValidationError(f"{path}:{n}: decision(s) {bad} not among {', '.join(DECISIONS)}")
        if raw["id"] in seen:
            raise ValidationError(f"{path}:{n}: id {raw['id']!r} appears twice")
        seen.add(raw["id"])
        cases.append(Case(id=raw["id"], situation=raw["situation"], expected=raw["expected"],
                          acceptable=tuple(dict.fromkeys((raw["expected"], *acceptable))), alert_type=raw["alert_type"],
                          logs=raw["logs"], severity=raw.get("severity"), container_name=raw.get("container_name"),
                          labels={str(k): str(v) for k, v in (raw.get("labels") or {}).items()},
                          context=dict(raw.get("context") or {})))
    if not cases:
        raise ValidationError(f"{path}: no cases")
    return cases


def _platform(context: dict[str, Any]) -> Platform:
    """The case's platform facts. Its target is in no inventory of ours (like any service an alert names through the
    webhook): no executor prechecks it before acting, so the casebook's doubt about it is not waived."""
    return Platform(known_target=False, probe=context.get("probe"),
                    deployed_minutes_ago=context.get("deployed_minutes_ago"),
                    recent_restarts=int(context.get("recent_restarts", 0) or 0),
                    rollback_available=context.get("deployed_minutes_ago") is not None)


def _target(name: str | None) -> TargetConfig:
    safe = name if name and NAME_PATTERN.match(name) else "eval-target"
    return TargetConfig(name=safe, port=9, command=["/bin/true"])


Analyse = Callable[[Case, str, Settings], AIAnalysis]


def offline_analysis(casebook: Casebook | None) -> Analyse:
    """The analyst's offline diagnosis, with the case's platform facts and the given casebook."""
    def analyse(case: Case, logs: str, settings: Settings) -> AIAnalysis:
        return analyze(case.alert_type, logs, (), settings.min_confidence, _platform(case.context), case.severity,
                       case.container_name, casebook)
    return analyse


def casebook_without(cases: list[Case], settings: Settings) -> Casebook | None:
    """The analyst's casebook minus any reference case being evaluated: a case never finds itself there, so a
    tuning split measured here is measured like a held-out one."""
    casebook = casebook_for(settings)
    return casebook.without({c.id for c in cases}) if casebook is not None else None


def case_logs(case: Case, settings: Settings) -> str:
    """The logs as the webhook would carry them: Alertmanager-style labels appended, truncated like intake."""
    logs = case.logs
    if case.labels:
        logs = f"{logs}\nlabels: " + ", ".join(f"{k}={v}" for k, v in sorted(case.labels.items()))
    return logs[:settings.log_truncate_chars]


def decide(case: Case, settings: Settings, policy: Policy, analyse: Analyse) -> Outcome:
    """The analyst's diagnosis and the council's decision for one case, exactly as the services make them."""
    logs = case_logs(case, settings)
    analysis = analyse(case, logs, settings)
    target = _target(case.container_name)
    state = IncidentState(incident_id=case.id, alert_type=case.alert_type, logs=logs, status="COUNCIL_REVIEW",
                          created_at=AT, container_name=target.name, severity=case.severity, analysis=analysis,
                          retrieval=())
    events = deliberate(state, Facts(settings, target, policy, case.context.get("recent_restarts", 0) or 0, AT))
    decided = next(e for e in events if isinstance(e, ev.CouncilDecided))
    failed = any(isinstance(e, ev.IncidentFailed) for e in events)
    if failed or outcome_of(analysis) == "human":
        decision = "HUMAN"
    else:
        decision = analysis.action
    return Outcome(case, decision, decided.requires_approval, analysis.situation, analysis.confidence,
                   analysis.root_cause if decision != "HUMAN" else (decided.decision.summary))


def evaluate(cases: Iterable[Case], settings: Settings | None = None, policy: Policy | None = None,
             analyse: Analyse | None = None) -> list[Outcome]:
    """Every case through diagnosis and council (by default the offline analysis with the casebook minus these
    cases)."""
    s, p = settings or Settings(), policy or Policy()
    chosen = list(cases)
    run = analyse or offline_analysis(casebook_without(chosen, s))
    return [decide(c, s, p, run) for c in chosen]


def report(outcomes: list[Outcome]) -> dict[str, Any]:
    """Accuracy overall and per situation, the confusion matrix, unsafe and silently closed cases."""
    per: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        per[o.case.situation].append(o)
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    for o in outcomes:
        confusion[o.case.expected][o.decision] += 1
    total = len(outcomes)
    return {
        "cases": total,
        "acceptable": sum(o.acceptable for o in outcomes),
        "accuracy": round(sum(o.acceptable for o in outcomes) / total, 4) if total else 0.0,
        "unsafe": sum(o.unsafe for o in outcomes),
        "silently_closed": sum(o.silently_closed for o in outcomes),
        "held_for_approval": sum(o.held for o in outcomes),
        "per_situation": {name: {"cases": len(os), "acceptable": sum(o.acceptable for o in os),
                                 "accuracy": round(sum(o.acceptable for o in os) / len(os), 4)}
                          for name, os in sorted(per.items())},
        "confusion": {exp: dict(sorted(row.items())) for exp, row in sorted(confusion.items())},
        "misses": [{"id": o.case.id, "situation": o.case.situation, "expected": o.case.expected,
                    "decided": o.decision, "diagnosed": o.situation, "confidence": o.confidence,
                    "unsafe": o.unsafe} for o in outcomes if not o.acceptable],
    }
