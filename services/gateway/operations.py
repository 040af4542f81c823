"""Manual operations (the Core API contract's POST /scale/{direction}) as incidents the operator decided, pure."""

from __future__ import annotations

from shared.events import Event
from shared.events import incident as ev
from shared.events.models import AIAnalysis, CouncilDecision


def manual_scale(direction: str, count: int, target: str, by: str) -> list[Event]:
    """An incident born decided: the executor carries it out like any approved SCALE_UP / SCALE_DOWN."""
    action = "SCALE_UP" if direction == "up" else "SCALE_DOWN"
    request = f"POST /scale/{direction}" + (f"?count={count}" if direction == "up" else "") + f" by {by}"
    return [
        ev.IncidentReceived(alert_type=f"Manual scale {direction}", logs=request, container_name=target,
                            severity="INFO", source="manual"),
        ev.AnalysisCompleted(analysis=AIAnalysis(root_cause="Operator request", action=action,  # type: ignore[arg-type]
                                                 justification=request, confidence=1.0, replica_count=count),
                             analyzer="operator"),
        ev.CouncilDecided(decision=CouncilDecision(
            votes=[], final_verdict="APPROVED", consensus=True,
            summary=f"Manual operation by {by}: no council vote (Core API contract /scale)")),
    ]
