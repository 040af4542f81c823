"""Shared bits of the bench scripts: a throwaway nats-server, percentiles, the JSON last line."""

from __future__ import annotations

import json
import socket
import tempfile
from pathlib import Path

from aegis.nats_server import EmbeddedNats
from shared.stats import percentile  # noqa: F401 - re-exported for the bench scripts

# One load generator signs in with one key from one address: lift the per-principal and per-address limits
# (the defaults protect a gateway from a runaway client, which is what a bench is).
BENCH_LIMITS = "rate_limit_per_minute = 10000000\nrate_limit_per_address_per_minute = 10000000\n"


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_nats() -> EmbeddedNats:
    """A nats-server with JetStream on a random loopback port and a temporary store."""
    server = EmbeddedNats(Path(tempfile.mkdtemp(prefix="aegis-bench-")), free_port(), server_name="bench")
    server.start()
    return server


def report(result: dict) -> None:
    """Print the figures as one JSON object on the last line."""
    print(json.dumps(result, sort_keys=True), flush=True)
