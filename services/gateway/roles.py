"""The role every route will need, in one table (enforced once the security issue lands)."""

from __future__ import annotations

from typing import Literal

Role = Literal["viewer", "operator", "approver", "admin"]
ROLE_ORDER: tuple[Role, ...] = ("viewer", "operator", "approver", "admin")

ROUTE_ROLES: dict[tuple[str, str], Role] = {
    ("POST", "/webhook"): "operator",
    ("GET", "/incidents"): "viewer",
    ("GET", "/incidents/{incident_id}"): "viewer",
    ("POST", "/incidents/{incident_id}/approve"): "approver",
    ("POST", "/incidents/{incident_id}/reject"): "approver",
    ("GET", "/health"): "viewer",
    ("GET", "/runbook"): "viewer",
    ("POST", "/scale/{direction}"): "operator",
    ("GET", "/containers"): "viewer",
    ("GET", "/targets"): "viewer",
    ("GET", "/notifications"): "viewer",
    ("POST", "/notifications/{incident_id}/{draft_id}/approve"): "approver",
    ("POST", "/notifications/{incident_id}/{draft_id}/reject"): "approver",
    ("POST", "/notifications/{incident_id}/{draft_id}/edit"): "approver",
    ("GET", "/metrics"): "viewer",
    ("GET", "/topology"): "viewer",
    ("GET", "/rag/test"): "viewer",
    ("GET", "/metrics/prometheus"): "viewer",
    ("WS", "/ws"): "viewer",
    ("GET", "/api/system/supervisor"): "viewer",
    ("GET", "/api/system/supervisor/status"): "viewer",
    ("POST", "/api/system/supervisor/workers/{name}/start"): "admin",
    ("POST", "/api/system/supervisor/workers/{name}/stop"): "admin",
    ("POST", "/api/system/supervisor/workers/{name}/restart"): "admin",
    ("POST", "/api/system/supervisor/reset/{name}"): "admin",
    ("GET", "/api/system/supervisor/restart-history"): "viewer",
    ("GET", "/api/system/pipeline"): "viewer",
    ("GET", "/api/system/websocket/events"): "viewer",
    ("GET", "/api/system/health/websocket"): "viewer",
    ("GET", "/api/system/circuit-breakers"): "viewer",
    ("POST", "/api/system/circuit-breakers/{name}/reset"): "admin",
    ("GET", "/api/system/health/full"): "viewer",
    ("GET", "/api/system/performance"): "viewer",
    ("GET", "/api/system/performance/history"): "viewer",
    ("GET", "/api/system/monitoring/health"): "viewer",
    ("GET", "/api/system/monitoring/targets"): "viewer",
}


def required_role(method: str, path: str) -> Role:
    """The role a route needs; unknown routes need admin (deny by default)."""
    return ROUTE_ROLES.get((method.upper(), path), "admin")
