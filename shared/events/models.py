"""Value objects shared by events and read models; field names are the Core API contract's."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

ActionType = Literal["RESTART", "SCALE_UP", "SCALE_DOWN", "ROLLBACK", "NOOP"]
Verdict = Literal["APPROVED", "REJECTED", "NEEDS_REVIEW"]
CouncilRole = Literal["SRE_AGENT", "SECURITY_OFFICER", "AUDITOR"]
ACTIONS: tuple[str, ...] = ("RESTART", "SCALE_UP", "SCALE_DOWN", "ROLLBACK", "NOOP")


Outcome = Literal["act", "benign", "human", ""]
OUTCOMES: tuple[str, ...] = ("act", "benign", "human")


class Hypothesis(msgspec.Struct, frozen=True, gc=False):
    """One situation the diagnosis considered, with its score and the evidence for it."""

    situation: str
    action: str
    score: float
    evidence: list[str] = []


class AIAnalysis(msgspec.Struct, frozen=True, gc=False):
    """The analyst's diagnosis and proposed action (the Core API contract's fields first).

    `outcome` says what kind of answer this is: *act* (the action runs, through the council), *benign* (NOOP,
    closed only once the target's health check passes) or *human* (nothing runs; the incident fails and people
    are alerted). Empty on events written before outcomes existed: read it through `outcome_of()`."""

    root_cause: str
    action: ActionType
    justification: str
    confidence: float
    replica_count: int = 2
    outcome: Outcome = ""
    situation: str = ""
    evidence: list[str] = []
    hypotheses: list[Hypothesis] = []
    hold: str = ""  # why a human must approve this action even if the council would not hold it
    escalation: str = ""  # the remediation ladder's note ("the fix did not hold …")
    precheck: bool = False  # a health check shows the problem: a passing one right before acting closes it instead


def outcome_of(analysis: AIAnalysis) -> str:
    """act | benign | human — older analyses without an outcome: NOOP is benign, anything else act."""
    if analysis.outcome:
        return analysis.outcome
    return "benign" if analysis.action == "NOOP" else "act"


class CouncilVote(msgspec.Struct, frozen=True, gc=False):
    """One council member's verdict with its reasoning."""

    role: CouncilRole
    verdict: Verdict
    reasoning: str
    timestamp: str


class CouncilDecision(msgspec.Struct, frozen=True, gc=False):
    """The council's final verdict over all votes."""

    votes: list[CouncilVote]
    final_verdict: Literal["APPROVED", "REJECTED"]
    consensus: bool
    summary: str


class ScaleEvent(msgspec.Struct, frozen=True, gc=False):
    """What a scale action did to a target."""

    container_base: str
    replica_count: int
    replicas: list[str]
    lb_configured: bool
    timestamp: str
    removed: list[str] = []
    ports: list[int] = []


class RetrievedIncident(msgspec.Struct, frozen=True, gc=False):
    """A past incident retrieval found similar to the current one."""

    incident_id: str
    alert_type: str
    root_cause: str
    action: str
    similarity_score: float
    justification: str = ""
    logs: str = ""
    container_name: str | None = None
    severity: str | None = None
    replicas_used: int = 0


class TimelineEntry(msgspec.Struct, frozen=True, gc=False):
    """One line of an incident's timeline (Core API contract) (ts is rendered to ISO text only when served)."""

    ts: datetime
    status: str
    message: str
    agent: str | None = None
