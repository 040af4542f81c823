"""WebSocket fan-out: N clients on /ws while incidents flow; lag = frame received − frame timestamp (server clock,
same machine). Every client must see every frame of the run (`missing` counts those it did not)."""

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
from bench.common import percentile, report  # noqa: E402
from bench.common import BENCH_LIMITS  # noqa: E402
from tests.platform import Platform  # noqa: E402

NOOP_ALERT = {"alert_type": "Synthetic check", "logs": "nothing is wrong", "container_name": "bench-ws"}


async def client(url: str, prefix: str, lags: list[float], seen: dict[int, int], index: int,
                 ready: asyncio.Event, connected: list[int], total: int, stop: asyncio.Event) -> None:
    async with websockets.connect(url, max_queue=None, open_timeout=60) as ws:
        await ws.recv()  # heartbeat
        connected.append(index)
        if len(connected) == total:
            ready.set()
        while not stop.is_set():
            try:
                text = await asyncio.wait_for(ws.recv(), 1.0)
            except asyncio.TimeoutError:
                continue
            received = time.time()
            frame = json.loads(text)
            if (frame.get("incident_id") or "").startswith(prefix):
                sent = datetime.fromisoformat(frame["timestamp"].replace("Z", "+00:00")).timestamp()
                lags.append((received - sent) * 1000)
                seen[index] = seen.get(index, 0) + 1


async def run(platform: Platform, clients: int, rate: float, seconds: float) -> dict:
    prefix = f"ws-{uuid.uuid4().hex[:6]}"
    lags: list[float] = []
    seen: dict[int, int] = {}
    ready, stop = asyncio.Event(), asyncio.Event()
    connected: list[int] = []
    tasks = [asyncio.create_task(client(platform.ws_url, prefix, lags, seen, i, ready, connected, clients, stop))
             for i in range(clients)]
    await asyncio.wait_for(ready.wait(), 120)
    async with httpx.AsyncClient(timeout=30, headers=platform.auth) as http:
        start = time.perf_counter()
        n = 0
        while time.perf_counter() - start < seconds:
            due = start + n / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            (await http.post(f"{platform.url}/webhook", json={"incident_id": f"{prefix}-{n}", **NOOP_ALERT})
             ).raise_for_status()
            n += 1
    await asyncio.sleep(5)  # let the last incidents finish and their frames arrive
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    per_client = [seen.get(i, 0) for i in range(clients)]
    expected = max(per_client) if per_client else 0
    return {"bench": "websocket", "clients": clients, "incidents": n, "frames_per_client": expected,
            "frames_total": len(lags), "clients_missing_frames": sum(1 for c in per_client if c < expected),
            "lag_p50_ms": round(percentile(sorted(lags), 50), 1), "lag_p99_ms": round(percentile(sorted(lags), 99), 1),
            "lag_max_ms": round(max(lags), 1) if lags else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--rate", type=float, default=20.0, help="incidents per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    platform = Platform(Path(tempfile.mkdtemp(prefix="aegis-bench-ws-")), demo=False, config=BENCH_LIMITS)
    try:
        result = asyncio.run(run(platform, args.clients, args.rate, args.seconds))
    finally:
        platform.stop()
    report(result)


if __name__ == "__main__":
    main()
