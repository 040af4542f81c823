"""Prometheus metrics AegisOps exposes about itself."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HANDLED = Counter("aegis_messages_handled_total", "Messages handled by consumers, by outcome",
                  ["consumer", "outcome"])
HANDLER_SECONDS = Histogram("aegis_handler_seconds", "Time spent in a consumer handler", ["consumer"],
                            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
WORKERS_UP = Gauge("aegis_workers_running", "Supervised workers currently running")
