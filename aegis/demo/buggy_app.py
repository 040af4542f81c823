"""The Core API contract's buggy app (port 8000): /health and the /trigger_* routes that make it misbehave."""

from __future__ import annotations

import math
import threading
import time

from aegis.demo.http import port_arg, serve

_leak: list[str] = []
_CHUNK_MB = 10


def health(_: dict[str, str]) -> tuple[int, object]:
    """200 whenever the process runs."""
    return 200, {"status": "ok"}


def trigger_memory(_: dict[str, str]) -> tuple[int, object]:
    """Hold on to another 10 MB of string data."""
    _leak.append("x" * (_CHUNK_MB * 1024 * 1024))
    return 200, {"message": "Memory trigger activated", "current_memory_usage_mb": len(_leak) * _CHUNK_MB}


def _spin() -> None:
    n = 2000
    while True:
        math.factorial(n)


def trigger_cpu(_: dict[str, str]) -> tuple[int, object]:
    """Start a daemon thread computing factorials forever."""
    threading.Thread(target=_spin, daemon=True).start()
    return 200, {"message": "CPU trigger activated - factorial thread started"}


def trigger_db_latency(_: dict[str, str]) -> tuple[int, object]:
    """Block this request for 5 s like a slow query."""
    time.sleep(5)
    return 200, {"message": "DB latency simulation completed"}


ROUTES = {"/health": health, "/trigger_memory": trigger_memory, "/trigger_cpu": trigger_cpu,
          "/trigger_db_latency": trigger_db_latency}

if __name__ == "__main__":
    args = port_arg(__doc__ or "", 8000)
    serve(ROUTES, args.port, args.host)
