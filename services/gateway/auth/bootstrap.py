"""First-start security: the JWT signing secret and the admin API key `aegis up` creates once."""

from __future__ import annotations

import os
import secrets
import uuid
from pathlib import Path

from services.gateway.auth.credentials import new_api_key
from services.gateway.auth.view import AuthView
from shared.config import Settings
from shared.errors import ConfigError
from shared.events.security import AUTH_STREAM, ApiKeyCreated
from shared.eventstore import EventStore
from shared.projections.projector import fold_stream

ADMIN_KEY_FILE = "admin.key"
JWT_SECRET_FILE = "jwt.secret"


def write_private(path: Path, text: str) -> None:
    """Write a secret readable by its owner only (0600 from the first byte, replacing any old file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text + "\n")
    os.replace(tmp, path)


def jwt_secret(settings: Settings) -> str:
    """The configured secret, else the one generated into <data_dir>/jwt.secret on first use."""
    if settings.jwt_secret:
        return settings.jwt_secret
    path = Path(settings.data_dir) / JWT_SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        secret = path.read_text().strip()
        if len(secret) < 32:
            raise ConfigError(f"{path} holds {len(secret)} characters; a JWT secret needs at least 32 (delete the "
                              "file to have a new one generated, or set jwt_secret)", path=str(path)) from None
        return secret
    with os.fdopen(fd, "w") as fh:
        secret = secrets.token_hex(32)
        fh.write(secret + "\n")
    return secret


async def load_auth_view(store: EventStore) -> AuthView:
    """The identity model as stored now (for processes that do not keep a projector running)."""
    view = AuthView()
    await fold_stream(store, AUTH_STREAM, "auth.>", view.apply)
    return view


async def ensure_admin_key(store: EventStore, data_dir: Path) -> str | None:
    """Issue the bootstrap admin key when none is active; write it to <data_dir>/admin.key (0600).
    Returns the new key (to print once), or None when one already exists."""
    view = await load_auth_view(store)
    if view.has_active_admin_key():
        return None
    key, digest, prefix = new_api_key()
    await store.append_system(ApiKeyCreated(key_id=uuid.uuid4().hex[:16], label="bootstrap admin", owner="bootstrap",
                                            role="admin", digest=digest, prefix=prefix))
    write_private(data_dir / ADMIN_KEY_FILE, key)
    return key
