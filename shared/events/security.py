"""Security events: who may use AegisOps (users, API keys, role grants) and what they did (audit).

Secrets never enter an event: passwords are stored as scrypt hashes, API keys as SHA-256 digests
plus a short display prefix. The AUTH stream is the identity store (kept forever); AUDIT ages out.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from shared.events.base import Event

AUTH_STREAM = "AUTH"
AUDIT_STREAM = "AUDIT"

Role = Literal["viewer", "operator", "approver", "admin"]


class AuthEvent(Event, frozen=True, kw_only=True):
    """Stored under auth.<kind>.<id>.<name>."""

    stream: ClassVar[str] = AUTH_STREAM
    kind: ClassVar[str] = "users"

    def nats_subject(self, key: str) -> str:
        return f"auth.{self.kind}.{self._id()}.{self.name()}"

    def _id(self) -> str:
        raise NotImplementedError


class UserRegistered(AuthEvent, frozen=True, kw_only=True, tag="auth.user_registered.v1"):
    """A user account exists; stored first-only on its subject, so an email registers once."""

    user_id: str  # derived from the normalised email
    email: str
    full_name: str = ""
    password_hash: str
    role: Role = "viewer"
    by: str = ""

    def _id(self) -> str:
        return self.user_id


class RoleGranted(AuthEvent, frozen=True, kw_only=True, tag="auth.role_granted.v1"):
    """An admin changed a user's role (their JWTs and keys follow at once)."""

    user_id: str
    role: Role
    by: str

    def _id(self) -> str:
        return self.user_id


class ApiKeyCreated(AuthEvent, frozen=True, kw_only=True, tag="auth.api_key_created.v1"):
    """A key was issued; only its digest is kept, the key itself was shown once."""

    kind: ClassVar[str] = "keys"
    key_id: str
    label: str  # the name its creator gave it (the AgentOps contract's "name")
    owner: str  # a user id, or "bootstrap" for the admin key `aegis up` creates
    role: Role
    digest: str  # sha256 hex of the whole key
    prefix: str  # the first characters, to recognise a key in listings

    def _id(self) -> str:
        return self.key_id


class ApiKeyRevoked(AuthEvent, frozen=True, kw_only=True, tag="auth.api_key_revoked.v1"):
    """A key stops working everywhere."""

    kind: ClassVar[str] = "keys"
    key_id: str
    by: str

    def _id(self) -> str:
        return self.key_id


class CallAudited(Event, frozen=True, kw_only=True, tag="audit.call.v1"):
    """A mutating API call (or a refused one): who, what, from where, with which outcome. No bodies."""

    stream: ClassVar[str] = AUDIT_STREAM
    principal: str  # a user id, key:<key id>, anonymous or local
    principal_name: str  # the user's email, or the key's name and prefix
    role: str
    method: str
    route: str
    path: str
    status: int
    client: str
    request_id: str
    # refused anonymous calls from one address are recorded once per window: this one and those since the last record
    count: int = 1

    def nats_subject(self, key: str) -> str:
        return f"audit.{self.method.lower()}"


AUTH_EVENTS: tuple[type[Event], ...] = (UserRegistered, RoleGranted, ApiKeyCreated, ApiKeyRevoked)
AUDIT_EVENTS: tuple[type[Event], ...] = (CallAudited,)
