"""The post-incident report, pure: written from an incident's stored events (and the alerts that joined it) by a
template, so it works offline and the same incident always gives the same report (docs/reports.md).

Every fact comes from an event: the timeline is the incident fold's own timeline with the actor of the event that
wrote each line, the durations are differences of the events' timestamps, the follow-ups are read from the
diagnosis and the outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.errors import AegisError
from shared.events import Envelope, iso
from shared.events import incident as ev
from shared.projections.incident import IncidentState, evolve


@dataclass
class Step:
    """One line of the report's timeline."""

    at: datetime
    actor: str
    status: str
    message: str


@dataclass
class Report:
    """Everything the post-incident report says, as data (`to_json`) and as Markdown (`markdown`)."""

    incident_id: str
    summary: dict[str, Any]
    durations: dict[str, float | None]
    timeline: list[Step]
    diagnosis: dict[str, Any]
    council: dict[str, Any]
    correlated: dict[str, Any]
    similar: list[dict[str, Any]]
    notifications: list[dict[str, Any]]
    follow_ups: list[str]
    narrative: dict[str, str] = field(default_factory=dict)  # only when polished by an LLM: {model, text}

    def to_json(self) -> dict[str, Any]:
        out = {"incident_id": self.incident_id, "summary": self.summary, "durations_s": self.durations,
               "timeline": [{"ts": iso(s.at), "actor": s.actor, "status": s.status, "message": s.message}
                            for s in self.timeline],
               "diagnosis": self.diagnosis, "council": self.council, "correlated": self.correlated,
               "similar_incidents": self.similar, "notifications": self.notifications, "follow_ups": self.follow_ups}
        if self.narrative:
            out["narrative"] = self.narrative
        return out


DURATIONS = (  # (key, label): each measured from the moment AegisOps received the alert
    ("alert_to_received", "alert fired → received"),
    ("to_diagnosis", "received → diagnosis"),
    ("to_decision", "received → council decision"),
    ("to_action", "received → action started"),
    ("to_verified", "received → verified / closed"),
    ("held_for_approval", "held for human approval"),
    ("waited_for_executor", "waited for a node's executor"),
    ("total", "received → ended"),
)


ENDINGS = (ev.IncidentResolved, ev.IncidentRecovered, ev.IncidentFailed)


def _alert_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo else None


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return round((end - start).total_seconds(), 3) if start is not None and end is not None else None


def _first(events: list[Envelope], *kinds: type) -> Envelope | None:
    return next((e for e in events if isinstance(e.payload, kinds)), None)


def _durations(events: list[Envelope]) -> dict[str, float | None]:
    received = events[0].time
    alert = _alert_time(events[0].payload.timestamp) if isinstance(events[0].payload, ev.IncidentReceived) else None
    at = {name: (e.time if e is not None else None) for name, e in {
        "diagnosis": _first(events, ev.AnalysisCompleted), "decision": _first(events, ev.CouncilDecided),
        "action": _first(events, ev.ActionStarted),
        "verified": _first(events, ev.IncidentResolved, ev.IncidentRecovered),
        "ended": _first(events, *ENDINGS)}.items()}
    asked = _first(events, ev.ApprovalRequested)
    answered = _first(events, ev.ApprovalGranted, ev.ApprovalRejected, ev.ApprovalExpired)
    awaited = _first(events, ev.ExecutorAwaited)
    return {
        "alert_to_received": _seconds(alert, received) if alert is not None and alert <= received else None,
        "to_diagnosis": _seconds(received, at["diagnosis"]), "to_decision": _seconds(received, at["decision"]),
        "to_action": _seconds(received, at["action"]), "to_verified": _seconds(received, at["verified"]),
        "held_for_approval": _seconds(asked.time if asked else None, answered.time if answered else None),
        "waited_for_executor": _seconds(awaited.time if awaited else None, at["action"] or at["ended"]),
        "total": _seconds(received, at["ended"]),
    }


def _timeline(events: list[Envelope]) -> tuple[IncidentState | None, list[Step]]:
    state: IncidentState | None = None
    steps: list[Step] = []
    for env in events:
        before = len(state.timeline) if state is not None else 0
        try:
            state = evolve(state, env)
        except AegisError:
            continue  # an event the fold refuses is not part of the incident's story (the read model skips it too)
        steps += [Step(e.ts, env.actor, e.status, e.message) for e in state.timeline[before:]]
    return state, steps


def _council(events: list[Envelope]) -> dict[str, Any]:
    decided = _first(events, ev.CouncilDecided)
    votes = [e.payload.vote for e in events if isinstance(e.payload, ev.VoteCast)]
    approvals = []
    for e in events:
        p = e.payload
        if isinstance(p, ev.ApprovalRequested):
            approvals.append({"ts": iso(e.time), "what": "requested", "by": p.required_role, "why": p.reason})
        elif isinstance(p, ev.ApprovalGranted):
            approvals.append({"ts": iso(e.time), "what": "granted", "by": p.by, "why": p.comment})
        elif isinstance(p, ev.ApprovalRejected):
            approvals.append({"ts": iso(e.time), "what": "rejected", "by": p.by, "why": p.reason})
        elif isinstance(p, ev.ApprovalExpired):
            approvals.append({"ts": iso(e.time), "what": "expired", "by": "", "why": p.reason})
    return {"verdict": decided.payload.decision.final_verdict if decided else None,
            "summary": decided.payload.decision.summary if decided else None,
            "votes": [{"role": v.role, "verdict": v.verdict, "reasoning": v.reasoning} for v in votes],
            "approvals": approvals}


def _follow_ups(state: IncidentState, events: list[Envelope]) -> list[str]:
    a = state.analysis
    out: list[str] = []
    situation = a.situation if a is not None else ""
    platform = next((e.payload.platform for e in events if isinstance(e.payload, ev.AnalysisCompleted)), {})
    if a is not None and a.escalation:
        out.append(f"The fix did not hold before: {a.escalation}. Find why the earlier fix failed.")
    if situation == "bad_deploy" and not platform.get("rollback_available", True):
        out.append("No rollback version was registered for this target: register versions so ROLLBACK is possible.")
    if situation == "cert_expiry":
        out.append("Certificate renewal needed: renew and deploy the certificate, then automate its renewal.")
    if situation == "memory_leak" and state.status == "RESOLVED":
        out.append("A restart released the memory; the leak itself needs a fix in code.")
    if situation in ("disk_full", "pool_exhaustion") and state.status == "RESOLVED":
        out.append(f"The restart cleared the symptom ({situation.replace('_', ' ')}); find what fills it.")
    if situation == "external_dependency":
        out.append("The cause is outside this service: take it up with the dependency's owners.")
    if _first(events, ev.ApprovalExpired) is not None:
        out.append("An approval expired unanswered: check who is on call for approvals.")
    if _first(events, ev.ExecutorAwaited) is not None:
        out.append("The target's node had no live executor: check the node agent.")
    if state.status == "FAILED":
        out.append(f"Not fixed automatically: {state.error or 'no reason recorded'}")
    elif state.status == "RESOLVED" and state.action is None and a is not None and a.action != "NOOP":
        out.append("Closed without the decided action running: confirm the target is healthy.")
    return out


def build(events: list[Envelope], correlated: dict[str, Any] | None = None) -> Report:
    """The report of one incident from its stored events, oldest first (ValueError when there are none)."""
    if not events or not isinstance(events[0].payload, ev.IncidentReceived):
        raise ValueError("an incident's events start with incident.received")
    state, steps = _timeline(events)
    assert state is not None
    a = state.analysis
    received: ev.IncidentReceived = events[0].payload
    retrieval = _first(events, ev.RetrievalCompleted)
    ended = _first(events, *ENDINGS)
    summary = {"target": state.container_name, "alert": state.alert_type, "severity": state.severity,
               "source": state.source, "status": state.status, "outcome": state.outcome,
               "action": state.action or (a.action if a is not None else None), "node": state.action_node,
               "received_at": iso(events[0].time), "ended_at": iso(ended.time) if ended else None,
               "joined": received.joined}
    diagnosis = ({"situation": a.situation, "root_cause": a.root_cause, "action": a.action,
                  "confidence": a.confidence, "outcome": a.outcome, "evidence": list(a.evidence),
                  "justification": a.justification, "analyzer": state.analyzer} if a is not None else {})
    similar = [{"incident_id": m.incident_id, "similarity": round(m.similarity_score, 3), "action": m.action,
                "root_cause": m.root_cause} for m in (retrieval.payload.matches if retrieval else [])]
    notifications = [{"ts": iso(e.time), "channel": e.payload.channel, "recipients": list(e.payload.recipients),
                      "draft_id": e.payload.draft_id} for e in events if isinstance(e.payload, ev.NotificationSent)]
    return Report(incident_id=state.incident_id, summary=summary, durations=_durations(events), timeline=steps,
                  diagnosis=diagnosis, council=_council(events), correlated=correlated or {"count": 0},
                  similar=similar, notifications=notifications, follow_ups=_follow_ups(state, events))


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s" if seconds < 120 else \
        f"{seconds / 60:.1f} min"


def markdown(r: Report) -> str:
    """The report as Markdown: the same report gives the same text, byte for byte."""
    s = r.summary
    lines = [f"# Post-incident report: {r.incident_id}", ""]
    if r.narrative:
        lines += ["## Narrative", "", r.narrative["text"].strip(), "",
                  f"*Written by {r.narrative['model']} from the facts below, which are the template's, verbatim.*", ""]
    lines += ["## Summary", "",
              f"- **Target:** {s['target'] or '—'}" + (f" (node {s['node']})" if s["node"] else ""),
              f"- **Alert:** {_cell(s['alert'])} ({s['severity'] or 'no severity'}, via {s['source']})",
              f"- **Outcome:** {s['status']}" + (f" — {s['outcome']}" if s["outcome"] else ""),
              f"- **Action:** {s['action'] or 'none'}",
              f"- **Received:** {s['received_at']}; **ended:** {s['ended_at'] or 'not yet'}"]
    if s["joined"]:
        lines.append(f"- Joined incident {s['joined']}: its outage was handled there.")
    lines += ["", "## Durations", "", "| step | time |", "|---|---|"]
    lines += [f"| {label} | {_fmt(r.durations.get(key))} |" for key, label in DURATIONS]
    lines += ["", "## Timeline", "", "| time | actor | status | what |", "|---|---|---|---|"]
    lines += [f"| {iso(t.at)} | {_cell(t.actor)} | {t.status} | {_cell(t.message)[:300]} |" for t in r.timeline]
    lines += ["", "## Diagnosis", ""]
    d = r.diagnosis
    if d:
        lines += [f"- **Situation:** {d['situation'] or '—'} → **{d['action']}** (confidence {d['confidence']:.2f}, "
                  f"{d['outcome'] or 'act'}; by {d['analyzer'] or 'the analyst'})",
                  f"- **Root cause:** {_cell(d['root_cause'])}"]
        lines += [f"- Evidence: {_cell(e)}" for e in d["evidence"]]
    else:
        lines.append("No diagnosis was made.")
    c = r.council
    lines += ["", "## Council and approvals", ""]
    lines += [f"- {v['role']}: **{v['verdict']}** — {_cell(v['reasoning'])}" for v in c["votes"]]
    if c["verdict"]:
        lines.append(f"- Decision: **{c['verdict']}** — {_cell(c['summary'])}")
    lines += [f"- Approval {a['what']} {a['ts']}" + (f" by {a['by']}" if a["by"] else "")
              + (f": {_cell(a['why'])}" if a["why"] else "") for a in c["approvals"]]
    if not c["votes"] and not c["approvals"]:
        lines.append("The council did not sit.")
    lines += ["", "## Correlated alerts", ""]
    k = r.correlated
    if k.get("count"):
        sources = ", ".join(f"{n} {src}" for src, n in sorted(k.get("sources", {}).items()))
        lines.append(f"{k['count']} more alert(s) about this outage joined ({sources}); first {k.get('first_seen')}, "
                     f"last {k.get('last_seen')}.")
    else:
        lines.append("None.")
    lines += ["", "## Similar past incidents", ""]
    lines += [f"- {m['incident_id']} ({m['similarity']:.0%} similar): {m['action']} — {_cell(m['root_cause'])}"
              for m in r.similar] or ["None found."]
    lines += ["", "## Notifications sent", ""]
    lines += [f"- {n['ts']} {n['channel']} to {', '.join(n['recipients']) or '—'}" for n in r.notifications] \
        or ["None."]
    lines += ["", "## Follow-ups", ""]
    lines += [f"- [ ] {_cell(f)}" for f in r.follow_ups] or ["None from the record."]
    return "\n".join(lines) + "\n"
