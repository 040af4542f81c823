"""Prober at scale: `--targets` HTTP targets, each checked every second, from the one prober process.

nginx (the real one, one worker) answers every target's /health on one loopback port. `aegis up --services
gateway,prober` registers the targets from its config; the bench then listens to the prober's samples on
`samples.probes.>` for `--seconds` and reports how many checks ran per second, how late each check started
against its slot (`late_ms`, measured by the prober itself), and the prober's CPU (100% = one core) and RSS.

Usage: python -m bench.prober [--targets 2000] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aegis.harness import Platform
from bench.common import BENCH_LIMITS, free_port, percentile, report
from shared.jetstream import connect

NGINX_CONF = """worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  client_body_temp_path {work}/tmp; proxy_temp_path {work}/tmp; fastcgi_temp_path {work}/tmp;
  uwsgi_temp_path {work}/tmp; scgi_temp_path {work}/tmp;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{port};
    location = /health {{ default_type application/json; return 200 '{{"status":"UP"}}'; }}
  }}
}}
"""


def start_nginx(work: Path) -> tuple[subprocess.Popen, int]:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    port = free_port()
    (work / "tmp").mkdir(parents=True, exist_ok=True)
    conf = work / "nginx.conf"
    conf.write_text(NGINX_CONF.format(work=work, port=port))
    proc = subprocess.Popen([binary, "-c", str(conf), "-p", str(work), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5).status_code == 200:
                return proc, port
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("nginx did not answer")


def targets_config(count: int, port: int) -> str:
    """Config entries of `count` HTTP-probed process targets, all answered by the nginx on `port` (the executor
    is not running: they are watched, never restarted; each also gets the process exit watch)."""
    return "".join(f"""[[targets]]
name = "svc-{i:04d}"
port = {port}
command = ["/bin/true"]
health_url = "http://127.0.0.1:{port}/health"
probe = {{ kind = "http", interval = 1.0, timeout = 1.0 }}
""" for i in range(count))


async def listen(nats_url: str, seconds: float, credentials: str | None = None) -> list[dict]:
    """Every probe sample published during `seconds` (after a warm-up of 5 s once all targets report)."""
    nc = await connect(nats_url, "bench-prober", credentials=credentials)
    samples: list[dict] = []
    recording = False

    async def on_sample(msg) -> None:  # type: ignore[no-untyped-def]
        if recording:
            samples.append(json.loads(msg.data))

    sub = await nc.subscribe("samples.probes.>", cb=on_sample)
    await asyncio.sleep(5)  # every loop has started and reached its slot
    recording = True
    await asyncio.sleep(seconds)
    recording = False
    await sub.unsubscribe()
    await nc.close()
    return samples


def prober_process(platform: Platform) -> psutil.Process:
    return next(c for c in platform.children() if c.cmdline()[-1:] == ["services.prober"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--targets", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="aegis-bench-prober-"))
    nginx, port = start_nginx(work / "nginx")
    try:
        config = BENCH_LIMITS + 'services = ["gateway", "prober"]\n' + targets_config(args.targets, port)
        platform = Platform(work, demo=False, config=config, probes=True)
        try:
            prober = prober_process(platform)
            time.sleep(3)  # inventory registered, loops created
            before, started = prober.cpu_times(), time.monotonic()
            samples = asyncio.run(listen(platform.nats_url, args.seconds, platform.nats_credentials))
            after, elapsed = prober.cpu_times(), time.monotonic() - started
            cpu = (after.user + after.system - before.user - before.system) / elapsed * 100
            rss = round(prober.memory_info().rss / 1e6)
        finally:
            platform.stop()
    finally:
        nginx.terminate()
        nginx.wait(10)
    late = sorted(s.get("late_ms", 0.0) for s in samples)
    failed = sum(1 for s in samples if not s.get("ok"))
    reasons = Counter(s.get("detail", "")[:120] for s in samples if not s.get("ok")).most_common(3)
    step = max(1, len(late) // 3000)
    report({"bench": "prober", "targets": args.targets, "seconds": args.seconds, "checks": len(samples),
            "checks_per_s": round(len(samples) / args.seconds), "failed_checks": failed, "failure_reasons": reasons,
            "targets_seen": len({s["name"] for s in samples}),
            "late_p50_ms": round(percentile(late, 50), 1), "late_p99_ms": round(percentile(late, 99), 1),
            "late_max_ms": round(late[-1], 1) if late else None, "cpu_percent": round(cpu), "rss_mb": rss,
            "samples": {f"{args.targets} targets": late[::step]}})


if __name__ == "__main__":
    main()
