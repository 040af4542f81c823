"""Carrying out one action on one target with the right backend (blocking; run in a thread)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from services.executor import process_backend
from services.executor.docker_backend import DockerBackend
from services.executor.loadbalancer import NginxBalancer
from shared.config import Settings, TargetConfig
from shared.errors import ActionError
from shared.events import iso, now
from shared.events.models import ScaleEvent
from shared.projections.inventory import InventoryView


@dataclass(frozen=True)
class Outcome:
    """What an action did: a timeline line, a scale event, a target version to re-register."""

    detail: str
    scale: ScaleEvent | None = None
    registered: TargetConfig | None = None


class Actions:
    """RESTART, SCALE_UP, SCALE_DOWN, ROLLBACK for process and docker targets; nginx follows every scale."""

    def __init__(self, settings: Settings, inventory: InventoryView) -> None:
        self.settings = settings
        self.inventory = inventory
        self.log_dir = Path(settings.data_dir) / "logs" / "targets"
        self.docker = DockerBackend(settings.docker_host)
        self.balancer = NginxBalancer(Path(settings.data_dir) / "nginx", settings.nginx_binary)

    def run(self, action: str, target: TargetConfig, replicas: int) -> Outcome:
        """Do it; ActionError says why not."""
        s = self.settings
        if action == "RESTART":
            if target.kind == "docker":
                return Outcome(self.docker.restart(target, s.stop_grace_seconds))
            return Outcome(process_backend.restart(target, s.stop_grace_seconds, s.restart_delay, self.log_dir))
        if action == "SCALE_UP":
            count = min(max(1, replicas), s.max_replicas)
            started = (self.docker.scale_up(target, count) if target.kind == "docker"
                       else process_backend.scale_up(target, count, self.log_dir))
            return self._scaled(target, count, started, [])
        if action == "SCALE_DOWN":
            removed = (self.docker.scale_down(target) if target.kind == "docker"
                       else process_backend.scale_down(target, s.stop_grace_seconds))
            return self._scaled(target, 0, [], removed)
        if action == "ROLLBACK":
            previous = self.inventory.previous(target.name)
            if previous is None:
                raise ActionError(f"no earlier version of {target.name} is recorded to roll back to",
                                  target=target.name)
            if target.kind == "docker":
                detail = self.docker.rollback(target, previous.image)
            else:
                detail = process_backend.rollback(target, previous, s.stop_grace_seconds, self.log_dir)
            return Outcome(detail, registered=previous)
        raise ActionError(f"unknown action {action}")

    def _scaled(self, target: TargetConfig, count: int, started: list[tuple[str, int]],
                removed: list[str]) -> Outcome:
        ports = [port for _, port in started]
        lb = False
        if target.lb_port:
            lb = self.balancer.configure(target.name, target.lb_port, [target.port, *ports])
        event = ScaleEvent(container_base=target.name, replica_count=count, replicas=[n for n, _ in started],
                           lb_configured=lb, timestamp=iso(now()), removed=removed, ports=ports)
        verb = f"{count} replicas running" if count else f"removed {len(removed)} replicas"
        return Outcome(f"Scaled {target.name}: {verb}" + ("; load balancer updated" if lb else ""), scale=event)
