"""`aegis chaos`: fire fake alerts (NATS `intake.alerts` or the webhook), then report how many ended and how fast."""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
import uuid

import httpx
import nats.errors

from shared.errors import RuntimeStartError
from shared.events.incident import IncidentFailed, IncidentRecovered, IncidentResolved
from shared.eventstore import EventStore
from shared.jetstream import connect
from shared.stats import percentile
from shared.wiring import INTAKE_ALERTS, incident_subject

ALERT_MIX = {
    "Memory Leak": "ERROR: Memory usage at 97%. OOM imminent.",
    "CPU Spike": "CPU at 99% for 5 minutes; runaway loop suspected",
    "Health Check": "GET /health: connection refused",
    "DB Latency": "slow query: SELECT took 9000ms; connection pool waiting",
    "Synthetic check": "chaos: nothing is really wrong",
}
TERMINAL_EVENTS = (IncidentResolved, IncidentRecovered, IncidentFailed)
TERMINAL = tuple(cls.name() for cls in TERMINAL_EVENTS)


async def deliver(nc, body: bytes, attempts: int = 20) -> dict:  # type: ignore[no-untyped-def]
    """Hand one alert to a gateway and wait for its answer; retried (the incident id makes it idempotent), so a
    gateway restarting or a NATS node failing over does not lose it the way a fire-and-forget publish would."""
    problem = "no answer"
    for attempt in range(attempts):
        try:
            reply = json.loads((await nc.request(INTAKE_ALERTS, body, timeout=5)).data)
            if "incident_id" in reply:  # the incident as stored (its own "error" field is the incident's)
                return reply
            problem = reply.get("error", "unexpected answer")  # e.g. the event store failing over: try again
        except (nats.errors.TimeoutError, nats.errors.NoRespondersError, nats.errors.ConnectionReconnectingError):
            problem = "no gateway answered"
        await asyncio.sleep(min(2.0, 0.1 * 2 ** attempt))
    raise RuntimeStartError(f"an alert was not accepted on intake.alerts after {attempts} attempts: {problem}")


async def reconcile(store: EventStore, sent: dict[str, float], done: dict[str, tuple[float, str]],
                    joined: dict[str, str]) -> None:
    """Terminal events this client did not see live (it reconnected meanwhile, or an alert joined an incident that
    had ended already) are read from the stream; a joined alert ends with its primary."""
    for iid in [i for i in sent if i not in done][:200]:
        for stored in reversed(await store.load(joined.get(iid, iid))):
            kind = stored.envelope.type.split(".")[1]
            if kind in TERMINAL:
                done[iid] = (time.perf_counter(), kind)  # latency unknown: counted as seen now
                break


async def run_chaos(nats_url: str, url: str, count: int, rate: float, via: str, targets: list[str],
                    types: list[str], timeout: float, headers: dict[str, str] | None = None,
                    credentials: str | None = None) -> int:
    """Send `count` alerts at `rate`/s; wait up to `timeout` s for all to be terminal; 0 if they all were."""
    run_id = uuid.uuid4().hex[:8]
    rng = random.Random(run_id)
    nc = await connect(nats_url, "aegis-chaos", credentials=credentials)
    sent: dict[str, float] = {}
    done: dict[str, tuple[float, str]] = {}
    joined: dict[str, str] = {}  # alert → the incident it joined (one outage, one incident)
    waiting: dict[str, list[str]] = {}  # primary → alerts that joined it

    def joined_to(iid: str, reply: dict) -> None:
        if reply.get("joined"):
            joined[iid] = reply["joined"]
            waiting.setdefault(reply["joined"], []).append(iid)

    async def on_terminal(msg) -> None:  # type: ignore[no-untyped-def]
        iid = msg.subject.split(".")[1]
        seen = (time.perf_counter(), msg.subject.rsplit(".", 1)[1])
        for alert in ([iid] if iid in sent else []) + waiting.get(iid, []):
            if alert not in done:
                done[alert] = seen

    subs = [await nc.subscribe(incident_subject(cls), cb=on_terminal) for cls in TERMINAL_EVENTS]
    client = httpx.AsyncClient(timeout=30, headers=headers or {})
    started = time.perf_counter()
    last_report = started
    deliveries: list[asyncio.Task[None]] = []
    try:
        for n in range(count):
            due = started + n / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            alert_type = rng.choice(types)
            iid = f"chaos-{run_id}-{n}"
            body = {"incident_id": iid, "alert_type": alert_type, "logs": ALERT_MIX.get(alert_type, "chaos alert"),
                    "container_name": rng.choice(targets) if targets else f"chaos-{run_id}-{n}",  # unrelated alerts
                    "severity": rng.choice(["CRITICAL", "WARNING", "INFO"])}
            sent[iid] = time.perf_counter()
            if via == "nats":
                async def handed(i: str = iid, b: bytes = json.dumps(body).encode()) -> None:
                    joined_to(i, await deliver(nc, b))
                deliveries.append(asyncio.create_task(handed()))
            else:
                response = await client.post(f"{url}/webhook", json=body)
                response.raise_for_status()
                joined_to(iid, response.json())
            if time.perf_counter() - last_report >= 1.0:
                last_report = time.perf_counter()
                print(f"  sent {n + 1}/{count}, terminal {len(done)}", file=sys.stderr, flush=True)
        await asyncio.gather(*deliveries)
        deadline = time.perf_counter() + timeout
        store = EventStore(nc, "aegis-chaos")
        while len(done) < count and time.perf_counter() < deadline:
            await asyncio.sleep(0.1)
            if time.perf_counter() - last_report >= 1.0:
                last_report = time.perf_counter()
                print(f"  terminal {len(done)}/{count}", file=sys.stderr, flush=True)
                await reconcile(store, sent, done, joined)
    finally:
        await client.aclose()
        for sub in subs:
            await sub.unsubscribe()
        await nc.close()
    elapsed = time.perf_counter() - started
    latencies = [(done[i][0] - sent[i]) * 1000 for i in done]
    outcomes = {k: sum(1 for _, o in done.values() if o == k) for k in TERMINAL}
    print(
        json.dumps(
            {
                "sent": count,
                "terminal": len(done),
                "lost": count - len(done),
                "joined": len(joined),
                "outcomes": outcomes,
                "elapsed_s": round(elapsed, 2),
                "p50_ms": round(percentile(latencies, 50), 1) if latencies else None,
                "p99_ms": round(percentile(latencies, 99), 1) if latencies else None,
                "via": via,
                "run": run_id,
            }
        )
    )
    return 0 if len(done) == count else 1
