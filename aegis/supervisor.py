"""Runs each service as its own OS process, restarts crashes with backoff, records history as events."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from aegis.backoff import BackoffPolicy, CrashRecord, on_crash
from aegis.nats_server import _die_with_parent
from shared.errors import AegisError
from shared.events import iso, now
from shared.events.system import (
    WorkerCrashed,
    WorkerGaveUp,
    WorkerRestarted,
    WorkerStarted,
    WorkerStopped,
    signal_name,
)
from shared.eventstore import EventStore
from shared.log import get_logger
from shared.metrics import WORKERS_UP

log = get_logger("supervisor")


@dataclass
class WorkerSpec:
    """A process to supervise: a name and the argv that runs it."""

    name: str
    argv: Sequence[str]
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def python_module(cls, name: str, module: str, env: dict[str, str]) -> WorkerSpec:
        """A service run as `python -m module` with this interpreter."""
        return cls(name=name, argv=[sys.executable, "-m", module], env=env)


@dataclass
class Worker:
    """Live state of one supervised process."""

    spec: WorkerSpec
    proc: asyncio.subprocess.Process | None = None
    status: str = "stopped"  # running | stopped | crashed | restarting | failed
    started_at: float = 0.0
    attempt: int = 0
    record: CrashRecord = field(default_factory=CrashRecord)
    task: asyncio.Task[None] | None = None
    wanted: bool = True
    restart_count: int = 0
    last_started_at: str | None = None
    last_crashed_at: str | None = None
    error: str | None = None

    def to_json(self, max_restarts: int) -> dict:
        """The System API contract's worker shape."""
        return {"name": self.spec.name, "status": self.status, "restart_count": self.restart_count,
                "max_restarts": max_restarts, "last_started_at": self.last_started_at,
                "last_crashed_at": self.last_crashed_at, "error": self.error}


class Supervisor:
    """Starts, watches and restarts workers; every lifecycle change is appended to the SYSTEM stream."""

    def __init__(self, store: EventStore | None, policy: BackoffPolicy, log_dir: str | None = None) -> None:
        self.store = store
        self.policy = policy
        self.log_dir = log_dir
        self.workers: dict[str, Worker] = {}
        self._stopping = False

    async def _record(self, event) -> None:  # type: ignore[no-untyped-def]
        if self.store is None:
            return
        try:
            await self.store.append_system(event)
        except AegisError as exc:  # history is best effort; supervision is not
            log.warning("could not record worker event", extra={"error": str(exc), "event": event.type_tag()})

    async def _spawn(self, worker: Worker) -> None:
        spec = worker.spec
        out = None
        if self.log_dir:
            path = os.path.join(self.log_dir, f"{spec.name}.log")
            out = os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")  # the child owns it
            os.chmod(path, 0o600)
        worker.proc = await asyncio.create_subprocess_exec(
            *spec.argv, env={**os.environ, **spec.env}, stdin=asyncio.subprocess.DEVNULL,
            stdout=out or asyncio.subprocess.DEVNULL, stderr=out or asyncio.subprocess.DEVNULL,
            preexec_fn=_die_with_parent)
        if out:
            out.close()
        worker.started_at = time.monotonic()
        worker.status = "running"
        worker.last_started_at = iso(now())
        WORKERS_UP.set(sum(1 for w in self.workers.values() if w.status == "running"))

    def add(self, spec: WorkerSpec) -> Worker:
        """Register a worker (not started yet)."""
        worker = Worker(spec=spec)
        self.workers[spec.name] = worker
        return worker

    async def start_all(self) -> None:
        """Start every registered worker and its watcher."""
        for worker in self.workers.values():
            await self.start(worker.spec.name)

    async def start(self, name: str) -> None:
        """Start one worker (also a failed or stopped one) and watch it."""
        worker = self.workers[name]
        worker.wanted = True
        if worker.status == "running":
            return
        worker.record = CrashRecord()
        await self._spawn(worker)
        assert worker.proc is not None
        await self._record(WorkerStarted(worker=name, pid=worker.proc.pid, attempt=worker.attempt))
        log.info("worker started", extra={"worker": name, "pid": worker.proc.pid})
        worker.task = asyncio.create_task(self._watch(worker), name=f"watch-{name}")

    async def _watch(self, worker: Worker) -> None:
        name = worker.spec.name
        while True:
            assert worker.proc is not None
            code = await worker.proc.wait()
            if self._stopping or not worker.wanted:
                worker.status = "stopped"
                return
            crashed_at = time.monotonic()
            worker.status = "crashed"
            worker.attempt += 1
            worker.last_crashed_at, worker.error = iso(now()), _describe_exit(code)
            killed = code is not None and code < 0
            await self._record(WorkerCrashed(worker=name, exit_code=None if killed else code,
                                             signal=signal_name(-code) if killed else None,  # type: ignore[operator]
                                             error=_describe_exit(code), attempt=worker.attempt))
            decision = on_crash(self.policy, worker.record, worker.started_at, crashed_at)
            if decision.verdict == "give_up":
                worker.status = "failed"
                log.error("worker gave up", extra={"worker": name, "restarts": decision.restarts_in_window})
                await self._record(WorkerGaveUp(worker=name, restarts=decision.restarts_in_window,
                                                window=self.policy.give_up_window))
                return
            log.warning("worker crashed; restarting", extra={"worker": name, "exit_code": code,
                                                             "delay": decision.delay})
            worker.status = "restarting"
            await asyncio.sleep(decision.delay)
            if self._stopping or not worker.wanted:
                worker.status = "stopped"
                return
            await self._spawn(worker)
            worker.restart_count += 1
            await self._record(WorkerRestarted(worker=name, pid=worker.proc.pid, attempt=worker.attempt,
                                               delay=decision.delay))

    async def stop(self, name: str, reason: str = "operator", grace: float = 5.0) -> None:
        """Stop one worker: SIGTERM, then SIGKILL after `grace` seconds."""
        worker = self.workers[name]
        worker.wanted = False
        proc = worker.proc
        if proc is not None and proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), grace)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        if worker.task is not None:
            worker.task.cancel()
            await asyncio.gather(worker.task, return_exceptions=True)
        worker.status = "stopped"
        await self._record(WorkerStopped(worker=name, reason=reason))

    async def restart(self, name: str) -> None:
        """Stop (if running) and start again, recorded as a manual restart."""
        await self.stop(name, reason="restart requested")
        worker = self.workers[name]
        worker.record = CrashRecord()
        await self._spawn(worker)
        worker.wanted = True
        worker.restart_count += 1
        assert worker.proc is not None
        await self._record(WorkerRestarted(worker=name, pid=worker.proc.pid, attempt=worker.attempt, delay=0.0,
                                           manual=True))
        worker.task = asyncio.create_task(self._watch(worker), name=f"watch-{name}")

    async def reset(self, name: str) -> None:
        """Forget a worker's restart count so the supervisor may restart it again; a failed worker starts."""
        worker = self.workers[name]
        worker.restart_count, worker.attempt, worker.record, worker.error = 0, 0, CrashRecord(), None
        if worker.status == "failed":
            worker.status = "stopped"
            await self.start(name)

    def status(self) -> dict:
        """The System API contract's supervisor status."""
        return {"running": not self._stopping, "worker_count": len(self.workers),
                "workers": [w.to_json(self.policy.give_up_restarts) for w in self.workers.values()],
                "timestamp": iso(now())}

    async def stop_all(self, grace: float = 5.0) -> None:
        """Stop every worker in parallel (shutdown)."""
        self._stopping = True
        await asyncio.gather(*(self.stop(n, "shutdown", grace) for n in list(self.workers)), return_exceptions=True)
        WORKERS_UP.set(0)


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "unknown exit"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"
