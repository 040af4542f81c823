"""/auth/* (the AgentOps contract's register, login and API keys, plus roles) and /audit, over the AUTH and AUDIT
streams."""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from services.gateway.auth import tokens
from services.gateway.auth.credentials import (
    DUMMY_HASH,
    check_password_policy,
    hash_password,
    new_api_key,
    normalise_email,
    user_id_for,
    verify_password,
)
from services.gateway.auth.guard import LOCAL, Guard, Principal
from services.gateway.auth.view import AuthView, rank
from shared.config import Settings
from shared.errors import ConcurrencyError, DomainError, ForbiddenError, NotFoundError, UnauthorizedError
from shared.events import Envelope, iso
from shared.events.security import ApiKeyCreated, ApiKeyRevoked, CallAudited, RoleGranted, UserRegistered
from shared.eventstore import EventStore
from shared.projections.projector import Projector

RoleName = Literal["viewer", "operator", "approver", "admin"]


class Register(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=254, examples=["user@example.com"])
    password: str = Field(min_length=1, max_length=256)
    full_name: str = Field(default="", max_length=200)
    role: RoleName = "viewer"


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)


class NewKey(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, examples=["My Production Key"])
    role: RoleName | None = Field(default=None, description="At most your own role; default your own role")


class Grant(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: RoleName


class AuditView:
    """The last `limit` audited calls, folded from the AUDIT stream."""

    def __init__(self, limit: int = 10_000) -> None:
        self.calls: deque[dict[str, Any]] = deque(maxlen=limit)

    def apply(self, seq: int, env: Envelope) -> None:
        if isinstance(env.payload, CallAudited):
            self.calls.append({"seq": seq, "at": iso(env.time), **{f: getattr(env.payload, f)
                                                                  for f in CallAudited.__struct_fields__}})


@dataclass
class Auth:
    """What the auth routes need: settings, the read models, their projectors, the store and the guard."""

    settings: Settings
    store: EventStore
    view: AuthView
    projector: Projector
    guard: Guard
    audit: AuditView = field(default_factory=AuditView)
    audit_projector: Projector | None = None

    async def stop(self) -> None:
        await self.projector.stop()
        if self.audit_projector is not None:
            await self.audit_projector.stop()

    async def record(self, event: CallAudited) -> None:
        await self.store.append_system(event)

    async def append(self, event: Any, first: bool = False) -> None:
        """Append an auth event and answer only once this gateway's view has it (read your writes)."""
        seq = await self.store.append_system(event, first=first)
        await self.projector.wait_for(seq)


def principal_of(request: Request) -> Principal:
    """Who the security middleware let in (LOCAL when the app runs without it)."""
    return getattr(request.state, "principal", LOCAL)


def key_owner(auth: Auth, principal: Principal) -> str:
    """The owner a new key gets: the signed-in user, or whoever owns the key making the call."""
    if principal.kind == "key":
        return auth.view.keys[principal.id.removeprefix("key:")].owner
    return principal.id if principal.kind == "user" else "bootstrap"


def build_auth_router(auth: Auth) -> APIRouter:
    router = APIRouter(tags=["auth"])

    @router.post("/auth/register", status_code=201, summary="Create a user (admin, or anyone as a viewer when "
                                                            "open_registration is on)")
    async def register(body: Register, request: Request) -> dict[str, Any]:
        principal = principal_of(request)
        if body.role != "viewer" and rank(principal.role) < rank("admin"):
            raise ForbiddenError("only an admin may register a user with a role above viewer")
        email = normalise_email(body.email)
        check_password_policy(body.password)
        if auth.view.user_by_email(email) is not None:
            raise DomainError("a user with this email already exists")
        user_id = user_id_for(email)
        password_hash = await asyncio.to_thread(hash_password, body.password)
        try:
            await auth.append(UserRegistered(user_id=user_id, email=email, full_name=body.full_name,
                                             password_hash=password_hash, role=body.role, by=principal.name),
                              first=True)
        except ConcurrencyError:
            raise DomainError("a user with this email already exists") from None
        return auth.view.users[user_id].to_json()

    @router.post("/auth/login", summary="Exchange email and password for a JWT (AgentOps contract)")
    async def login(body: Login, request: Request) -> dict[str, Any]:
        client = (request.client.host if request.client else "unknown")
        auth.guard.login_allowed(client)
        try:
            user = auth.view.user_by_email(normalise_email(body.email))
        except Exception:  # noqa: BLE001 - a malformed email is just a failed sign-in
            user = None
        ok = await asyncio.to_thread(verify_password, body.password, user.password_hash if user else DUMMY_HASH)
        if user is None or not ok:
            auth.guard.login_failed(client)
            raise UnauthorizedError("invalid email or password")
        request.state.principal = Principal(user.user_id, user.email, user.role, "user")
        minutes = auth.settings.jwt_expiry_minutes
        return {"access_token": tokens.issue(auth.guard.secret, user.user_id, minutes), "token_type": "bearer",
                "expires_in": minutes * 60}

    @router.get("/auth/me", summary="Who you are signed in as, and your role")
    async def me(request: Request) -> dict[str, Any]:
        p = principal_of(request)
        return {"id": p.id, "name": p.name, "role": p.role, "kind": p.kind}

    @router.post("/auth/api-keys", status_code=201, summary="Create an API key (shown once; at most your role)")
    async def create_key(body: NewKey, request: Request) -> dict[str, Any]:
        principal = principal_of(request)
        role = body.role or principal.role
        if rank(role) > rank(principal.role):
            raise ForbiddenError(f"a {principal.role} cannot create a key with the {role} role")
        key, digest, prefix = new_api_key()
        key_id = uuid.uuid4().hex[:16]
        await auth.append(ApiKeyCreated(key_id=key_id, label=body.name, owner=key_owner(auth, principal), role=role,
                                        digest=digest, prefix=prefix))
        return {**auth.view.keys[key_id].to_json(), "key": key}

    def visible(principal: Principal) -> list:  # type: ignore[type-arg]
        if principal.role == "admin":
            return list(auth.view.keys.values())
        owner = key_owner(auth, principal)
        return [k for k in auth.view.keys.values() if k.owner == owner]

    @router.get("/auth/api-keys", summary="Your API keys (admins: every key); never the keys themselves")
    async def list_keys(request: Request) -> list[dict[str, Any]]:
        return [k.to_json() for k in visible(principal_of(request))]

    @router.delete("/auth/api-keys/{key_id}", summary="Revoke an API key (yours; admins: any)")
    async def revoke_key(key_id: str, request: Request) -> dict[str, Any]:
        principal = principal_of(request)
        key = next((k for k in visible(principal) if k.key_id == key_id), None)
        if key is None:
            raise NotFoundError(f"API key {key_id} not found")
        if not key.active:
            raise DomainError(f"API key {key_id} is already revoked")
        await auth.append(ApiKeyRevoked(key_id=key_id, by=principal.name))
        return auth.view.keys[key_id].to_json()

    @router.get("/auth/users", summary="Every user and their role (admin)")
    async def users() -> list[dict[str, Any]]:
        return [u.to_json() for u in auth.view.users.values()]

    @router.post("/auth/users/{user_id}/role", summary="Grant a user a role (admin)")
    async def grant(user_id: str, body: Grant, request: Request) -> dict[str, Any]:
        if user_id not in auth.view.users:
            raise NotFoundError(f"user {user_id} not found")
        await auth.append(RoleGranted(user_id=user_id, role=body.role, by=principal_of(request).name))
        return auth.view.users[user_id].to_json()

    @router.get("/audit", summary="Audited calls, newest first (admin)")
    async def audit(limit: int = Query(default=100, ge=1, le=10_000), principal: str | None = None,
                    method: str | None = None) -> list[dict[str, Any]]:
        calls = [c for c in reversed(auth.audit.calls)
                 if (principal is None or principal in (c["principal"], c["principal_name"]))
                 and (method is None or c["method"] == method.upper())]
        return calls[:limit]

    return router


async def start_auth(store: EventStore, settings: Settings, secret: str) -> Auth:
    """Project AUTH and AUDIT, caught up, behind a guard: what create_app needs to secure the gateway."""
    from shared.events.security import AUDIT_STREAM, AUTH_STREAM

    view = AuthView()
    projector = Projector(store.nc, AUTH_STREAM, "auth.>", view.apply, "auth")
    await projector.start()
    await projector.catch_up(timeout=60)
    auth = Auth(settings, store, view, projector, Guard(settings, view, secret))
    auth.audit_projector = Projector(store.nc, AUDIT_STREAM, "audit.>", auth.audit.apply, "audit")
    await auth.audit_projector.start()
    return auth

def acting_as(request: Request, claimed: str | None) -> str:
    """The name a decision is recorded under: the authenticated principal's. Only without auth (--no-auth,
    bare tests) may a body's "by" or the X-Aegis-User header name someone."""
    principal = principal_of(request)
    if principal.kind in ("user", "key"):
        return principal.name
    return claimed or request.headers.get("x-aegis-user") or principal.name
