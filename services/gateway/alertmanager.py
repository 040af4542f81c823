"""Alertmanager alerts as incidents, pure: ids from fingerprint + start (re-sends and HA pairs dedup)."""

from __future__ import annotations

import re

from services.gateway.schemas import AlertmanagerAlert, IncidentPayload

_NOT_ID = re.compile(r"[^A-Za-z0-9]")


def incident_id(alert: AlertmanagerAlert) -> str:
    """Same alert episode → same id: Alertmanager re-sends every group_interval and HA pairs send twice."""
    started = _NOT_ID.sub("", alert.startsAt)[:14]
    return f"am-{alert.fingerprint}-{started}" if started else f"am-{alert.fingerprint}"


def to_incident(alert: AlertmanagerAlert, target_label: str) -> IncidentPayload:
    """alert_type from alertname, severity from labels.severity, target from `target_label`, logs from annotations."""
    lines = [f"{k}: {v}" for k, v in sorted(alert.annotations.items())]
    lines.append("labels: " + ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items())))
    severity = alert.labels.get("severity", "").upper()
    return IncidentPayload(
        incident_id=incident_id(alert), alert_type=alert.labels.get("alertname", "Alertmanager alert")[:200],
        logs="\n".join(lines), container_name=alert.labels.get(target_label) or None,
        severity=severity if severity in ("CRITICAL", "WARNING", "INFO") else None,
        timestamp=alert.startsAt or None)
