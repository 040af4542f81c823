"""The `process` backend: find what listens on a port, stop it, start a target's command detached."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import msgspec
import psutil

from shared.config import TargetConfig
from shared.errors import ActionError
from shared.inspection import PORT_TOKEN, command_for, pids_listening_on


def stop_pids(pids: list[int], grace: float) -> list[int]:
    """SIGTERM (then SIGCONT) each process, SIGKILL what is left after `grace` seconds; returns the pids stopped."""
    procs = []
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            proc.send_signal(signal.SIGTERM)
            proc.send_signal(signal.SIGCONT)  # a stopped (hung) process acts on the TERM only once continued
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


BASE_ENVIRONMENT = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "PYTHONPATH",
                    "VIRTUAL_ENV")  # what a process needs to run; nothing of the platform's own (secrets, AEGIS_*)


def target_environment(target: TargetConfig, environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a target starts with: a minimal base taken from ours, then its own `env` from the config —
    never the platform's secrets (SMTP password, LLM key, JWT secret) a service was given."""
    source = os.environ if environ is None else environ
    return {**{k: source[k] for k in BASE_ENVIRONMENT if k in source}, **target.env}


def start_detached(target: TargetConfig, log_dir: Path | None = None) -> int:
    """Start the target's command in its own session so it outlives whoever started it; returns the pid."""
    if not target.command:
        raise ActionError(f"target {target.name} has no command", target=target.name)
    out = subprocess.DEVNULL
    handle = None
    if log_dir is not None:
        log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = log_dir / f"{target.name}.log"
        handle = os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")  # handed to the child
        os.chmod(path, 0o600)
        out = handle  # type: ignore[assignment]
    try:
        proc = subprocess.Popen(command_for(target, target.port), cwd=target.cwd or None,
                                env=target_environment(target), stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                start_new_session=True)
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


def restart(target: TargetConfig, grace: float, delay: float, log_dir: Path | None) -> str:
    """Stop whatever listens on the target's port and start its command again; returns what happened."""
    stopped = stop_pids(pids_listening_on(target.port), grace)
    if delay > 0:
        time.sleep(delay)
    pid = start_detached(target, log_dir)
    replaced = f"replaced pid {', '.join(map(str, stopped))}" if stopped else "nothing was listening"
    return f"Process status: running (pid {pid}; {replaced})"


REPLICA_ENV = "AEGIS_REPLICA_OF"


def process_replicas(target: TargetConfig) -> list[tuple[int, str, int]]:
    """(pid, replica name, port) of the target's replica processes, found by their environment marker."""
    found = []
    for proc in psutil.process_iter(["pid", "environ"]):
        env = proc.info.get("environ") or {}
        if env.get(REPLICA_ENV) == target.name:
            found.append((proc.info["pid"], env.get("AEGIS_REPLICA_NAME", ""), int(env.get("AEGIS_REPLICA_PORT", 0))))
    return sorted(found, key=lambda r: r[1])


def scale_up(target: TargetConfig, count: int, log_dir: Path | None) -> list[tuple[str, int]]:
    """Make sure replicas 1..count run, each on its own free port (`{port}` in the command)."""
    from services.executor.replicas import free_ports, ports_of, replica_name

    if not any(PORT_TOKEN in part for part in target.command):
        raise ActionError(f"{target.name}: a process target needs {PORT_TOKEN} in its command to scale",
                          target=target.name)
    existing = {name: port for _, name, port in process_replicas(target)}
    used = set(existing.values()) | ports_of(target)
    out = []
    for index in range(1, count + 1):
        name = replica_name(target.name, index)
        if name in existing:
            out.append((name, existing[name]))
            continue
        port = free_ports(1, used)[0]
        used.add(port)
        replica = msgspec.structs.replace(target, name=name, port=port, env={
            **target.env, REPLICA_ENV: target.name, "AEGIS_REPLICA_NAME": name, "AEGIS_REPLICA_PORT": str(port)})
        start_detached(replica, log_dir)
        out.append((name, port))
    return out


def scale_down(target: TargetConfig, grace: float) -> list[str]:
    """Stop every replica process of the target."""
    replicas = process_replicas(target)
    stop_pids([pid for pid, _, _ in replicas], grace)
    return [name for _, name, _ in replicas]


def rollback(target: TargetConfig, previous: TargetConfig, grace: float, log_dir: Path | None) -> str:
    """Replace the running version with the previously registered command."""
    stopped = stop_pids(pids_listening_on(target.port), grace)
    pid = start_detached(previous, log_dir)
    return f"Process rolled back to {' '.join(previous.command)[:120]} (pid {pid}; replaced {stopped or 'nothing'})"
