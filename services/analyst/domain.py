"""The analyst's decisions, pure: what to append when an incident arrives."""

from __future__ import annotations

from collections.abc import Sequence

from services.analyst.offline import analyze
from shared.events import Event
from shared.events import incident as ev
from shared.projections.incident import IncidentState

OFFLINE = "offline"


def analyse_incident(state: IncidentState | None, log_truncate_chars: int) -> Sequence[Event]:
    """AnalysisStarted + AnalysisCompleted for a freshly received incident; nothing otherwise."""
    if state is None or state.status not in ("RECEIVED", "ANALYSING") or state.analysis is not None:
        return []
    analysis = analyze(state.alert_type, state.logs[:log_truncate_chars])
    started = [] if state.status == "ANALYSING" else [ev.AnalysisStarted(analyzer=OFFLINE)]
    return [*started, ev.AnalysisCompleted(analysis=analysis, analyzer=OFFLINE)]
