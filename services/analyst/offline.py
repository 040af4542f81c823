"""The offline analyzer: the evidence-based diagnosis (services/analyst/diagnosis/) as seed 001's AIAnalysis."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from services.analyst.diagnosis import Diagnosis, Evidence, Platform, PreviousFix, diagnose
from services.analyst.diagnosis.casebook import (
    DEFAULT_CACHE_DIR,
    REFERENCE_DIR,
    Casebook,
    reference_text,
    shipped_casebook,
)
from shared.config import Settings
from shared.events.models import AIAnalysis, Hypothesis, RetrievedIncident

MAX_HYPOTHESES = 4


def to_analysis(d: Diagnosis) -> AIAnalysis:
    """The diagnosis in the contract's shape, with its outcome, evidence and alternatives beside the seed fields."""
    return AIAnalysis(
        root_cause=d.root_cause, action=d.action, justification=d.justification,  # type: ignore[arg-type]
        confidence=d.confidence, replica_count=d.replica_count, outcome=d.outcome,  # type: ignore[arg-type]
        situation=d.situation, evidence=list(d.evidence),
        hypotheses=[Hypothesis(h.situation, h.action, round(h.score, 3), list(h.evidence))
                    for h in d.hypotheses[:MAX_HYPOTHESES]],
        escalation=d.escalation, precheck=d.precheck)


def platform_from(facts: Mapping[str, Any] | None) -> Platform:
    """A Platform from its recorded form (AnalysisCompleted.platform), tolerant of fields added later."""
    if not facts:
        return Platform()
    known = {k: v for k, v in facts.items() if k in Platform.__dataclass_fields__}
    prev = known.get("previous_fix")
    if isinstance(prev, Mapping):
        known["previous_fix"] = PreviousFix(**{k: prev[k] for k in ("incident_id", "action", "minutes_ago",
                                                                    "situation") if k in prev})
    return Platform(**known)


def platform_record(platform: Platform) -> dict[str, Any]:
    """What the analysis event records of the platform's facts, so a replay re-decides from the same evidence."""
    return {k: v for k, v in asdict(platform).items() if v not in (None, False, 0, "")}


def casebook_location(settings: Settings) -> tuple[Path, Path]:
    """(the directory of the casebook's reference files — `casebook_dir`, default the repository's corpus/judgment —
    and the cache its fit is kept in — `casebook_cache_dir`, default ~/.cache/aegisops/casebook)."""
    return (Path(settings.casebook_dir) if settings.casebook_dir else REFERENCE_DIR,
            Path(settings.casebook_cache_dir) if settings.casebook_cache_dir else DEFAULT_CACHE_DIR)


def casebook_for(settings: Settings) -> Casebook | None:
    """The casebook when the settings use it (`casebook`, default on), else None; fitted once per machine and kept
    in its cache (casebook_location) for every later start."""
    if not settings.casebook:
        return None
    return shipped_casebook(*casebook_location(settings))


def analyze(alert_type: str, logs: str, precedents: Sequence[RetrievedIncident] = (), min_confidence: float = 0.5,
            platform: Platform | None = None, severity: str | None = None,
            container_name: str | None = None, casebook: Casebook | None = None) -> AIAnalysis:
    """Diagnose from the alert, the platform's facts, the casebook's opinion and precedents; unknown or unclear →
    a human, never NOOP."""
    evidence = Evidence(alert_type=alert_type, logs=logs, severity=severity, container_name=container_name,
                        platform=platform or Platform())
    opinion = casebook.opinion(reference_text(alert_type, logs)) if casebook is not None else None
    return to_analysis(diagnose(evidence, precedents, min_confidence, opinion=opinion))
