"""Deterministic drafts (the monitor contract's alert and recovery mails) for when no LLM answers."""

from __future__ import annotations

from shared.events import iso
from shared.projections.incident import IncidentState

OUTCOME_WORDS = {"act": "an action runs", "benign": "benign, nothing to do", "human": "needs a human",
                 "recovered": "recovered before any action"}
KINDS = ("alert", "approval", "failure", "human", "closed", "recovery")


def draft(state: IncidentState, kind: str) -> tuple[str, str]:
    """(subject, body) for one kind of notification."""
    target = state.container_name or "unknown target"
    head = [f"Incident: {state.incident_id}", f"Target: {target}", f"Alert: {state.alert_type}",
            f"Severity: {state.severity or 'unknown'}", f"Status: {state.status}"]
    if state.analysis is not None:
        head += [f"Root cause: {state.analysis.root_cause}", f"Proposed action: {state.analysis.action} "
                 f"(confidence {state.analysis.confidence:.2f})"]
        if state.outcome:
            head.append(f"Outcome: {OUTCOME_WORDS.get(state.outcome, state.outcome)}")
        head += [f"Evidence: {line}" for line in state.analysis.evidence[:5]]
    if kind == "alert":
        subject = f"[AegisOps] ALERT: {target} — {state.alert_type}"
        lead = "AegisOps detected an incident and is working on it automatically."
    elif kind == "approval":
        subject = f"[AegisOps] APPROVAL NEEDED: {target} — {state.analysis.action if state.analysis else 'action'}"
        lead = f"An action is held for a human: aegis approve {state.incident_id} (or reject)."
    elif kind == "human":
        subject = f"[AegisOps] NEEDS A HUMAN: {target} — {state.alert_type}"
        lead = f"AegisOps took no action: {state.error}"
    elif kind == "closed":
        subject = f"[AegisOps] CLOSED, no action: {target} — {state.alert_type}"
        verified = "the target passed its health check" if state.verified else "no known target could be checked"
        lead = f"Diagnosed as benign; nothing was run ({verified})."
    elif kind == "failure":
        subject = f"[AegisOps] FAILED: {target} — manual intervention needed"
        lead = f"AegisOps could not resolve the incident: {state.error}"
    else:
        subject = f"[AegisOps] RECOVERED: {target} is healthy again"
        lead = f"The incident was resolved at {iso(state.resolved_at) if state.resolved_at else 'now'}."
    lines = [lead, "", *head, "", "Timeline:"] + [f"  {iso(e.ts)} {e.status}: {e.message}" for e in state.timeline]
    return subject, "\n".join(lines)
