"""MTTR: a process target SIGKILLed (or hung) → serving again, for AegisOps beside supervisord, Monit and the
monitor contract's loop in the same run.

The same demo service (`python -m aegis.demo.calculator addition`) is run three ways and killed `--runs` times
each. For every kill: seconds until its port answers /health again ("back"), and for AegisOps also until the
incident is RESOLVED — the action verified healthy and recorded ("resolved"). AegisOps detects the exit with the
prober's process watch (no polling interval), restarts through analysis, council and executor, then verifies.
supervisord restarts its own child (autorestart); Monit polls every second (`set daemon 1`, the smallest).

Hung: the process is SIGSTOPped — alive, port open, answering nothing. AegisOps (HTTP probe every 0.25 s, 0.25 s
timeout, 2 failures) and Monit (HTTP check each 1 s cycle) are measured; supervisord has no health checks and
never notices. The monitor contract's loop (15 s checks, 30 s restart delay) is measured over `--seed-runs` kills.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
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


def kill_and_time(port: int, timeout: float = 30.0, hang: bool = False, settle: float = 2.5) -> float:
    """SIGKILL (or SIGSTOP) the process serving `port`; seconds until a process serves it again."""
    wait(lambda: healthy(port), timeout)
    if hang:
        time.sleep(settle)  # Monit skips connection tests while a process is within its start timeout
    os.kill(pid_on(port), signal.SIGSTOP if hang else signal.SIGKILL)
    if not hang:
        wait(lambda: not healthy(port), 5.0, 0.001)
    killed = time.perf_counter()
    wait(lambda: healthy(port), timeout)
    return time.perf_counter() - killed


def summary(values: list[float]) -> dict:
    ms = sorted(v * 1000 for v in values)
    return {"median_ms": round(percentile(ms, 50), 1), "p90_ms": round(percentile(ms, 90), 1),
            "min_ms": round(ms[0], 1), "max_ms": round(ms[-1], 1), "runs": len(ms),
            "values_ms": [round(v, 1) for v in ms]}


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


def bench_monit(work: Path, runs: int, hang: bool = False) -> dict:
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
  start program = "{start}" with timeout 2 seconds
  stop program = "/bin/sh -c 'kill -TERM $MONIT_PROCESS_PID; kill -CONT $MONIT_PROCESS_PID'"
  if failed host 127.0.0.1 port {port} protocol http request "/health" with timeout 1 seconds then restart
""")
    rc.chmod(0o600)
    proc = subprocess.Popen([binary, "-I", "-c", str(rc)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return summary([kill_and_time(port, hang=hang) for _ in range(runs)])
    finally:
        proc.terminate()
        proc.wait(10)
        if pidfile.exists():
            try:
                os.kill(int(pidfile.read_text()), signal.SIGKILL)
            except (ValueError, ProcessLookupError):
                pass


SEED000 = {"check_interval": 15, "restart_delay": 30, "health_check_attempts": 10, "health_check_wait": 3,
           "health_check_timeout": 5}  # the monitor contract's MONITORING_CONFIG


def seed000_loop(port: int, stop: threading.Event, detected: list[float], config: dict = SEED000) -> None:
    """The monitor contract's loop, as its README describes it, without the LLM and the human e-mail approval that come
    before its restart (both would only add time): a health check every `check_interval` s; on failure wait
    `restart_delay` s, kill whatever holds the port, start the service detached, verify up to
    `health_check_attempts` times `health_check_wait` s apart."""
    while not stop.is_set():
        try:
            ok = httpx.get(f"http://127.0.0.1:{port}/health", timeout=config["health_check_timeout"]).is_success
        except httpx.HTTPError:
            ok = False
        if not ok:
            detected.append(time.perf_counter())
            if stop.wait(config["restart_delay"]):
                return
            try:
                os.kill(pid_on(port), signal.SIGKILL)
            except (IndexError, ProcessLookupError):
                pass
            subprocess.Popen(CALC + [str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
            for _ in range(config["health_check_attempts"]):
                if stop.wait(config["health_check_wait"]) or healthy(port):
                    break
        stop.wait(config["check_interval"])


def bench_seed000(work: Path, runs: int) -> dict:
    """Kills at a random point of the monitor contract's 15 s cycle: → detected, and → serving again."""
    port = free_port()
    subprocess.Popen(CALC + [str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True)
    wait(lambda: healthy(port), 30)
    stop, detected = threading.Event(), []
    loop = threading.Thread(target=seed000_loop, args=(port, stop, detected), daemon=True)
    loop.start()
    rng = random.Random(0)
    found, back = [], []
    try:
        for _ in range(runs):
            wait(lambda: healthy(port), 120)
            time.sleep(rng.uniform(0, SEED000["check_interval"]))
            seen = len(detected)
            os.kill(pid_on(port), signal.SIGKILL)
            killed = time.perf_counter()
            wait(lambda: healthy(port), 120, 0.02)
            back.append(time.perf_counter() - killed)
            found.append(detected[seen] - killed)
        return {"detected": summary(found), "back": summary(back)}
    finally:
        stop.set()
        try:
            os.kill(pid_on(port), signal.SIGTERM)
        except (IndexError, ProcessLookupError):
            pass


def bench_aegis(work: Path, runs: int, hang: bool = False) -> dict:
    """SIGKILL (or, with `hang`, SIGSTOP: the process lives on but answers nothing) → back and → RESOLVED."""
    port, gw, nats = free_port(), free_port(), free_port()
    probe = ('{ kind = "http", interval = 0.25, timeout = 0.25, failure_threshold = 2 }' if hang
             else '{ kind = "http", interval = 1.0, failure_threshold = 1 }')
    (work / "policy.toml").write_text("[restart_budget]\nmax = 1000\nwindow_minutes = 1\n")
    (work / "aegis.toml").write_text(f"""policy_file = "{work / 'policy.toml'}"
flap_limit = 1000
[[targets]]
name = "mttr-api"
port = {port}
command = {CALC + [str(port)]!r}
health_url = "http://127.0.0.1:{port}/health"
probe = {probe}
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
            os.kill(pid_on(port), signal.SIGSTOP if hang else signal.SIGKILL)
            killed = time.perf_counter()
            wait(lambda: healthy(port), 30)
            back.append(time.perf_counter() - killed)

            def done(before: set[str] = before) -> bool:
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
    parser.add_argument("--seed-runs", type=int, default=3,
                        help="kills under the monitor contract's loop (≈ 50 s each)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="aegis-mttr-"))
    result: dict = {"runs": args.runs}
    benches = (("aegisops", lambda w: bench_aegis(w, args.runs)),
               ("supervisord", lambda w: bench_supervisord(w, args.runs)),
               ("monit", lambda w: bench_monit(w, args.runs)),
               ("aegisops_hung", lambda w: bench_aegis(w, args.runs, hang=True)),
               ("monit_hung", lambda w: bench_monit(w, args.runs, hang=True)),
               ("seed000", lambda w: bench_seed000(w, args.seed_runs)))
    for name, bench in benches:
        (work / name).mkdir()
        print(f"bench {name}…", file=sys.stderr, flush=True)
        result[name] = bench(work / name)
    result["samples"] = samples(result)
    report(result)


def samples(result: dict) -> dict[str, list[float]]:
    """Every per-kill time, by who and what, for the report's plot."""
    out = {}
    for name, label in (("aegisops", "AegisOps kill"), ("aegisops_hung", "AegisOps hang")):
        for what in ("back", "resolved"):
            if what in result.get(name, {}):
                out[f"{label} → {what}"] = result[name][what]["values_ms"]
    for name, label in (("supervisord", "supervisord kill → back"), ("monit", "Monit kill → back"),
                        ("monit_hung", "Monit hang → back")):
        if "values_ms" in result.get(name, {}):
            out[label] = result[name]["values_ms"]
    if "back" in result.get("seed000", {}):
        out["monitor contract loop kill → back"] = result["seed000"]["back"]["values_ms"]
    return out


if __name__ == "__main__":
    main()
