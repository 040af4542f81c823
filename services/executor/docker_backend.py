"""The `docker` backend: restart, scale (replicas with host networking), rollback, and inventory reads."""

from __future__ import annotations

import time
from typing import Any

from services.executor.replicas import free_ports, ports_of, replica_name
from shared.config import NAME_PATTERN, TargetConfig
from shared.errors import ActionError, ValidationError
from shared.inspection import Docker, command_for

REPLICA_LABEL = "aegis.replica_of"


def _checked(name: str) -> str:
    if not NAME_PATTERN.match(name) or len(name) > 128:
        raise ValidationError(f"invalid container name {name!r}")
    return name


class DockerBackend(Docker):
    """Acts on containers through the Docker SDK; every name is validated before it reaches Docker."""

    def _get(self, name: str):  # type: ignore[no-untyped-def]
        import docker

        try:
            return self.client.containers.get(_checked(name))
        except docker.errors.NotFound:
            raise ActionError(f"container {name} does not exist", target=name) from None
        except docker.errors.APIError as exc:
            raise ActionError(f"Docker error on {name}: {exc.explanation or exc}", target=name) from None

    def restart(self, target: TargetConfig, grace: float) -> str:
        """Restart the target's container."""
        container = self._get(target.name)
        container.restart(timeout=max(1, int(grace)))
        container.reload()
        return f"Container status: {container.status}"

    def _run(self, name: str, image: str, command: list[str] | None, env: dict[str, str],
             labels: dict[str, str]):  # type: ignore[no-untyped-def]
        import docker

        try:
            return self.client.containers.run(image, command=command or None, name=_checked(name), detach=True,
                                              network_mode="host", environment=env, labels=labels)
        except docker.errors.APIError as exc:
            raise ActionError(f"cannot start container {name}: {exc.explanation or exc}", target=name) from None

    def replicas(self, target: TargetConfig) -> list[Any]:
        """The live replica containers of a target, by index."""
        found = self.client.containers.list(all=True, filters={"label": f"{REPLICA_LABEL}={_checked(target.name)}"})
        return sorted(found, key=lambda c: int(c.labels.get("aegis.replica_index", "0")))

    def scale_up(self, target: TargetConfig, count: int) -> list[tuple[str, int]]:
        """Make sure replicas 1..count run (each on its own free port); returns (name, port) of all of them."""
        base = self._get(target.name)
        image = base.image.tags[0] if base.image.tags else base.image.id
        env = dict(e.split("=", 1) for e in base.attrs["Config"].get("Env") or [] if "=" in e)
        existing = {c.name: c for c in self.replicas(target)}
        used = {int(c.labels.get("aegis.port", "0")) for c in existing.values()} | ports_of(target)
        out = []
        for index in range(1, count + 1):
            name = replica_name(target.name, index)
            current = existing.get(name)
            if current is not None and current.status == "running":
                out.append((name, int(current.labels["aegis.port"])))
                continue
            if current is not None:
                current.remove(force=True)
            port = free_ports(1, used)[0]
            used.add(port)
            command = command_for(target, port) if target.command else None
            self._run(name, image, command, {**env, "PORT": str(port)},
                      {REPLICA_LABEL: target.name, "aegis.replica_index": str(index), "aegis.port": str(port)})
            out.append((name, port))
        return out

    def scale_down(self, target: TargetConfig) -> list[str]:
        """Remove every replica of the target."""
        removed = []
        for container in self.replicas(target):
            container.remove(force=True)
            removed.append(container.name)
        return removed

    def rollback(self, target: TargetConfig, previous_image: str) -> str:
        """Recreate the container from the previous image, keeping its name, command and environment."""
        base = self._get(target.name)
        config = base.attrs["Config"]
        env = dict(e.split("=", 1) for e in config.get("Env") or [] if "=" in e)
        command = command_for(target, target.port) if target.command else config.get("Cmd")
        base.remove(force=True)
        started = time.monotonic()
        container = self._run(target.name, previous_image, command, env, dict(config.get("Labels") or {}))
        container.reload()
        return (f"Container recreated from {previous_image} (status: {container.status}, "
                f"{(time.monotonic() - started) * 1000:.0f} ms)")

    def ensure_running(self, target: TargetConfig) -> None:
        """Start the base container from the target's image if it does not exist (registration of demo/config)."""
        import docker

        try:
            self.client.containers.get(_checked(target.name))
        except docker.errors.NotFound:
            self._run(target.name, target.image, command_for(target, target.port) if target.command else None,
                      {"PORT": str(target.port)}, {"aegis.target": target.name})
