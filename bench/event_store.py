"""Event store bench: pipelined appends/s with per-incident concurrency checks, and projection rebuild events/s.

Usage: python bench/event_store.py [--incidents 17000]   (12 events per incident: ≥ 200k events)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import report, start_nats
from shared.events import encode, now
from shared.events import incident as ev
from shared.events.incident import INCIDENTS_STREAM
from shared.events.models import AIAnalysis, CouncilDecision, CouncilVote
from shared.eventstore import EventStore
from shared.jetstream import connect, ensure_streams
from shared.projections.incidents_view import IncidentsView
from shared.projections.projector import Projector
from shared.service import freeze_startup_heap, run

CHUNK = 4000


def lifecycle() -> list[ev.IncidentEvent]:
    """The twelve events of a resolved incident, as the services write them."""
    vote = lambda role: ev.VoteCast(vote=CouncilVote(role=role, verdict="APPROVED", reasoning="ok",  # noqa: E731
                                                     timestamp="2026-02-21T03:15:01Z"))
    analysis = AIAnalysis(root_cause="Memory leak exhausting the process heap", action="RESTART",
                          justification="Memory grows without bound; a restart releases it.", confidence=0.9)
    decision = CouncilDecision(votes=[], final_verdict="APPROVED", consensus=True,
                               summary="Council voted 3/3 APPROVED. Final: APPROVED")
    return [
        ev.IncidentReceived(alert_type="Memory Leak", logs="ERROR: Memory usage at 98%. " * 3,
                            container_name="buggy-app-v2", severity="CRITICAL"),
        ev.AnalysisStarted(analyzer="offline"), ev.AnalysisCompleted(analysis=analysis, analyzer="offline"),
        vote("SRE_AGENT"), vote("SECURITY_OFFICER"), vote("AUDITOR"), ev.CouncilDecided(decision=decision),
        ev.ActionStarted(action="RESTART", target="buggy-app-v2", node="executor@bench"),
        ev.ActionCompleted(action="RESTART", target="buggy-app-v2", detail="Process status: running"),
        ev.VerificationStarted(target="buggy-app-v2"), ev.HealthChecked(attempt=1, healthy=True, latency_ms=1.2),
        ev.IncidentResolved(resolved_at=now()),
    ]


async def append_all(store: EventStore, incidents: int) -> tuple[int, float, float]:
    """Append every incident's lifecycle in waves; each append carries its expected last sequence."""
    events = lifecycle()
    last_seq = [0] * incidents
    sizes = []
    started = time.perf_counter()
    for event in events:  # wave k appends event k to every incident, pipelined across incidents
        for lo in range(0, incidents, CHUNK):
            ids = range(lo, min(lo + CHUNK, incidents))
            items = [(store.envelope(f"bench-{i}", event), last_seq[i]) for i in ids]
            if lo == 0:
                sizes.append(len(encode(items[0][0])))
            acks = await store.publish_pipelined(items)
            for i, ack in zip(ids, acks, strict=True):
                last_seq[i] = ack.seq
    elapsed = time.perf_counter() - started
    return incidents * len(events), elapsed, sum(sizes) / len(sizes)


async def rebuild(nc) -> tuple[int, float, IncidentsView]:
    """Fold the whole stream into the incidents read model from scratch."""
    view = IncidentsView()
    projector = Projector(nc, INCIDENTS_STREAM, "incidents.>", view.apply, "bench")
    started = time.perf_counter()
    await projector.start()
    await projector.catch_up(timeout=600)
    elapsed = time.perf_counter() - started
    await projector.stop()
    return view.events_applied, elapsed, view


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=17000)
    args = parser.parse_args()
    server = start_nats()
    try:
        nc = await connect(server.url, "bench")
        await ensure_streams(nc.jetstream())
        freeze_startup_heap()  # as every service does once started (shared/service.py)
        store = EventStore(nc, "bench@local")
        appended, append_s, avg_bytes = await append_all(store, args.incidents)
        print(f"appended {appended} events in {append_s:.2f}s → {appended / append_s:,.0f}/s "
              f"(avg {avg_bytes:.0f} bytes)", file=sys.stderr)
        applied, rebuild_s, view = await rebuild(nc)
        resolved = sum(s.status == "RESOLVED" for s in view.incidents.values())
        print(f"rebuilt {applied} events in {rebuild_s:.2f}s → {applied / rebuild_s:,.0f}/s; "
              f"{resolved} incidents RESOLVED", file=sys.stderr)
        await nc.close()
        report({"bench": "event_store", "events": appended, "avg_event_bytes": round(avg_bytes),
                "appends_per_s": round(appended / append_s), "rebuild_events_per_s": round(applied / rebuild_s),
                "rebuild_events": applied, "incidents_resolved": resolved})
    finally:
        server.stop()


if __name__ == "__main__":
    run(main())
