"""The role every route needs, in one table; the security middleware enforces it for HTTP and WebSocket.

viewer < operator < approver < admin: a higher role may do everything a lower one may. `public` routes
need no credentials (health probes, sign-in, the API schema — AegisOps is open source, its schema is no
secret). A route missing here needs admin: deny by default, and a test keeps every route listed.
"""

from __future__ import annotations

import re
from typing import Literal

Role = Literal["viewer", "operator", "approver", "admin", "public"]
PUBLIC: Role = "public"

ROUTE_ROLES: dict[tuple[str, str], Role] = {
    ("POST", "/webhook"): "operator",
    ("GET", "/incidents"): "viewer",
    ("GET", "/incidents/{incident_id}"): "viewer",
    ("POST", "/incidents/{incident_id}/approve"): "approver",
    ("POST", "/incidents/{incident_id}/reject"): "approver",
    ("GET", "/"): "public",  # the cockpit page and assets hold no data; it signs in with a key
    ("GET", "/cockpit/{asset}"): "public",
    ("GET", "/health"): "public",
    ("GET", "/health/db"): "public",
    ("GET", "/health/ready"): "public",
    ("GET", "/openapi.json"): "public",
    ("GET", "/docs"): "public",
    ("GET", "/docs-assets/{asset}"): "public",  # Swagger UI and ReDoc, served from this host (api_docs/)
    ("GET", "/redoc"): "public",
    ("POST", "/auth/login"): "public",
    ("POST", "/auth/register"): "admin",  # public as a viewer when open_registration = true
    ("GET", "/auth/me"): "viewer",
    ("POST", "/auth/api-keys"): "viewer",  # own keys, never above one's own role
    ("GET", "/auth/api-keys"): "viewer",  # own keys; admins see all
    ("DELETE", "/auth/api-keys/{key_id}"): "viewer",  # own keys; admins any
    ("GET", "/auth/users"): "admin",
    ("POST", "/auth/users/{user_id}/role"): "admin",
    ("GET", "/audit"): "admin",
    ("POST", "/evaluations/"): "operator",
    ("GET", "/evaluations/"): "viewer",
    ("GET", "/evaluations/stats"): "viewer",
    ("GET", "/evaluations/{evaluation_id}"): "viewer",
    ("GET", "/runbook"): "viewer",
    ("POST", "/silences"): "operator",
    ("GET", "/silences"): "viewer",
    ("DELETE", "/silences/{silence_id}"): "operator",
    ("POST", "/scale/{direction}"): "operator",
    ("GET", "/containers"): "viewer",
    ("GET", "/targets"): "viewer",
    ("GET", "/notifications"): "viewer",
    ("POST", "/notifications/{incident_id}/{draft_id}/approve"): "operator",
    ("POST", "/notifications/{incident_id}/{draft_id}/reject"): "operator",
    ("POST", "/notifications/{incident_id}/{draft_id}/edit"): "operator",
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
    ("GET", "/api/system/nodes"): "viewer",
    ("GET", "/incidents/{incident_id}/postmortem"): "viewer",
    ("GET", "/reports/judgment"): "viewer",
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


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template)) + "$")


# (template, pattern), literal templates first so /x/status wins over /x/{name}
_PATTERNS = [(t, _pattern(t)) for t in sorted({t for _, t in ROUTE_ROLES}, key=lambda t: (t.count("{"), t))]


def route_for(method: str, path: str) -> str | None:
    """The route template a request path falls under, read from this table alone (so what a request
    needs never depends on the web framework's routing internals). None: no route has this path."""
    method = "GET" if method.upper() == "HEAD" else method.upper()
    matches = [t for t, pattern in _PATTERNS if pattern.match(path)]
    return next((t for t in matches if (method, t) in ROUTE_ROLES), matches[0] if matches else None)


def required_role(method: str, route: str | None) -> Role:
    """The role a route (its path template) needs. Unknown routes need admin (deny by default); a path
    that matches no route needs a viewer, so anonymous callers learn nothing of what exists."""
    if route is None:
        return "viewer"
    method = "GET" if method.upper() == "HEAD" else method.upper()
    return ROUTE_ROLES.get((method, route), "admin")
