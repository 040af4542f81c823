"""The identity read model, folded from the AUTH stream: users, API keys (by digest) and their roles."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from shared.events import Envelope, iso
from shared.events.security import ApiKeyCreated, ApiKeyRevoked, RoleGranted, UserRegistered

ROLE_ORDER = ("viewer", "operator", "approver", "admin")


def rank(role: str) -> int:
    """A role's place in viewer < operator < approver < admin (unknown: below viewer)."""
    return ROLE_ORDER.index(role) if role in ROLE_ORDER else -1


@dataclass
class User:
    user_id: str
    email: str
    full_name: str
    password_hash: str
    role: str
    created_at: datetime

    def to_json(self) -> dict:
        return {"id": self.user_id, "email": self.email, "full_name": self.full_name, "role": self.role,
                "created_at": iso(self.created_at)}


@dataclass
class ApiKey:
    key_id: str
    label: str
    owner: str
    role: str
    digest: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def to_json(self) -> dict:
        """The AgentOps contract's key shape, without the key (it was shown once) and with what it may do."""
        return {"id": self.key_id, "name": self.label, "prefix": self.prefix, "owner": self.owner,
                "role": self.role, "created_at": iso(self.created_at), "is_active": self.active,
                "revoked_at": iso(self.revoked_at) if self.revoked_at else None}


@dataclass
class AuthView:
    users: dict[str, User] = field(default_factory=dict)
    keys: dict[str, ApiKey] = field(default_factory=dict)
    key_by_digest: dict[str, str] = field(default_factory=dict)
    applied_seq: int = 0

    def apply(self, seq: int, env: Envelope) -> None:
        p = env.payload
        if isinstance(p, UserRegistered):
            self.users[p.user_id] = User(p.user_id, p.email, p.full_name, p.password_hash, p.role, env.time)
        elif isinstance(p, RoleGranted) and p.user_id in self.users:
            self.users[p.user_id].role = p.role
        elif isinstance(p, ApiKeyCreated):
            self.keys[p.key_id] = ApiKey(p.key_id, p.label, p.owner, p.role, p.digest, p.prefix, env.time)
            self.key_by_digest[p.digest] = p.key_id
        elif isinstance(p, ApiKeyRevoked) and p.key_id in self.keys:
            self.keys[p.key_id].revoked_at = env.time
        self.applied_seq = max(self.applied_seq, seq)

    def user_by_email(self, email: str) -> User | None:
        return next((u for u in self.users.values() if u.email == email), None)

    def key_for(self, digest: str) -> ApiKey | None:
        key_id = self.key_by_digest.get(digest)
        key = self.keys.get(key_id) if key_id else None
        return key if key is not None and key.active else None

    def effective_role(self, key: ApiKey) -> str | None:
        """A key can do what it was issued for, never more than its owner can do now (None: owner gone)."""
        if key.owner == "bootstrap":
            return key.role
        owner = self.users.get(key.owner)
        if owner is None:
            return None
        return key.role if rank(key.role) <= rank(owner.role) else owner.role

    def has_active_admin_key(self) -> bool:
        return any(k.active and k.role == "admin" and k.owner == "bootstrap" for k in self.keys.values())
