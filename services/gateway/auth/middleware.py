"""The one ASGI layer every HTTP request and WebSocket handshake passes: route → guard → app → audit.

It runs before any body is read, so an anonymous caller gets 401/429 and never a parse error; it names
the caller in `scope["state"]["principal"]` for the routes, and records every mutating call (and every
refused one) as a CallAudited event naming the principal. Bodies and credentials are never recorded.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from services.gateway.auth.guard import ANONYMOUS, Credentials, Guard, Principal
from services.gateway.errors import status_for
from services.gateway.roles import route_for
from shared.errors import AegisError, RateLimitedError, UnauthorizedError
from shared.events.security import CallAudited
from shared.log import get_logger

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
Record = Callable[[CallAudited], Awaitable[None]]
log = get_logger("gateway.security")


class RefusalWindow:
    """Refused anonymous calls from one address are audited once per window: a record carries itself and the calls
    counted (not recorded) since that address's previous record, so a flood costs one event a minute per address."""

    def __init__(self, window: float = 60.0, max_addresses: int = 10_000) -> None:
        self.window = window
        self.max_addresses = max_addresses
        self.last: dict[str, float] = {}  # address → when its last record was made
        self.unrecorded: Counter[str] = Counter()

    def admit(self, client: str, now: float) -> int:
        """How many calls the record made now stands for (0: count it, record nothing)."""
        last = self.last.get(client)
        if last is not None and now - last < self.window:
            self.unrecorded[client] += 1
            return 0
        stood_for = 1 + self.unrecorded.pop(client, 0)
        if len(self.last) >= self.max_addresses:  # forget quiet addresses (their unrecorded counts go with them)
            for address in [a for a, t in self.last.items() if now - t >= self.window]:
                del self.last[address]
                self.unrecorded.pop(address, None)
        self.last[client] = now
        return stood_for


class SecurityMiddleware:
    def __init__(self, app: Any, guard: Guard, record: Record | None = None) -> None:
        self.app = app
        self.guard = guard
        self.record = record
        self.anonymous_refusals = RefusalWindow()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        method = "WS" if kind == "websocket" else scope["method"]
        route = route_for(method, scope.get("path", ""))
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        client = (scope.get("client") or ("unknown", 0))[0]
        request_id = uuid.uuid4().hex[:16]
        state = scope.setdefault("state", {})
        status = 0

        async def send_with_id(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"x-request-id", request_id.encode())]}
            await send(message)

        creds = Credentials.from_request(headers, query, kind == "websocket")
        try:
            principal = self.guard.check(method, route, creds, client)
        except AegisError as exc:
            status = status_for(exc)
            self.guard.refused[status] += 1
            principal = ANONYMOUS
            await self._refuse(scope, send_with_id, exc, status)
        else:
            state["principal"] = principal
            if kind == "websocket":  # the hub asks again while the session lasts (feed.py)
                state["recheck"] = lambda: self.guard.recheck(method, route, creds)
            await self.app(scope, receive, send_with_id)
            principal = state.get("principal", principal)  # /auth/login names who signed in
            if kind == "websocket":
                status = status or 101
        if self.record is not None and (method in MUTATING or status in (401, 403)):
            count = 1
            if principal is ANONYMOUS and status == 401:  # a flood of anonymous probes must not fill the stream
                count = self.anonymous_refusals.admit(client, time.monotonic())
            if count:
                await self._audit(principal, method, route, scope, status, client, request_id, count)

    async def _refuse(self, scope: dict, send: Any, exc: AegisError, status: int) -> None:
        body = json.dumps({"detail": exc.message}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if isinstance(exc, UnauthorizedError):
            headers.append((b"www-authenticate", b'Bearer realm="aegisops", X-API-Key'))
        if isinstance(exc, RateLimitedError):
            headers.append((b"retry-after", str(exc.retry_after).encode()))
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        elif "websocket.http.response" in scope.get("extensions", {}):
            await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
            await send({"type": "websocket.http.response.body", "body": body})
        else:
            await send({"type": "websocket.close", "code": 1008, "reason": exc.message[:120]})

    async def _audit(self, principal: Principal, method: str, route: str | None, scope: dict, status: int,
                     client: str, request_id: str, count: int = 1) -> None:
        event = CallAudited(
            principal=principal.id,
            principal_name=principal.name,
            role=principal.role,
            method=method,
            route=route or "",
            path=scope.get("path", "")[:512],
            status=status,
            client=client,
            request_id=request_id,
            count=count,
        )
        try:
            await self.record(event)  # type: ignore[misc]
        except AegisError as exc:
            log.error(
                "audit event not recorded",
                extra={"error": exc.message, "request_id": request_id, "method": method, "path": event.path},
            )
