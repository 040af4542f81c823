"""Build envelopes for given/when/then tests without a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.consumer import Delivery
from shared.events import Envelope, Event
from shared.events import incident as ev
from shared.events.models import AIAnalysis, CouncilDecision, CouncilVote, RetrievedIncident
from shared.projections.incident import evolve

T0 = datetime(2026, 2, 21, 3, 15, tzinfo=UTC)


class Given:
    """Envelopes for one incident with increasing times and sequences."""

    def __init__(self, incident_id: str = "inc-1") -> None:
        self.incident_id = incident_id
        self.n = 0

    def env(self, payload: Event, actor: str = "test@local") -> Envelope:
        self.n += 1
        return Envelope(event_id=f"{self.incident_id}-{self.n}", incident_id=self.incident_id,
                        time=T0 + timedelta(milliseconds=100 * self.n), actor=actor, payload=payload)

    def __call__(self, *payloads: Event) -> list[tuple[int, Envelope]]:
        return [(self.n + 1, self.env(p)) for p in payloads]


def received(**kw) -> ev.IncidentReceived:
    return ev.IncidentReceived(**({"alert_type": "Memory Leak", "logs": "ERROR: Memory usage at 98%",
                                   "container_name": "addition-api", "severity": "CRITICAL"} | kw))


def analysis(action: str = "RESTART", confidence: float = 0.9) -> ev.AnalysisCompleted:
    return ev.AnalysisCompleted(analysis=AIAnalysis(root_cause="Memory leak", action=action,  # type: ignore[arg-type]
                                                    justification="restart frees memory", confidence=confidence),
                                analyzer="offline")


def vote(role: str, verdict: str = "APPROVED") -> ev.VoteCast:
    return ev.VoteCast(vote=CouncilVote(role=role, verdict=verdict, reasoning="ok",  # type: ignore[arg-type]
                                        timestamp="2026-02-21T03:15:01Z"))


def decided(verdict: str = "APPROVED", requires_approval: bool = False) -> ev.CouncilDecided:
    votes = [CouncilVote(role=r, verdict=verdict, reasoning="ok", timestamp="t")  # type: ignore[arg-type]
             for r in ("SRE_AGENT", "SECURITY_OFFICER", "AUDITOR")]
    n = 3 if verdict == "APPROVED" else 0
    return ev.CouncilDecided(decision=CouncilDecision(votes=votes, final_verdict=verdict,  # type: ignore[arg-type]
                                                      consensus=n >= 2,
                                                      summary=f"Council voted {n}/3 APPROVED. Final: {verdict}"),
                             requires_approval=requires_approval)


def council_approved() -> list[Event]:
    return [vote("SRE_AGENT"), vote("SECURITY_OFFICER"), vote("AUDITOR"), decided()]


def run(*payloads):
    """The state after these payloads, folded as one incident's envelopes."""
    given = Given()
    state = None
    for p in payloads:
        state = evolve(state, given.env(p), given.n)
    return state


def happy_path(action: str = "RESTART"):
    """A whole incident that ends RESOLVED by `action`."""
    return [
        received(),
        ev.RetrievalCompleted(matches=[RetrievedIncident(incident_id="old", alert_type="Memory Leak",
                                                         root_cause="leak", action="RESTART", similarity_score=0.912)]),
        ev.AnalysisStarted(analyzer="offline"),
        analysis(action),
        *council_approved(),
        ev.ActionStarted(action=action, target="addition-api"),
        ev.ActionCompleted(action=action, target="addition-api", detail="Process status: running"),
        ev.VerificationStarted(target="addition-api"),
        ev.HealthChecked(attempt=1, healthy=True),
        ev.IncidentResolved(resolved_at=T0),
    ]


DRAFT = ev.NotificationDrafted(draft_id="recovery-email", channel="email", kind="recovery", subject="s", body="b",
                               recipients=["sre@example.org"], review="human")


class _Msg:
    async def in_progress(self):
        pass


DELIVERY = Delivery(msg=_Msg(), attempt=1, last_attempt=False)  # type: ignore[arg-type]
