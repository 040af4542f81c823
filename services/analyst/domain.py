"""The analyst's decisions, pure: what to append as an incident is retrieved, analysed and learned from."""

from __future__ import annotations

from collections.abc import Sequence

from services.analyst.analyzer import Verdict
from services.analyst.diagnosis import Platform
from services.analyst.offline import platform_record
from shared.events import Event, iso
from shared.events import incident as ev
from shared.events.knowledge import RunbookEntry
from shared.events.models import RetrievedIncident, outcome_of
from shared.projections.incident import IncidentState


def begin(state: IncidentState | None, matches: Sequence[RetrievedIncident], analyzer: str) -> list[Event]:
    """RetrievalCompleted + AnalysisStarted for a freshly received incident, once."""
    if state is None or state.status != "RECEIVED" or state.source == "manual":
        return []
    return [ev.RetrievalCompleted(matches=list(matches)), ev.AnalysisStarted(analyzer=analyzer)]


def complete(state: IncidentState | None, verdict: Verdict, platform: Platform | None = None) -> list[Event]:
    """AnalysisCompleted, once, while the incident is being analysed; it records the platform facts it used, so a
    replay re-decides from the same evidence."""
    if state is None or state.status != "ANALYSING" or state.analysis is not None:
        return []
    facts = platform_record(platform) if platform is not None else {}
    return [ev.AnalysisCompleted(analysis=verdict.analysis, analyzer=verdict.analyzer, note=verdict.note,
                                 platform=facts)]


def needs_analysis(state: IncidentState | None) -> bool:
    """True while the incident still waits for its diagnosis."""
    return (state is not None and state.source != "manual" and state.status in ("RECEIVED", "ANALYSING")
            and state.analysis is None)


def runbook_entry(state: IncidentState | None) -> RunbookEntry | None:
    """The seed-001 runbook entry a resolved incident teaches (None if it teaches nothing): only a verified fix or a
    benign NOOP whose target passed its health check — never an unverified close or a human's case."""
    if state is None or state.status != "RESOLVED" or state.analysis is None or not state.verified:
        return None
    if outcome_of(state.analysis) == "human":
        return None
    a = state.analysis
    return RunbookEntry(
        incident_id=state.incident_id, alert_type=state.alert_type, logs=state.logs,
        container_name=state.container_name, severity=state.severity, root_cause=a.root_cause, action=a.action,
        justification=a.justification, confidence=a.confidence,
        council_approved=bool(state.council_decision and state.council_decision.final_verdict == "APPROVED"),
        replicas_used=state.replicas_spawned, resolved_at=iso(state.resolved_at) if state.resolved_at else None)


def query_text(state: IncidentState, truncate: int) -> str:
    """What retrieval searches with: the alert type and the (truncated) logs."""
    return f"{state.alert_type}\n{state.logs[:truncate]}"


def is_new_entry(known: RunbookEntry | None, entry: RunbookEntry) -> bool:
    """True unless the runbook already holds exactly this entry."""
    return known != entry

