"""Replica naming and ports, shared by the docker and process backends."""

from __future__ import annotations

import socket

from shared.config import NAME_PATTERN, TargetConfig
from shared.errors import ValidationError


def replica_name(base: str, index: int) -> str:
    """`<base>-replica-<i>`, validated like every name that reaches Docker or a shell."""
    name = f"{base}-replica-{index}"
    if not NAME_PATTERN.match(name) or len(name) > 128:
        raise ValidationError(f"invalid replica name {name!r}")
    return name


def ports_of(target: TargetConfig) -> set[int]:
    """Ports the target owns even while nothing listens on them (its own and its balancer's):
    a replica must never be handed one of them, or it and the balancer fight over the port."""
    return {p for p in (target.port, target.lb_port) if p}


def free_ports(count: int, avoid: set[int] = frozenset()) -> list[int]:  # type: ignore[assignment]
    """`count` loopback TCP ports nothing listens on now."""
    ports: list[int] = []
    while len(ports) < count:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in avoid and port not in ports:
            ports.append(port)
    return ports
