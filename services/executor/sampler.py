"""Container and process metrics, sampled every METRICS_INTERVAL_SECS into the SAMPLES stream (Core API contract
shapes)."""

from __future__ import annotations

import time
from datetime import UTC
from typing import Any

import psutil

from services.executor.docker_backend import REPLICA_LABEL, DockerBackend
from services.executor.process_backend import process_replicas
from shared.config import TargetConfig
from shared.inspection import pids_listening_on

MB = 1024 * 1024


class Sampler:
    """Builds the Core API contract's ContainerMetrics for every docker container and process target (blocking; use
    a thread)."""

    def __init__(self, docker: DockerBackend | None) -> None:
        self.docker = docker
        self._previous_cpu: dict[str, tuple[float, float]] = {}
        self._procs: dict[int, psutil.Process] = {}

    def _cpu_percent(self, name: str, total: float, system: float, cpus: int) -> float:
        before = self._previous_cpu.get(name)
        self._previous_cpu[name] = (total, system)
        if before is None or system <= before[1]:
            return 0.0
        return round((total - before[0]) / (system - before[1]) * cpus * 100.0, 2)

    def containers(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(container list, container metrics) from Docker; empty when no engine answers."""
        if self.docker is None:
            return [], []
        try:
            found = self.docker.client.containers.list(all=True)
        except Exception:  # noqa: BLE001 - no Docker here: processes only
            return [], []
        listing, metrics = [], []
        for c in found:
            image = c.image.tags[0] if c.image and c.image.tags else (c.attrs["Config"].get("Image") or "")
            listing.append({"name": c.name, "status": c.status, "image": image, "id": c.id[:8],
                            "replica_of": c.labels.get(REPLICA_LABEL)})
            if c.status != "running":
                continue
            try:
                stats = c.stats(stream=False, one_shot=True)
            except Exception:  # noqa: BLE001 - the container went away between list and stats
                continue
            cpu = stats.get("cpu_stats", {})
            total = cpu.get("cpu_usage", {}).get("total_usage", 0) / 1e9
            system = cpu.get("system_cpu_usage", 0) / 1e9
            mem = stats.get("memory_stats", {})
            used, limit = mem.get("usage", 0) / MB, (mem.get("limit", 0) or 1) / MB
            nets = stats.get("networks") or {}
            started = c.attrs["State"].get("StartedAt", "")
            metrics.append({
                "name": c.name, "cpu_percent": self._cpu_percent(c.name, total, system, cpu.get("online_cpus", 1)),
                "memory_mb": round(used, 2), "memory_limit_mb": round(limit, 2),
                "memory_percent": round(used / limit * 100, 2) if limit else 0.0,
                "net_rx_bytes": sum(n.get("rx_bytes", 0) for n in nets.values()),
                "net_tx_bytes": sum(n.get("tx_bytes", 0) for n in nets.values()),
                "status": c.status, "uptime_seconds": _uptime(started), "image": image})
        return listing, metrics

    def _process(self, pid: int) -> psutil.Process:
        proc = self._procs.get(pid)
        if proc is None:
            proc = self._procs[pid] = psutil.Process(pid)
            proc.cpu_percent(None)  # the first call only starts the measurement
        return proc

    def processes(self, targets: list[TargetConfig]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(list, metrics) for process targets and their replicas, from psutil."""
        total_mb = psutil.virtual_memory().total / MB
        listing, metrics = [], []
        for target in targets:
            if target.kind != "process":
                continue
            replicas = [(n, p, target.name) for _, n, p in process_replicas(target)]
            for name, port, replica_of in [(target.name, target.port, None), *replicas]:
                pids = pids_listening_on(port)
                status = "running" if pids else "exited"
                image = " ".join(target.command[:3])
                listing.append({"name": name, "status": status, "image": image, "id": str(pids[0]) if pids else "",
                                "replica_of": replica_of})
                if not pids:
                    continue
                try:
                    proc = self._process(pids[0])
                    with proc.oneshot():
                        rss = proc.memory_info().rss / MB
                        metrics.append({
                            "name": name, "cpu_percent": round(proc.cpu_percent(None), 2),
                            "memory_mb": round(rss, 2), "memory_limit_mb": round(total_mb, 2),
                            "memory_percent": round(rss / total_mb * 100, 2), "net_rx_bytes": 0, "net_tx_bytes": 0,
                            "status": status, "uptime_seconds": round(time.time() - proc.create_time(), 1),
                            "image": image})
                except psutil.Error:
                    continue
        return listing, metrics

    def sample(self, targets: list[TargetConfig]) -> dict[str, list[dict[str, Any]]]:
        """One sample of everything."""
        c_list, c_metrics = self.containers()
        p_list, p_metrics = self.processes(targets)
        return {"containers": c_list + p_list, "metrics": c_metrics + p_metrics}


def _uptime(started: str) -> float:
    from datetime import datetime

    try:
        ts = datetime.fromisoformat(started[:26].rstrip("Z") + "+00:00") if started else None
    except ValueError:
        return 0.0
    return round((datetime.now(UTC) - ts).total_seconds(), 1) if ts else 0.0
