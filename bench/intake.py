"""Webhook intake: how many Core API contract webhooks one gateway process accepts per second, and their latency.

`aegis up --services gateway` (the embedded nats-server and the gateway only, so the downstream services do not
compete for the two cores) with auth on; wrk (C, one thread) POSTs new incidents over `--connections` keep-alive
connections as fast as they are answered. Every request is a new incident id: the gateway validates it, authorises
the key, appends `incident.received.v1` with its concurrency check, waits for JetStream's ack and for its own
read model, appends the audit event, and answers. Afterwards the bench counts the incidents in the stream.

Usage: python -m bench.intake [--seconds 10] [--connections 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aegis.harness import Platform
from bench.common import BENCH_LIMITS, report
from shared.events.incident import INCIDENTS_STREAM
from shared.jetstream import connect

# wrk's Lua: a new incident id per request; the summary and latency percentiles as JSON at the end.
WRK_SCRIPT = """
local counter = 0
local prefix = "%(prefix)s"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = "%(key)s"
request = function()
  counter = counter + 1
  local body = string.format('{"incident_id":"%%s-%%d-%%d","alert_type":"Synthetic check",' ..
    '"logs":"bench: nothing is wrong","severity":"INFO"}', prefix, math.random(1, 1000000000), counter)
  return wrk.format(nil, "/webhook", nil, body)
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  local out = string.format('{"requests":%%d,"duration_us":%%d,"non_2xx":%%d,"socket_errors":%%d,' ..
    '"p50_us":%%d,"p90_us":%%d,"p99_us":%%d,"max_us":%%d,"samples_us":[',
    summary.requests, summary.duration, summary.errors.status, errors,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max)
  local parts = {}
  for p = 1, 999 do parts[#parts + 1] = string.format("%%d", latency:percentile(p / 10)) end
  io.write("WRK_JSON " .. out .. table.concat(parts, ",") .. "]}\\n")
end
"""


async def stored_incidents(nats_url: str, prefix: str, credentials: str | None = None) -> int:
    """Incidents of this run in the stream: one `received` subject each."""
    nc = await connect(nats_url, "bench-intake", credentials=credentials)
    try:
        info = await nc.jetstream().stream_info(INCIDENTS_STREAM, subjects_filter="incidents.*.received")
        return sum(1 for subject in info.state.subjects or {} if subject.startswith(f"incidents.{prefix}-"))
    finally:
        await nc.close()


def run_wrk(url: str, key: str, prefix: str, seconds: float, connections: int, work: Path) -> dict:
    script = work / "intake.lua"
    script.write_text(WRK_SCRIPT % {"prefix": prefix, "key": key})
    proc = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s", "-s", str(script),
                           url], capture_output=True, text=True, timeout=seconds + 60)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary: {proc.stdout[-500:]} {proc.stderr[-500:]}")
    return json.loads(line.removeprefix("WRK_JSON "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian package wrk; scripts/debian-packages.sh installs it)")
    work = Path(tempfile.mkdtemp(prefix="aegis-bench-intake-"))
    platform = Platform(work, demo=False, config=BENCH_LIMITS + 'services = ["gateway"]\n')
    prefix = f"in{uuid.uuid4().hex[:6]}"
    try:
        run_wrk(platform.url, platform.api_key, f"warm{prefix}", 2, 4, work)  # connections, caches, JIT-free warmup
        w = run_wrk(platform.url, platform.api_key, prefix, args.seconds, args.connections, work)
        stored = asyncio.run(stored_incidents(platform.nats_url, prefix, platform.nats_credentials))
        gateway_rss = {c.cmdline()[-1]: round(c.memory_info().rss / 1e6) for c in platform.children()
                       if "services.gateway" in c.cmdline()}
    finally:
        platform.stop()
    seconds = w["duration_us"] / 1e6
    ok = w["requests"] - w["non_2xx"]
    report({"bench": "intake", "connections": args.connections, "requests": w["requests"],
            "accepted_per_s": round(ok / seconds), "errors": w["non_2xx"] + w["socket_errors"],
            "incidents_stored": stored, "p50_ms": round(w["p50_us"] / 1000, 2), "p90_ms": round(w["p90_us"] / 1000, 2),
            "p99_ms": round(w["p99_us"] / 1000, 2), "max_ms": round(w["max_us"] / 1000, 2),
            "gateway_rss_mb": gateway_rss.get("services.gateway"),
            "samples": {f"{args.connections} connections": [round(v / 1000, 3) for v in w["samples_us"]]}})


if __name__ == "__main__":
    main()
