"""The demo targets of `aegis up --demo`: how to run them, and starting / stopping them."""

from __future__ import annotations

import sys
from pathlib import Path

from aegis.nats_server import port_free, wait_for_port
from services.executor.process_backend import process_replicas, start_detached, stop_pids
from shared.config import TargetConfig
from shared.errors import RuntimeStartError
from shared.inspection import pids_listening_on


def demo_targets() -> list[TargetConfig]:
    """buggy-app-v2 on 8000, addition-api 8002, division-api 8003, multiply-api 8004."""
    py = sys.executable

    def target(name: str, port: int, argv: list[str]) -> TargetConfig:
        return TargetConfig(name=name, port=port, command=[py, "-m", *argv, "--port", "{port}"],
                            health_url=f"http://127.0.0.1:{port}/health", lb_port=lb_port.get(name, 0))

    lb_port = {"buggy-app-v2": 8090}  # the Core API contract's nginx load balancer (port 80 there)

    return [
        target("buggy-app-v2", 8000, ["aegis.demo.buggy_app"]),
        target("addition-api", 8002, ["aegis.demo.calculator", "addition"]),
        target("division-api", 8003, ["aegis.demo.calculator", "division"]),
        target("multiply-api", 8004, ["aegis.demo.calculator", "multiply"]),
    ]


class DemoTargets:
    """Starts the demo targets detached and, at shutdown, stops whatever then listens on their ports."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.targets = demo_targets()

    def start_all(self) -> None:
        """Start every demo target; refuse if one of their ports is taken."""
        busy = [t for t in self.targets if not port_free("127.0.0.1", t.port)]
        if busy:
            raise RuntimeStartError("demo ports in use: " + ", ".join(f"{t.name}:{t.port}" for t in busy))
        for t in self.targets:
            start_detached(t, self.log_dir)
        for t in self.targets:
            if not wait_for_port("127.0.0.1", t.port, timeout=10.0):
                raise RuntimeStartError(f"demo target {t.name} did not listen on {t.port}")

    def stop_all(self) -> None:
        """Stop the demo targets, including instances the executor restarted meanwhile."""
        for t in self.targets:
            replicas = [pid for pid, _, _ in process_replicas(t)]
            stop_pids(pids_listening_on(t.port) + replicas, grace=3.0)
