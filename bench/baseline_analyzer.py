"""The offline analyzer as it was before evidence-based diagnosis (first-match regex over the alert text), kept only
as the baseline `bench/judgment.py` measures the new diagnosis against. Not used by the platform."""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.events.models import ACTIONS, AIAnalysis


@dataclass(frozen=True)
class Rule:
    """A known failure shape: what it looks like and what fixes it."""

    name: str
    pattern: re.Pattern[str]
    root_cause: str
    action: str
    justification: str
    confidence: float
    replica_count: int = 2


def _rx(*words: str) -> re.Pattern[str]:
    return re.compile("|".join(words), re.IGNORECASE)


RULES: tuple[Rule, ...] = (
    Rule("bad_deploy", _rx(r"bad deploy", r"regression after (deploy|release)", r"since (the )?deploy",
                           r"new version .*(crash|error)", r"rollout .*fail", r"version v?\d+(\.\d+)+ .*(error|crash)"),
         "Faulty release: errors began with the latest deployment", "ROLLBACK",
         "Errors started with the new version; rolling back restores the last known-good release.", 0.8),
    Rule("memory", _rx(r"memory leak", r"\boom\b", r"out of memory", r"memoryerror", r"heap (space|exhausted|growing)",
                       r"memory usage at 9\d", r"cannot allocate memory", r"oom-?kill"),
         "Memory leak exhausting the process heap", "RESTART",
         "Memory grows without bound; a restart releases the held memory and restores service.", 0.9),
    Rule("cpu", _rx(r"cpu spike", r"cpu (usage )?at 9\d", r"runaway", r"infinite loop", r"100% cpu", r"high cpu",
                    r"factorial"),
         "Runaway computation saturating the CPU", "RESTART",
         "A runaway thread pins the CPU; restarting terminates it.", 0.85),
    Rule("traffic", _rx(r"traffic surge", r"too many requests", r"\b429\b", r"request rate", r"queue (depth|backlog)",
                        r"load spike", r"connection pool exhausted"),
         "Traffic surge beyond one instance's capacity", "SCALE_UP",
         "Demand exceeds capacity; more replicas behind the load balancer absorb it.", 0.8, 3),
    Rule("db", _rx(r"db latency", r"database .*(slow|latency|timeout)", r"query took \d+", r"slow query",
                   r"deadlock", r"lock wait timeout", r"connection to (db|database|postgres|mysql) timed out"),
         "Database latency blocking request workers", "RESTART",
         "Workers are stuck on slow queries; a restart frees them while the database recovers.", 0.7),
    Rule("crash", _rx(r"crash", r"connection refused", r"health ?check (is )?failing", r"health check failed",
                      r"\bdown\b", r"not responding", r"segfault", r"exited with", r"killed", r"unreachable", r"502",
                      r"503"),
         "Service process crashed or stopped answering", "RESTART",
         "The service is down; restarting its process brings it back.", 0.9),
    Rule("disk", _rx(r"disk full", r"no space left", r"enospc", r"disk usage at 9\d"),
         "Disk full: the service cannot write", "NOOP",
         "Restarting does not free disk space; a human must clean up or grow the volume.", 0.6),
)


def analyze(alert_type: str, logs: str) -> AIAnalysis:
    """Match the alert against known shapes; NOOP with low confidence when nothing fits."""
    text = f"{alert_type}\n{logs}"
    for rule in RULES:
        match = rule.pattern.search(text)
        if match:
            return AIAnalysis(root_cause=rule.root_cause, action=rule.action,  # type: ignore[arg-type]
                              justification=f"{rule.justification} (matched '{match.group(0)}')",
                              confidence=rule.confidence, replica_count=rule.replica_count)
    return AIAnalysis(root_cause=f"Unrecognised alert: {alert_type}", action="NOOP",
                      justification="No known failure pattern matched; leaving it to a human.", confidence=0.2)


def analyze_with_precedents(alert_type: str, logs: str, precedents, threshold: float) -> AIAnalysis:  # type: ignore[no-untyped-def]
    """Follow the best runbook precedent when it is at least `threshold` similar, else the rules."""
    best = max(precedents, key=lambda p: p.similarity_score, default=None)
    if best is not None and best.similarity_score >= threshold and best.action in ACTIONS:
        return AIAnalysis(
            root_cause=best.root_cause, action=best.action,
            justification=f"Matches past incident {best.incident_id} ({best.similarity_score:.0%} similar), "
                          f"resolved by {best.action}. {best.justification}".strip(),
            confidence=round(min(0.95, best.similarity_score), 2), replica_count=max(1, best.replicas_used or 2))
    return analyze(alert_type, logs)
