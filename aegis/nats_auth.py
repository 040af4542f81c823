"""NATS with least privilege: a user per service (plus admin, reader and intake), passwords kept in the data dir
(0600, one file per user, handed to that user's process alone) and bcrypt-hashed in the server's config, per-subject
permissions derived from the wiring registry (shared/wiring.py: APPENDS, SENDS, ANSWERS, KV_BUCKETS). A server
started with this config refuses anonymous connections.

What each role may do:
- a service appends only its own event types (the gateway approvals, keys and audit records; executors action
  outcomes; the analyst runbook entries and evaluations), publishes only its own plain subjects, answers only its own
  requests (nobody else may subscribe there), uses the JetStream API except what rewrites history (stream update,
  delete, purge, message delete, snapshot/restore, peer and meta operations);
- `reader` (the CLI's replay and what-if) reads streams and creates consumers, and writes nothing;
- `intake` (aegis chaos and other alert producers) publishes alerts on the intake subject and reads like `reader`;
- `admin` (`aegis up`'s supervisor, `aegis setup`, `aegis runbook import`, the test harness) may do everything."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from shared.config import SERVICE_NAMES, nats_credentials_file
from shared.errors import ConfigError
from shared.jetstream import read_credentials
from shared.wiring import ANSWERS, APPENDS, INTAKE_ALERTS, KV_BUCKETS, SENDS, SUPERVISOR_RPC, event_subjects

ROLES = (*SERVICE_NAMES, "admin", "reader", "intake")
ROUTE_USER = "route"  # cluster routes between nodes authenticate too
BCRYPT_COST = 10  # the server checks it on every connect: ~60 ms here at 10
HISTORY_REWRITES = ["$JS.API.STREAM.UPDATE.>", "$JS.API.STREAM.DELETE.>", "$JS.API.STREAM.PURGE.>",
                    "$JS.API.STREAM.MSG.DELETE.>", "$JS.API.STREAM.SNAPSHOT.>", "$JS.API.STREAM.RESTORE.>",
                    "$JS.API.STREAM.PEER.REMOVE.>", "$JS.API.STREAM.LEADER.STEPDOWN.>", "$JS.API.META.>",
                    "$JS.API.SERVER.>", "$JS.API.ACCOUNT.>"]
READ_ONLY_API = ["$JS.API.INFO", "$JS.API.STREAM.INFO.*", "$JS.API.STREAM.NAMES", "$JS.API.STREAM.LIST",
                 "$JS.API.STREAM.MSG.GET.*", "$JS.API.DIRECT.GET.>", "$JS.API.CONSUMER.CREATE.>",
                 "$JS.API.CONSUMER.INFO.>", "$JS.API.CONSUMER.NAMES.*", "$JS.API.CONSUMER.LIST.*",
                 "$JS.API.CONSUMER.MSG.NEXT.>", "$JS.API.CONSUMER.DELETE.>", "$JS.ACK.>", "$JS.FC.>"]


def _responders() -> list[str]:
    """Request subjects with one rightful answerer: subscribing there would take its requests."""
    return sorted({s for subjects in ANSWERS.values() for s in subjects} | {f"{SUPERVISOR_RPC}.>"})


def permissions(role: str) -> dict:
    """The nats-server permissions block of one role."""
    if role == "admin":
        return {"publish": {"allow": [">"]}, "subscribe": {"allow": [">"]}}
    if role == "reader":
        return {"publish": {"allow": READ_ONLY_API}, "subscribe": {"allow": [">"], "deny": _responders()}}
    if role == "intake":  # sends alerts and may follow what became of them
        return {"publish": {"allow": [INTAKE_ALERTS, *READ_ONLY_API]},
                "subscribe": {"allow": [">"], "deny": _responders()}}
    if role not in SERVICE_NAMES:
        raise ConfigError(f"unknown NATS role {role!r} (one of {', '.join(ROLES)})")
    own = sorted({event_subjects(e) for e in APPENDS.get(role, ())} | set(SENDS.get(role, ())))
    kv = [f"$KV.{bucket}.>" for bucket in KV_BUCKETS.get(role, ())]
    answers = set(ANSWERS.get(role, ()))
    return {"publish": {"allow": [*own, *kv, "$JS.API.>", "$JS.ACK.>", "$JS.FC.>"], "deny": HISTORY_REWRITES},
            "subscribe": {"allow": [">"], "deny": [s for s in _responders() if s not in answers]},
            "allow_responses": True}


class NatsAuth:
    """The NATS users of one deployment: <data_dir>/nats (0700), a <role>.creds file (0600) per user."""

    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir)
        self.directory = nats_credentials_file(data_dir, ROUTE_USER).parent

    def path(self, role: str) -> Path:
        return nats_credentials_file(self.data_dir, role)

    def ensure(self) -> None:
        """Create the missing users' passwords; existing ones are kept (running clients keep working)."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        for role in (*ROLES, ROUTE_USER):
            path = self.path(role)
            if not path.exists():
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as f:
                    json.dump({"user": role, "password": secrets.token_urlsafe(32)}, f)
            os.chmod(path, 0o600)

    def credentials(self, role: str) -> tuple[str, str]:
        """(user, password) of one role."""
        return read_credentials(self.path(role))

    def route_url(self, host_port: str) -> str:
        """A route to another node, authenticated (the URL only ever appears in the 0600 server config)."""
        user, password = self.credentials(ROUTE_USER)
        return f"nats://{user}:{password}@{host_port}"

    def server_config(self, cluster: dict | None = None) -> str:
        """The nats-server config: users with hashed passwords and their permissions; no anonymous access."""
        import bcrypt

        def hashed(password: str) -> str:
            return bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_COST)).decode()

        users = []
        for role in ROLES:
            user, password = self.credentials(role)
            users.append({"user": user, "password": hashed(password), "permissions": permissions(role)})
        config = {"authorization": {"users": users}}
        if cluster is not None:
            user, password = self.credentials(ROUTE_USER)
            config["cluster"] = {**cluster, "authorization": {"user": user, "password": hashed(password)}}
        return json.dumps(config, indent=1)

    def write_server_config(self, cluster: dict | None = None, name: str = "aegis") -> Path:
        """The config file of one server (0600: it holds the route password), rewritten at every start so the
        permissions always match this release's wiring."""
        path = self.directory / f"{name}.conf"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.server_config(cluster))
        return path
