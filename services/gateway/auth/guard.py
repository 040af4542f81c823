"""Who is calling and may they: credentials → principal → role check against the route table, with
rate limits per client address, per principal and on failed sign-ins. Pure of I/O (no NATS, no ASGI)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from services.gateway.auth import tokens
from services.gateway.auth.credentials import key_digest, looks_like_key
from services.gateway.auth.ratelimit import RateLimiter
from services.gateway.auth.view import AuthView, rank
from services.gateway.roles import PUBLIC, required_role
from shared.config import Settings
from shared.errors import ForbiddenError, RateLimitedError, UnauthorizedError


@dataclass(frozen=True)
class Principal:
    """The caller: a user (JWT), an API key, or nobody (public routes, --no-auth)."""

    id: str
    name: str
    role: str
    kind: str  # user | key | anonymous | local


ANONYMOUS = Principal("anonymous", "anonymous", "", "anonymous")
LOCAL = Principal("local", "local (--no-auth)", "admin", "local")


@dataclass(frozen=True)
class Credentials:
    """What a request presented: an API key and/or a bearer token (never logged)."""

    api_key: str | None = None
    bearer: str | None = None

    @classmethod
    def from_request(cls, headers: Mapping[str, str], query: Mapping[str, str], websocket: bool) -> Credentials:
        """X-API-Key or Authorization: Bearer (a key or a JWT); a WebSocket may also use ?api_key= / ?token=
        because browsers cannot set headers on one."""
        api_key = headers.get("x-api-key") or None
        bearer = None
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            bearer = value.strip()
        if websocket:  # a browser cannot set headers on a WebSocket: the cockpit sends ["aegis", <key or JWT>]
            offered = [p.strip() for p in headers.get("sec-websocket-protocol", "").split(",") if p.strip()]
            carried = [p for p in offered if p != WS_SUBPROTOCOL] if WS_SUBPROTOCOL in offered else []
            if carried and looks_like_key(carried[0]):
                api_key = api_key or carried[0]
            elif carried:
                bearer = bearer or carried[0]
            # still read (older clients), but a URL is logged by proxies: the cockpit no longer sends it
            api_key = api_key or query.get("api_key") or None
            bearer = bearer or query.get("token") or None
        return cls(api_key, bearer)

    @property
    def present(self) -> bool:
        return bool(self.api_key or self.bearer)


WS_SUBPROTOCOL = "aegis"  # the subprotocol the gateway accepts a WebSocket under when credentials ride beside it


class Guard:
    """Authenticates and authorises one call; raises Unauthorized/Forbidden/RateLimited errors."""

    def __init__(self, settings: Settings, view: AuthView, secret: str,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.view = view
        self.secret = secret
        self.per_principal = RateLimiter(settings.rate_limit_per_minute, clock=clock)
        self.per_address = RateLimiter(settings.rate_limit_per_address_per_minute, clock=clock)
        self.failures = RateLimiter(settings.auth_failures_per_minute, clock=clock)
        self.refused: Counter[int] = Counter()  # by HTTP status, for /metrics/prometheus

    def required(self, method: str, route: str | None) -> str:
        """The route's role; open registration makes /auth/register public."""
        if self.settings.open_registration and (method, route) == ("POST", "/auth/register"):
            return PUBLIC
        return required_role(method, route)

    def check(self, method: str, route: str | None, creds: Credentials, client: str) -> Principal:
        """The principal allowed to make this call."""
        _limit(self.per_address.take(f"addr:{client}"), "too many requests from this address")
        needed = self.required(method, route)
        if needed == PUBLIC:
            return ANONYMOUS
        if not self.settings.auth:
            return LOCAL
        if not creds.present:
            raise UnauthorizedError("authentication required: send X-API-Key or Authorization: Bearer <token>")
        _limit(self.failures.retry_after(f"fail:{client}"), "too many failed sign-ins from this address")
        try:
            principal = self.authenticate(creds)
        except UnauthorizedError:
            self.failures.take(f"fail:{client}")
            raise
        _limit(self.per_principal.take(f"principal:{principal.id}"), "too many requests for this principal")
        return _permitted(principal, method, route, needed)

    def recheck(self, method: str, route: str | None, creds: Credentials) -> Principal:
        """For a session already admitted (a WebSocket): the same credentials still name a principal allowed this
        route — not revoked, not expired, not demoted. No rate limit: it is the server asking, not the client."""
        needed = self.required(method, route)
        if needed == PUBLIC or not self.settings.auth:
            return ANONYMOUS if needed == PUBLIC else LOCAL
        return _permitted(self.authenticate(creds), method, route, needed)

    def authenticate(self, creds: Credentials) -> Principal:
        """The principal behind the credentials, or UnauthorizedError (which never repeats them)."""
        key = creds.api_key or (creds.bearer if creds.bearer and looks_like_key(creds.bearer) else None)
        if key is not None:
            found = self.view.key_for(key_digest(key))
            role = self.view.effective_role(found) if found is not None else None
            if found is None or role is None:
                raise UnauthorizedError("invalid or revoked API key")
            owner = self.view.users.get(found.owner)  # a user's key acts as that user; others by their name
            name = owner.email if owner is not None else f"key {found.label} ({found.prefix}…)"
            return Principal(f"key:{found.key_id}", name, role, "key")
        assert creds.bearer is not None
        user = self.view.users.get(tokens.verify(self.secret, creds.bearer))
        if user is None:
            raise UnauthorizedError("invalid token (unknown user)")
        return Principal(user.user_id, user.email, user.role, "user")

    def login_allowed(self, client: str) -> None:
        """Before a password check: refuse addresses that failed too often."""
        _limit(self.failures.retry_after(f"fail:{client}"), "too many failed sign-ins from this address")

    def login_failed(self, client: str) -> None:
        self.failures.take(f"fail:{client}")


def _limit(retry_after: int, message: str) -> None:
    if retry_after:
        raise RateLimitedError(message, retry_after=retry_after)


def _permitted(principal: Principal, method: str, route: str | None, needed: str) -> Principal:
    """The principal, when its role is at least the route's; ForbiddenError otherwise."""
    if rank(principal.role) < rank(needed):
        raise ForbiddenError(f"{method} {route} needs the {needed} role; {principal.name} is {principal.role}")
    return principal
