"""Prometheus exposition of AegisOps itself, computed at scrape time from the gateway's projections."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from services.gateway import stats
from shared.consumer import stage_durables
from shared.events.incident import INCIDENTS_STREAM
from shared.projections.projector import skipped_events

BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def _histogram(name: str, doc: str, values_by_label: dict[str, list[float]], label: str) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, doc, labels=[label] if label else [])
    for key, values in values_by_label.items():
        buckets, count = [], 0
        for bound in BUCKETS:
            count = sum(1 for v in values if v <= bound)
            buckets.append((str(bound), count))
        buckets.append(("+Inf", len(values)))
        family.add_metric([key] if label else [], buckets, sum(values))
    return family


class _Snapshot:
    """A collector over one snapshot of the gateway's state."""

    def __init__(self, gw: Any, lag: dict[str, int]) -> None:
        self.gw, self.lag = gw, lag

    def collect(self):  # type: ignore[no-untyped-def]
        states = list(self.gw.view.incidents.values())
        by_status = GaugeMetricFamily("aegis_incidents", "Incidents by status", labels=["status"])
        counts: dict[str, int] = {}
        for s in states:
            counts[s.status] = counts.get(s.status, 0) + 1
        for status, n in sorted(counts.items()):
            by_status.add_metric([status], n)
        yield by_status
        yield _histogram("aegis_stage_seconds", "Time incidents spent in each pipeline stage",
                         stats.stage_durations(states), "stage")
        yield _histogram("aegis_mttr_seconds", "Received to resolved, for incidents resolved by an action",
                         {"": stats.mttr(states)}, "")
        acts = CounterMetricFamily("aegis_actions", "Remediation actions by outcome", labels=["action", "outcome"])
        for (action, outcome), n in sorted(stats.actions(states).items()):
            acts.add_metric([action, outcome], n)
        yield acts
        lag = GaugeMetricFamily("aegis_consumer_pending", "Messages not yet delivered, per consumer",
                                labels=["consumer"])
        for consumer, n in sorted(self.lag.items()):
            lag.add_metric([consumer], n)
        yield lag
        breakers = GaugeMetricFamily("aegis_breaker_open", "1 while a circuit breaker is not closed",
                                     labels=["breaker"])
        for name, b in sorted(self.gw.system.breakers.items()):
            breakers.add_metric([name], 0 if b["state"] == "closed" else 1)
        yield breakers
        skipped = CounterMetricFamily("aegis_projection_skipped_events",
                                      "Stored events a read model could not apply (data it does not show)",
                                      labels=["projection"])
        for name, entry in skipped_events().items():
            skipped.add_metric([name], entry["skipped"])
        yield skipped
        yield GaugeMetricFamily("aegis_ws_clients", "Connected WebSocket clients", value=len(self.gw.hub.clients))
        auth = getattr(self.gw, "auth", None)
        if auth is not None:
            refused = CounterMetricFamily("aegis_gateway_refused", "Calls refused by the security layer",
                                          labels=["status"])
            for status, n in sorted(auth.guard.refused.items()):
                refused.add_metric([str(status)], n)
            yield refused


def exposition(gw: Any, lag: dict[str, int]) -> bytes:
    """The text format Prometheus scrapes."""
    registry = CollectorRegistry()
    registry.register(_Snapshot(gw, lag))
    return generate_latest(registry)


def wants_prometheus(accept: str) -> bool:
    """Prometheus asks for openmetrics / text/plain; the Core API contract's clients (JSON or */*) keep the JSON
    body."""
    accept = accept.lower()
    return ("openmetrics" in accept or "text/plain" in accept) and "application/json" not in accept


async def consumer_lag(gw: Any) -> dict[str, int]:
    """Pending messages per durable consumer of the pipeline."""
    out = {}
    for durable in await stage_durables(gw.store.js):
        try:
            out[durable] = (await gw.store.js.consumer_info(INCIDENTS_STREAM, durable)).num_pending
        except Exception:  # noqa: BLE001 - a consumer not created yet has no lag to report
            continue
    return out
