"""WebSocket fan-out: N clients on /ws while incidents flow at each of several rates; lag = frame received − frame
timestamp (server clock, same machine). Every client must see every frame of a step (`clients_missing_frames`
counts those that did not)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from aegis.harness import Platform
from bench.common import BENCH_LIMITS, percentile, report

NOOP_ALERT = {"alert_type": "Synthetic check", "logs": "nothing is wrong", "container_name": "bench-ws"}


async def client(url: str, lags: dict[str, list[float]], seen: dict[tuple[str, int], int], index: int,
                 ready: asyncio.Event, connected: list[int], total: int, stop: asyncio.Event) -> None:
    async with websockets.connect(url, max_queue=None, open_timeout=60) as ws:
        await ws.recv()  # heartbeat
        connected.append(index)
        if len(connected) == total:
            ready.set()
        while not stop.is_set():
            try:
                text = await asyncio.wait_for(ws.recv(), 1.0)
            except TimeoutError:
                continue
            received = time.time()
            frame = json.loads(text)
            prefix = (frame.get("incident_id") or "").rpartition("-")[0]
            if prefix in lags:
                sent = datetime.fromisoformat(frame["timestamp"].replace("Z", "+00:00")).timestamp()
                lags[prefix].append((received - sent) * 1000)
                seen[prefix, index] = seen.get((prefix, index), 0) + 1


async def offer(platform: Platform, prefix: str, rate: float, seconds: float) -> int:
    """Webhooks at `rate`/s for `seconds`; returns how many were accepted."""
    async with httpx.AsyncClient(timeout=30, headers=platform.auth) as http:
        start = time.perf_counter()
        n = 0
        while time.perf_counter() - start < seconds:
            due = start + n / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            (await http.post(f"{platform.url}/webhook", json={"incident_id": f"{prefix}-{n}", **NOOP_ALERT})
             ).raise_for_status()
            n += 1
    return n


async def quiet(received: list[float], calm: float = 2.0, limit: float = 120.0) -> None:
    """Return once no frame of this step has arrived for `calm` seconds (or after `limit`)."""
    deadline = time.monotonic() + limit
    seen, since = len(received), time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.25)
        if len(received) != seen:
            seen, since = len(received), time.monotonic()
        elif time.monotonic() - since >= calm:
            return


def thin(values: list[float], limit: int = 3000) -> list[float]:
    """At most `limit` values, evenly picked from the sorted list (enough for a CDF)."""
    ordered = sorted(values)
    step = max(1, len(ordered) // limit)
    return [round(v, 2) for v in ordered[::step]]


async def run(platform: Platform, clients: int, rates: list[float], seconds: float) -> dict:
    run_id = uuid.uuid4().hex[:6]
    prefixes = {rate: f"ws{run_id}r{str(rate).replace('.', '_')}" for rate in rates}
    lags: dict[str, list[float]] = {p: [] for p in prefixes.values()}
    seen: dict[tuple[str, int], int] = {}
    ready, stop = asyncio.Event(), asyncio.Event()
    connected: list[int] = []
    tasks = [asyncio.create_task(client(platform.ws_url, lags, seen, i, ready, connected, clients, stop))
             for i in range(clients)]
    await asyncio.wait_for(ready.wait(), 120)
    result: dict = {"bench": "websocket", "clients": clients, "rates": {}, "samples": {},
                    "clients_missing_frames": 0}
    for rate, prefix in prefixes.items():
        started = time.perf_counter()
        n = await offer(platform, prefix, rate, seconds)
        await quiet(lags[prefix])  # the last incidents finish and their frames reach every client
        elapsed = time.perf_counter() - started
        per_client = [seen.get((prefix, i), 0) for i in range(clients)]
        expected = max(per_client) if per_client else 0
        missing = sum(1 for c in per_client if c < expected)
        values = sorted(lags[prefix])
        label = f"{rate:g}"
        result["rates"][label] = {
            "incidents": n, "frames_per_client": expected, "frames_total": len(values),
            "frames_per_s": round(len(values) / elapsed), "clients_missing_frames": missing,
            "lag_p50_ms": round(percentile(values, 50), 1), "lag_p99_ms": round(percentile(values, 99), 1),
            "lag_max_ms": round(max(values), 1) if values else None}
        result["samples"][f"{label} incident(s)/s"] = thin(values)
        result["clients_missing_frames"] += missing
        print(f"{rate}/s: {result['rates'][label]}", file=sys.stderr, flush=True)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--rates", default="1,2,5,20", help="incidents per second, one step each")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    platform = Platform(Path(tempfile.mkdtemp(prefix="aegis-bench-ws-")), demo=False, config=BENCH_LIMITS)
    try:
        result = asyncio.run(run(platform, args.clients, [float(r) for r in args.rates.split(",")], args.seconds))
    finally:
        platform.stop()
    report(result)


if __name__ == "__main__":
    main()
