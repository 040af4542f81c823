"""Pipeline bench: webhook → RESOLVED latency (NOOP action) through every service started by `aegis up`.

Phase 1 offers 20 incidents/s and reports p50/p99 latency. Phase 2 steps the offered rate up and reports the
highest rate at which every incident resolved (zero lost) and resolutions kept pace with intake.

Usage: python bench/pipeline.py [--seconds 15] [--rates 50,100,200,300,400]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aegis.harness import Platform
from bench.common import BENCH_LIMITS, percentile, report

NOOP_ALERT = {"alert_type": "Synthetic check", "logs": "bench: nothing is wrong", "severity": "INFO"}


class Watcher:
    """Listens on /ws and records when each incident resolved (or failed)."""

    def __init__(self, ws_url: str) -> None:
        self.url = ws_url
        self.done: dict[str, tuple[float, str]] = {}
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        ready = asyncio.Event()
        self.task = asyncio.create_task(self._run(ready))
        await ready.wait()

    async def _run(self, ready: asyncio.Event) -> None:
        async with websockets.connect(self.url, max_queue=None) as ws:
            await ws.recv()  # heartbeat
            ready.set()
            async for text in ws:
                frame = json.loads(text)
                if frame["type"] in ("resolved", "failed"):
                    self.done[frame["incident_id"]] = (time.perf_counter(), frame["type"])


async def offer(client: httpx.AsyncClient, url: str, rate: float, seconds: float, prefix: str) -> dict[str, float]:
    """POST incidents at `rate`/s for `seconds`; returns send times by incident id."""
    sent: dict[str, float] = {}
    tasks = []
    start = time.perf_counter()
    total = int(rate * seconds)

    async def post(incident_id: str) -> None:
        sent[incident_id] = time.perf_counter()
        response = await client.post(f"{url}/webhook", json={"incident_id": incident_id, **NOOP_ALERT})
        response.raise_for_status()

    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(post(f"{prefix}-{i}")))
    await asyncio.gather(*tasks)
    return sent


async def wait_all(watcher: Watcher, ids: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not all(i in watcher.done for i in ids):
        await asyncio.sleep(0.05)


def per_service(platform: Platform, read) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """`read(process)` for every process `aegis up` runs, by service name (nats-server by its own name)."""
    out = {}
    for child in platform.children():
        try:
            cmd = child.cmdline()
            name = cmd[-1].removeprefix("services.") if "-m" in cmd else child.name()
            out[name] = read(child)
        except Exception:  # noqa: BLE001 - a process may exit while we look
            continue
    return out


def cpu_seconds(platform: Platform) -> dict[str, float]:
    """CPU time (user + system) so far of every process, by service name."""
    return per_service(platform, lambda p: sum(p.cpu_times()[:2]))


def cpu_per_incident(before: dict[str, float], after: dict[str, float], incidents: int) -> dict[str, float]:
    """Milliseconds of CPU each process spent per incident between two readings."""
    return {k: round((after[k] - before[k]) / incidents * 1000, 2) for k in after if k in before and incidents}


async def run(platform: Platform, seconds: float, rates: list[int]) -> dict:
    url = platform.url
    watcher = Watcher(platform.ws_url)  # signed in with the admin key, like every client
    await watcher.start()
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=30, limits=limits, headers=platform.auth) as client:
        # warm-up: the measured run starts once these are resolved, i.e. once every service consumes (the analyst
        # builds its casebook, ~5 s with 664 references, before it takes its first incident)
        warm = await offer(client, url, 5, 1, f"warm-{uuid.uuid4().hex[:6]}")
        await wait_all(watcher, list(warm), 60)
        sent = await offer(client, url, 20, seconds, f"p20-{uuid.uuid4().hex[:6]}")
        await wait_all(watcher, list(sent), 30)
        lat = [(watcher.done[i][0] - t) * 1000 for i, t in sent.items() if i in watcher.done]
        resolved = sum(1 for i in sent if watcher.done.get(i, (0, ""))[1] == "resolved")
        result: dict = {"bench": "pipeline", "rate_20_incidents": len(sent), "rate_20_resolved": resolved,
                        "samples": {"20 incidents/s": [round(v, 2) for v in lat]},
                        "p50_ms": round(percentile(lat, 50), 1), "p99_ms": round(percentile(lat, 99), 1),
                        "max_ms": round(max(lat), 1) if lat else None, "steps": []}
        print(f"20/s: {resolved}/{len(sent)} resolved, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms",
              file=sys.stderr)
        best = 0
        for rate in rates:
            cpu_before, own_before = cpu_seconds(platform), time.process_time()
            sent = await offer(client, url, rate, seconds, f"r{rate}-{uuid.uuid4().hex[:6]}")
            await wait_all(watcher, list(sent), 60)
            cpu = cpu_per_incident(cpu_before, cpu_seconds(platform), len(sent))
            cpu["load generator"] = round((time.process_time() - own_before) / len(sent) * 1000, 2)
            ok = [i for i in sent if watcher.done.get(i, (0, ""))[1] == "resolved"]
            lost = len(sent) - len(ok)
            first = min(sent.values())
            last_done = max(watcher.done[i][0] for i in ok) if ok else first
            achieved = len(ok) / (last_done - first) if ok else 0.0
            lat = sorted((watcher.done[i][0] - sent[i]) * 1000 for i in ok)
            step = {"offered_per_s": rate, "incidents": len(sent), "lost": lost,
                    "achieved_per_s": round(achieved, 1), "p50_ms": round(percentile(lat, 50), 1),
                    "p99_ms": round(percentile(lat, 99), 1), "cpu_ms_per_incident": cpu,
                    "cpu_ms_per_incident_total": round(sum(cpu.values()), 1),
                    "cpu_bound_per_s": round((os.cpu_count() or 1) * 1000 / sum(cpu.values()))}
            result["steps"].append(step)
            print(f"{rate}/s: {step}", file=sys.stderr)
            result["max_achieved_per_s"] = max(result.get("max_achieved_per_s", 0), step["achieved_per_s"])
            if lost == 0 and achieved >= 0.95 * rate:
                best = rate
            else:
                break
        result["max_sustained_per_s"] = best
    watcher.task.cancel()  # type: ignore[union-attr]
    return result


def service_rss(platform: Platform) -> dict[str, int]:
    """Resident memory of every process `aegis up` runs, by service name, after the load."""
    return per_service(platform, lambda p: round(p.memory_info().rss / 1e6))  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rates", default="50,100,200,300,400")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="aegis-bench-pipeline-"))
    platform = Platform(tmp, demo=False, config=BENCH_LIMITS)
    try:
        result = asyncio.run(run(platform, args.seconds, [int(r) for r in args.rates.split(",")]))
        result["rss_mb"] = service_rss(platform)
    finally:
        platform.stop()
    report(result)


if __name__ == "__main__":
    main()
