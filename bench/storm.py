"""Storm bench: thousands of alerts about a few dozen targets, mixed across POST /webhook, Alertmanager v4 batches
and NATS intake (intake.alerts), through `aegis up` with its prober on.

Some targets are real processes and a few of those are killed before the storm (down for real); the rest are names
in the alerts only. Reports how many incidents the storm made (want: one per target), how many actions ran (want: at
most one per target), whether every posted alert is accounted for (an incident, joined to one, or silenced), intake
latency, how long until every alert has its answer and every incident is terminal, and gateway and NATS RSS.

Usage: python -m bench.storm [--alerts 10000] [--seconds 10] [--targets 50] [--real 10] [--down 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psutil

from aegis.harness import Platform
from bench.common import BENCH_LIMITS, free_port, percentile, report
from shared.events.incident import INCIDENTS_STREAM
from shared.inspection import pids_listening_on
from shared.jetstream import connect

ALERT_NAMES = ("TargetDown", "Health check failing", "HTTP 5xx rate high", "Latency SLO burn")


def targets_config(real: list[tuple[str, int]]) -> str:
    lines = [BENCH_LIMITS]
    for name, port in real:
        lines += ["[[targets]]", f'name = "{name}"', f"port = {port}",
                  f'command = ["{sys.executable}", "-m", "aegis.demo.calculator", "addition", "--port", "{port}"]',
                  f'health_url = "http://127.0.0.1:{port}/health"',
                  'probe = { kind = "http", interval = 0.5 }', ""]
    return "\n".join(lines)


def alert(i: int, target: str, tag: str) -> dict:
    return {"incident_id": f"storm-{tag}-{i:05d}", "alert_type": ALERT_NAMES[i % len(ALERT_NAMES)],
            "severity": "CRITICAL", "logs": f"{target}: GET /health: connection refused", "container_name": target}


def alertmanager(batch: list[dict]) -> dict:
    return {"version": "4", "status": "firing", "receiver": "aegis", "groupLabels": {}, "commonLabels": {},
            "alerts": [{"status": "firing", "labels": {"alertname": a["alert_type"], "container": a["container_name"],
                                                       "severity": "critical"},
                        "annotations": {"summary": a["logs"]}, "startsAt": "2026-11-30T12:00:00Z",
                        "fingerprint": fingerprint(a)} for a in batch]}


def fingerprint(a: dict) -> str:
    return "fp" + a["incident_id"].replace("storm-", "").replace("-", "")


def alertmanager_id(a: dict) -> str:
    """The id the gateway gives an Alertmanager alert (services/gateway/alertmanager.py)."""
    return f"am-{fingerprint(a)}-20261130T12000"


async def storm(platform: Platform, names: list[str], total: int, seconds: float) -> dict:
    tag = uuid.uuid4().hex[:6]
    alerts = [alert(i, names[i % len(names)], tag) for i in range(total)]
    latencies: list[float] = []
    errors: list[str] = []
    ids: list[str] = []
    nc = await connect(platform.nats_url, "bench-storm", credentials=platform.nats_credentials)
    limits = httpx.Limits(max_connections=300, max_keepalive_connections=300)
    async with httpx.AsyncClient(timeout=60, limits=limits, headers=platform.auth) as client:
        async def one(kind: str, batch: list[dict]) -> None:
            started = time.perf_counter()
            try:
                if kind == "webhook":
                    r = await client.post(f"{platform.url}/webhook", json=batch[0])
                    ok = r.status_code == 200
                elif kind == "alertmanager":
                    r = await client.post(f"{platform.url}/webhook", json=alertmanager(batch))
                    ok = r.status_code == 200
                else:
                    reply = await nc.request("intake.alerts", json.dumps(batch[0]).encode(), timeout=60)
                    ok = "incident_id" in json.loads(reply.data)  # else {"error": reason}
                if not ok:
                    errors.append(f"{kind}: refused")
            except Exception as exc:  # noqa: BLE001 - counted, the storm goes on
                errors.append(f"{kind}: {type(exc).__name__}")
            latencies.append((time.perf_counter() - started) * 1000)

        tasks, start, i = [], time.perf_counter(), 0
        while i < total:
            kind = ("webhook", "alertmanager", "nats")[i % 3]
            size = 10 if kind == "alertmanager" else 1
            batch = alerts[i:i + size]
            ids += [a["incident_id"] if kind != "alertmanager" else alertmanager_id(a) for a in batch]
            delay = start + seconds * i / total - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(kind, batch)))
            i += size
        await asyncio.gather(*tasks)
        intake_done = time.perf_counter() - start
        states: dict[str, dict] = {}
        deadline = time.monotonic() + 120
        absorbed = None
        while time.monotonic() < deadline:
            listing = []
            for offset in range(0, total + 2000, 1000):
                page = (await client.get(f"{platform.url}/incidents", params={"limit": 1000, "offset": offset})).json()
                listing += page
                if len(page) < 1000:
                    break
            states = {i["incident_id"]: i for i in listing}
            primaries = [s for s in states.values() if not s["joined"] and not s["silenced"]
                         and s["incident_id"].startswith(("storm", "am-fp", "probe"))]
            if all(i in states for i in ids) and all(s["status"] in ("RESOLVED", "FAILED") for s in primaries):
                absorbed = time.perf_counter() - start
                break
            await asyncio.sleep(0.5)
        info = await nc.jetstream().stream_info(INCIDENTS_STREAM)
        started_actions = 0
        by_target: dict[str, int] = {}
        for state in states.values():
            if state["joined"] or state["silenced"]:
                continue
            for line in state["timeline"]:
                if line["status"] in ("EXECUTING", "SCALING"):
                    started_actions += 1
                    by_target[state.get("container_name") or "?"] = by_target.get(state.get("container_name")
                                                                                  or "?", 0) + 1
        await nc.close()
    primaries = [s for s in states.values() if not s["joined"] and not s["silenced"]]
    real_detail = {s["incident_id"]: [s.get("container_name"), s["status"], (s.get("analysis") or {}).get("action"),
                                      (s.get("error") or "")[:100]]
                   for s in primaries if (s.get("container_name") or "").startswith("storm-real")}
    storm_primaries = [s for s in primaries if s.get("container_name") in names]
    return {
        "alerts": total, "alerts_posted_ids": len(ids), "targets": len(names),
        "accounted": sum(1 for i in ids if i in states), "unaccounted": sum(1 for i in ids if i not in states),
        "joined": sum(1 for i in ids if states.get(i, {}).get("joined")),
        "incidents": len(storm_primaries), "incidents_per_target_max": max(
            (sum(1 for s in storm_primaries if s["container_name"] == n) for n in names), default=0),
        "actions": started_actions, "actions_per_target_max": max(by_target.values(), default=0),
        "intake_errors": len(errors), "intake_error_kinds": sorted(set(errors))[:5],
        "intake_p50_ms": round(percentile(sorted(latencies), 50), 1),
        "intake_p99_ms": round(percentile(sorted(latencies), 99), 1),
        "intake_seconds": round(intake_done, 2), "absorbed_seconds": round(absorbed, 2) if absorbed else None,
        "incidents_stream_messages": info.state.messages, "real_target_incidents": real_detail,
        "samples": {"intake request": [round(v, 2) for v in sorted(latencies)[::max(1, len(latencies) // 2000)]]},
    }


def rss(platform: Platform) -> dict[str, int]:
    out = {}
    for child in platform.children():
        try:
            cmd = child.cmdline()
            name = cmd[-1].removeprefix("services.") if "-m" in cmd else child.name()
            if name in ("gateway", "nats-server"):
                out[name] = round(child.memory_info().rss / 1e6)
        except psutil.Error:
            continue
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--targets", type=int, default=50)
    parser.add_argument("--real", type=int, default=10, help="targets that are real processes")
    parser.add_argument("--down", type=int, default=5, help="real targets killed before the storm")
    args = parser.parse_args()
    real = [(f"storm-real-{n}", free_port()) for n in range(args.real)]
    names = [n for n, _ in real] + [f"storm-name-{n}" for n in range(args.targets - args.real)]
    tmp = Path(tempfile.mkdtemp(prefix="aegis-bench-storm-"))
    for _, port in real:  # the user's services, running before AegisOps starts watching them
        subprocess.Popen([sys.executable, "-m", "aegis.demo.calculator", "addition", "--port", str(port)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(pids_listening_on(p) for _, p in real):
        time.sleep(0.2)
    platform = Platform(tmp, demo=False, config=targets_config(real), probes=True)
    try:
        time.sleep(3)  # the prober sees every real target up once
        for _, port in real[:args.down]:
            for pid in pids_listening_on(port):
                os.kill(pid, signal.SIGKILL)
        result = asyncio.run(storm(platform, names, args.alerts, args.seconds))
        result["down_for_real"] = args.down
        result["down_serving_again"] = sum(1 for _, p in real[:args.down] if pids_listening_on(p))
        result["rss_mb"] = rss(platform)
    finally:
        platform.stop()
        for _, port in real:
            for pid in pids_listening_on(port):
                os.kill(pid, signal.SIGKILL)
    report(result)


if __name__ == "__main__":
    main()
