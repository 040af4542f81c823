"""Value objects shared by events and read models; field names are seed 001's contract."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

ActionType = Literal["RESTART", "SCALE_UP", "SCALE_DOWN", "ROLLBACK", "NOOP"]
Verdict = Literal["APPROVED", "REJECTED", "NEEDS_REVIEW"]
CouncilRole = Literal["SRE_AGENT", "SECURITY_OFFICER", "AUDITOR"]
ACTIONS: tuple[str, ...] = ("RESTART", "SCALE_UP", "SCALE_DOWN", "ROLLBACK", "NOOP")


class AIAnalysis(msgspec.Struct, frozen=True, gc=False):
    """The analyst's diagnosis and proposed action."""

    root_cause: str
    action: ActionType
    justification: str
    confidence: float
    replica_count: int = 2


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
    """One line of an incident's seed-001 timeline (ts is rendered to ISO text only when served)."""

    ts: datetime
    status: str
    message: str
    agent: str | None = None
