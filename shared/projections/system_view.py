"""Read models of the SYSTEM stream: worker restart history (System API contract) and circuit breaker states."""

from __future__ import annotations

from shared.events import Envelope, iso
from shared.events.system import BreakerStateChanged, WorkerCrashed, WorkerGaveUp, WorkerRestarted


class SystemView:
    """Restart history newest first, and the last state of every breaker."""

    def __init__(self) -> None:
        self.history: list[dict] = []
        self.breakers: dict[str, dict] = {}

    def apply(self, seq: int, env: Envelope) -> None:
        """Fold one system event."""
        p = env.payload
        item = None
        if isinstance(p, WorkerCrashed):
            item = {"worker_name": p.worker, "attempt": p.attempt, "status": "crashed", "error": p.error}
        elif isinstance(p, WorkerRestarted):
            item = {"worker_name": p.worker, "attempt": p.attempt, "status": "manual" if p.manual else "success",
                    "error": None}
        elif isinstance(p, WorkerGaveUp):
            item = {"worker_name": p.worker, "attempt": p.restarts, "status": "failed",
                    "error": f"gave up after {p.restarts} restarts in {p.window:g}s"}
        elif isinstance(p, BreakerStateChanged):
            self.breakers[p.breaker] = {"name": p.breaker, "state": p.state, "previous": p.previous,
                                        "reason": p.reason, "changed_at": iso(env.time)}
        if item is not None:
            self.history.insert(0, {"worker_name": item["worker_name"], "timestamp": iso(env.time),
                                    "attempt": item["attempt"], "status": item["status"], "error": item["error"]})
