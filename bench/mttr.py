"""MTTR: a process target SIGKILLed → serving again, for AegisOps beside supervisord and Monit in the same run.

The same demo service (`python -m aegis.demo.calculator addition`) is run three ways and killed `--runs` times
each. For every kill: seconds until its port answers /health again ("back"), and for AegisOps also until the
incident is RESOLVED — the action verified healthy and recorded ("resolved"). AegisOps detects the exit with the
prober's process watch (no polling interval), restarts through analysis, council and executor, then verifies.
supervisord restarts its own child (autorestart); Monit polls every second (`set daemon 1`, the smallest).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import free_port, report
from shared.stats import percentile

PY = sys.executable
CALC = [PY, "-m", "aegis.demo.calculator", "addition", "--port"]


def healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.2).status_code == 200
    except httpx.HTTPError:
        return False


def wait(check, timeout: float, step: float = 0.005) -> float:  # type: ignore[no-untyped-def]
    """Seconds until `check()` is true (raises after `timeout`)."""
    start = time.perf_counter()
    while not check():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("condition not reached")
        time.sleep(step)
    return time.perf_counter() - start


def pid_on(port: int) -> int:
    out = subprocess.run(["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True).stdout
    return int(out.split("pid=")[1].split(",")[0])


def kill_and_time(port: int, timeout: float = 30.0) -> float:
    wait(lambda: healthy(port), timeout)
    os.kill(pid_on(port), signal.SIGKILL)
    wait(lambda: not healthy(port), 5.0, 0.001)
    killed = time.perf_counter()
    wait(lambda: healthy(port), timeout)
    return time.perf_counter() - killed


def summary(values: list[float]) -> dict:
    ms = sorted(v * 1000 for v in values)
    return {"median_ms": round(percentile(ms, 50), 1), "p90_ms": round(percentile(ms, 90), 1),
            "min_ms": round(ms[0], 1), "max_ms": round(ms[-1], 1), "runs": len(ms)}


def bench_supervisord(work: Path, runs: int) -> dict:
    binary = shutil.which("supervisord")
    if binary is None:
        return {"error": "supervisord not installed (Debian package supervisor)"}
    port = free_port()
    conf = work / "supervisord.conf"
    conf.write_text(f"""[supervisord]
nodaemon=true
logfile={work}/supervisord.log
pidfile={work}/supervisord.pid
[unix_http_server]
file={work}/supervisor.sock
[program:calc]
command={' '.join(CALC)} {port}
autorestart=true
startsecs=0
startretries=1000
""")
    proc = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return summary([kill_and_time(port) for _ in range(runs)])
    finally:
        proc.terminate()
        proc.wait(10)


def bench_monit(work: Path, runs: int) -> dict:
    binary = shutil.which("monit")
    if binary is None:
        return {"error": "monit not installed (Debian package monit)"}
    port = free_port()
    pidfile = work / "calc.pid"
    start = work / "start-calc.sh"
    start.write_text(f"#!/bin/sh\n{' '.join(CALC)} {port} >/dev/null 2>&1 &\necho $! > {pidfile}\n")
    start.chmod(0o755)
    rc = work / "monitrc"
    rc.write_text(f"""set daemon 1
set logfile {work}/monit.log
set idfile {work}/monit.id
set statefile {work}/monit.state
check process calc with pidfile {pidfile}
  start program = "{start}"
  stop program = "/bin/kill $MONIT_PROCESS_PID"
""")
    rc.chmod(0o600)
    proc = subprocess.Popen([binary, "-I", "-c", str(rc)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return summary([kill_and_time(port) for _ in range(runs)])
    finally:
        proc.terminate()
        proc.wait(10)
        if pidfile.exists():
            try:
                os.kill(int(pidfile.read_text()), signal.SIGKILL)
            except (ValueError, ProcessLookupError):
                pass


def bench_aegis(work: Path, runs: int) -> dict:
    port, gw, nats = free_port(), free_port(), free_port()
    (work / "policy.toml").write_text("[restart_budget]\nmax = 1000\nwindow_minutes = 1\n")
    (work / "aegis.toml").write_text(f"""policy_file = "{work / 'policy.toml'}"
flap_limit = 1000
[[targets]]
name = "mttr-api"
port = {port}
command = {CALC + [str(port)]!r}
health_url = "http://127.0.0.1:{port}/health"
probe = {{ kind = "http", interval = 1.0, failure_threshold = 1 }}
""".replace("'", '"'))
    subprocess.Popen(CALC + [str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True)
    data = work / "aegis-data"
    up = subprocess.Popen([PY, "-m", "aegis.cli", "up", "--config", str(work / "aegis.toml"), "--data-dir", str(data),
                           "--port", str(gw), "--nats-port", str(nats)], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{gw}"
    try:
        wait(lambda: (data / "admin.key").exists() and _ok(f"{base}/health"), 60, 0.05)
        headers = {"X-API-Key": (data / "admin.key").read_text().strip()}
        back, resolved = [], []
        for _ in range(runs):
            before = {i["incident_id"] for i in httpx.get(f"{base}/incidents", headers=headers).json()}
            wait(lambda: healthy(port), 30)
            os.kill(pid_on(port), signal.SIGKILL)
            killed = time.perf_counter()
            wait(lambda: healthy(port), 30)
            back.append(time.perf_counter() - killed)

            def done() -> bool:
                new = [i for i in httpx.get(f"{base}/incidents", headers=headers).json()
                       if i["incident_id"] not in before and i["status"] in ("RESOLVED", "FAILED")]
                return bool(new)
            wait(done, 30, 0.002)
            resolved.append(time.perf_counter() - killed)
            time.sleep(1.5)  # the prober sees the target healthy again before the next kill
        return {"back": summary(back), "resolved": summary(resolved)}
    finally:
        up.send_signal(signal.SIGINT)
        up.wait(60)
        try:
            os.kill(pid_on(port), signal.SIGTERM)
        except (IndexError, ProcessLookupError):
            pass


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="aegis-mttr-"))
    result = {"runs": args.runs}
    for name, bench in (("aegisops", bench_aegis), ("supervisord", bench_supervisord), ("monit", bench_monit)):
        (work / name).mkdir()
        print(f"bench {name}…", file=sys.stderr, flush=True)
        result[name] = bench(work / name, args.runs)
    report(result)


if __name__ == "__main__":
    main()
