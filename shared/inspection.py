"""Reading targets without acting on them: which processes are a target, and a Docker client. Shared by the
executor (which acts), the prober (which checks) and the gateway (which reports); only the executor changes anything."""

from __future__ import annotations

from typing import Any

import msgspec
import psutil

from shared.config import TargetConfig
from shared.errors import ActionError

PORT_TOKEN = "{port}"


def command_for(target: TargetConfig, port: int) -> list[str]:
    """The target's command with `{port}` replaced (a replica listens on its own port)."""
    return [part.replace(PORT_TOKEN, str(port)) for part in target.command]


def listening_pids() -> dict[int, list[int]]:
    """PIDs with a listening TCP socket, by port."""
    listening: dict[int, set[int]] = {}
    for conn in psutil.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.pid:
            listening.setdefault(conn.laddr.port, set()).add(conn.pid)
    return {port: sorted(pids) for port, pids in listening.items()}


def pids_listening_on(port: int) -> list[int]:
    """PIDs of processes with a listening TCP socket on `port`."""
    return listening_pids().get(port, [])


class ProcessSnapshot(msgspec.Struct, frozen=True):
    """Who listens on which TCP port and which command each process runs, read once for many targets."""

    listening: dict[int, list[int]]
    commands: list[tuple[int, list[str]]]


def process_snapshot() -> ProcessSnapshot:
    """One scan of the TCP sockets and the process table (tens of ms: share it between targets)."""
    commands = [(p.info["pid"], p.info["cmdline"]) for p in psutil.process_iter(["pid", "cmdline"])
                if p.info["cmdline"]]
    return ProcessSnapshot(listening_pids(), commands)


def pids_of(snapshot: ProcessSnapshot, target: TargetConfig) -> list[int]:
    """Processes that are this target: listening on its port, or running exactly its command (still booting)."""
    pids = set(snapshot.listening.get(target.port, ()))
    command = command_for(target, target.port)
    pids.update(pid for pid, cmdline in snapshot.commands if command and cmdline == command)
    return sorted(pids)


def target_pids(target: TargetConfig) -> list[int]:
    """Processes that are this target, from a fresh scan."""
    return pids_of(process_snapshot(), target)


class Docker:
    """A Docker client connected on first use (DOCKER_HOST or the default socket unless a base URL is set)."""

    def __init__(self, base_url: str = "") -> None:
        self.base_url = base_url
        self._client: Any = None

    @property
    def client(self) -> Any:
        """The docker SDK client; ActionError when Docker is not reachable."""
        if self._client is None:
            import docker

            try:
                self._client = docker.DockerClient(base_url=self.base_url) if self.base_url else docker.from_env()
            except docker.errors.DockerException as exc:
                raise ActionError(f"Docker is not reachable: {exc}") from None
        return self._client
