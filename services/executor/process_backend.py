"""The `process` backend: find what listens on a port, stop it, start a target's command detached."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import psutil

from shared.config import TargetConfig
from shared.errors import ActionError


def pids_listening_on(port: int) -> list[int]:
    """PIDs of processes with a listening TCP socket on `port`."""
    pids = set()
    for conn in psutil.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
            pids.add(conn.pid)
    return sorted(pids)


def target_pids(target: TargetConfig) -> list[int]:
    """Processes that are this target: listening on its port, or running exactly its command (still booting)."""
    pids = set(pids_listening_on(target.port))
    command = list(target.command)
    for proc in psutil.process_iter(["pid", "cmdline"]):
        if command and proc.info["cmdline"] == command:
            pids.add(proc.info["pid"])
    return sorted(pids)


def stop_pids(pids: list[int], grace: float) -> list[int]:
    """SIGTERM each process, SIGKILL whatever is left after `grace` seconds; returns the pids stopped."""
    procs = []
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            proc.send_signal(signal.SIGTERM)
            procs.append(proc)
        except psutil.NoSuchProcess:
            continue
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for proc in alive:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=grace)
    return [p.pid for p in procs]


def start_detached(target: TargetConfig, log_dir: Path | None = None) -> int:
    """Start the target's command in its own session so it outlives whoever started it; returns the pid."""
    if not target.command:
        raise ActionError(f"target {target.name} has no command", target=target.name)
    out = subprocess.DEVNULL
    handle = None
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        handle = open(log_dir / f"{target.name}.log", "ab")  # noqa: SIM115 - handed to the child
        out = handle  # type: ignore[assignment]
    try:
        proc = subprocess.Popen(list(target.command), cwd=target.cwd or None, env={**os.environ, **target.env},
                                stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True)
    except OSError as exc:
        raise ActionError(f"cannot start {target.name}: {exc}", target=target.name) from None
    finally:
        if handle is not None:
            handle.close()
    _reap_later(proc)
    return proc.pid


def _reap_later(proc: subprocess.Popen[bytes]) -> None:
    """Avoid a zombie if the child exits while we still run (its parent is us until we exit)."""
    import threading

    threading.Thread(target=proc.wait, daemon=True).start()


def wait_listening(port: int, host: str = "127.0.0.1", timeout: float = 3.0) -> bool:
    """True once something accepts connections on the port."""
    import socket

    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return True
        except OSError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)


def restart(target: TargetConfig, grace: float, delay: float, log_dir: Path | None) -> str:
    """Stop whatever listens on the target's port and start its command again; returns what happened."""
    stopped = stop_pids(pids_listening_on(target.port), grace)
    if delay > 0:
        time.sleep(delay)
    pid = start_detached(target, log_dir)
    replaced = f"replaced pid {', '.join(map(str, stopped))}" if stopped else "nothing was listening"
    return f"Process status: running (pid {pid}; {replaced})"
