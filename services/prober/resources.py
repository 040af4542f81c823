"""Resource alerts, pure: memory above a share of its limit; CPU above a threshold for long enough."""

from __future__ import annotations

from dataclasses import dataclass

from shared.config import ProbeConfig


@dataclass
class ResourceState:
    """Per target: when CPU went hot, and which alerts are armed (re-armed once back below the threshold)."""

    cpu_since: float | None = None
    memory_alerted: bool = False
    cpu_alerted: bool = False


def memory_percent(sample: dict, probe: ProbeConfig) -> float:
    """Memory as a share of the probe's limit, or of what the sample says the limit is."""
    if probe.memory_limit_mb > 0:
        return sample.get("memory_mb", 0.0) / probe.memory_limit_mb * 100
    return float(sample.get("memory_percent", 0.0))


def observe_resources(state: ResourceState, sample: dict, probe: ProbeConfig, now: float) -> list[tuple[str, str]]:
    """(alert type, evidence) for each alert this sample raises."""
    alerts: list[tuple[str, str]] = []
    mem = memory_percent(sample, probe)
    if mem >= probe.memory_percent:
        if not state.memory_alerted:
            state.memory_alerted = True
            limit = f"{probe.memory_limit_mb:g} MB" if probe.memory_limit_mb > 0 else \
                f"{sample.get('memory_limit_mb', 0):.0f} MB"
            alerts.append(("Memory Leak", f"ERROR: Memory usage at {mem:.1f}% of {limit} "
                                          f"({sample.get('memory_mb', 0):.1f} MB resident; threshold "
                                          f"{probe.memory_percent:g}%). OOM imminent."))
    else:
        state.memory_alerted = False
    cpu = float(sample.get("cpu_percent", 0.0))
    if cpu >= probe.cpu_percent:
        state.cpu_since = now if state.cpu_since is None else state.cpu_since
        if now - state.cpu_since >= probe.cpu_seconds and not state.cpu_alerted:
            state.cpu_alerted = True
            alerts.append(("CPU Spike", f"CPU at {cpu:.0f}% for {now - state.cpu_since:.1f}s (threshold "
                                        f"{probe.cpu_percent:g}% for {probe.cpu_seconds:g}s); runaway loop suspected"))
    else:
        state.cpu_since, state.cpu_alerted = None, False
    return alerts
