"""Connecting to NATS, declaring streams, and the one choke point every JetStream call goes through."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.kv import KeyValue

from shared.errors import (
    ConcurrencyError,
    ConfigError,
    EventStoreError,
    NotFoundError,
    StoreFullError,
    StoreUnavailableError,
)
from shared.events.correlation import CORRELATION_STREAM
from shared.events.incident import INCIDENTS_STREAM
from shared.events.knowledge import EVALUATIONS_STREAM, RUNBOOK_STREAM
from shared.events.security import AUDIT_STREAM, AUTH_STREAM
from shared.events.silences import SILENCES_STREAM
from shared.events.system import INVENTORY_STREAM, SYSTEM_STREAM
from shared.log import get_logger
from shared.natsfast import install as _install_fast_headers

T = TypeVar("T")
log = get_logger("jetstream")
_install_fast_headers()

ERR_WRONG_LAST_SEQUENCE = 10071
ERR_INSUFFICIENT_RESOURCES = 10023  # JetStream storage exhausted ("insufficient resources")
ERR_STREAM_NAME_IN_USE = 10058
ERR_CONSUMER_NOT_FOUND = 10014
ERR_STREAM_NOT_FOUND = 10059
SAMPLES_STREAM = "SAMPLES"
DUPLICATE_WINDOW = 120.0
DAY = 86400.0
# The oldest nats-server the event store works with: 2.11 brought Nats-Expected-Last-Subject-Sequence-Subject (one
# incident's optimistic concurrency over incidents.<id>.>) and batched direct gets (EventStore.load).
# docker-compose.yml's NATS image must be at least this (tests/test_compose.py); connect() refuses an older server.
NATS_SERVER_FLOOR = (2, 11, 0)
_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")

_TRANSIENT = (
    nats.errors.TimeoutError,
    asyncio.TimeoutError,
    nats.errors.NoRespondersError,
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.StaleConnectionError,
    nats.js.errors.NoStreamResponseError,
    nats.js.errors.ServiceUnavailableError,
    nats.js.errors.ServerError,
    ConnectionError,
    OSError,
)


def translate(exc: BaseException) -> BaseException:
    """Map a nats / JetStream exception to the AegisOps error hierarchy."""
    # nats-py's key-value errors (KeyNotFoundError, KeyWrongLastSequenceError, …) are APIErrors
    # that never set err_code / code / description: read them with defaults.
    err_code = getattr(exc, "err_code", None)
    description = getattr(exc, "description", None) or str(exc)
    if isinstance(exc, nats.js.errors.KeyWrongLastSequenceError) or (
            isinstance(exc, nats.js.errors.APIError) and err_code == ERR_WRONG_LAST_SEQUENCE):
        return ConcurrencyError("wrong last sequence: someone appended first", err_code=ERR_WRONG_LAST_SEQUENCE,
                                description=description)
    if isinstance(exc, nats.js.errors.APIError) and err_code == ERR_INSUFFICIENT_RESOURCES:
        return StoreFullError(f"the event store is out of space ({description}); nothing was written",
                              err_code=err_code)
    if isinstance(exc, nats.js.errors.NotFoundError):
        return NotFoundError(f"jetstream: {description}", err_code=err_code)
    if isinstance(exc, _TRANSIENT):
        return StoreUnavailableError(f"jetstream unavailable: {type(exc).__name__} {exc}")
    if isinstance(exc, nats.js.errors.APIError):
        return EventStoreError(f"jetstream error: {description}", err_code=err_code,
                               code=getattr(exc, "code", None))
    if isinstance(exc, nats.errors.Error):
        return StoreUnavailableError(f"nats error: {type(exc).__name__} {exc}")
    return exc


async def open_bucket(js: JetStreamContext, name: str, *, replicas: int, ttl: float = 0.0) -> KeyValue:
    """A KV bucket, created on first use (`ttl` 0: entries never age out)."""
    try:
        return await js_call(js.key_value(name))
    except Exception:  # noqa: BLE001 - not there yet
        return await js_call(js.create_key_value(bucket=name, ttl=ttl or None, history=1, replicas=replicas))


async def js_call(awaitable: Awaitable[T]) -> T:
    """Await a JetStream operation, converting server and connection errors into AegisErrors."""
    try:
        return await awaitable
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # translated, never swallowed
        translated = translate(exc)
        if translated is exc:
            raise
        raise translated from exc


def read_credentials(path: str | Path) -> tuple[str, str]:
    """(user, password) from a NATS credentials file (JSON {user, password}, aegis/nats_auth.py writes them);
    ConfigError naming the file when it is unusable."""
    try:
        raw = json.loads(Path(path).read_text())
        return str(raw["user"]), str(raw["password"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: not a usable NATS credentials file ({type(exc).__name__})",
                          path=str(path)) from None


async def connect(url: str, name: str, *, connect_timeout: float = 5.0, credentials: str | Path | None = None) -> NATS:
    """Connect with unlimited reconnects so services ride out a NATS restart (or a cluster node's loss:
    `url` may list every node, comma-separated, and the client fails over between them). `credentials`: the file
    of the NATS user to connect as (a server started by `aegis up` refuses anonymous clients)."""
    auth = {}
    if credentials:
        auth["user"], auth["password"] = read_credentials(credentials)
    refused = asyncio.Event()

    async def on_error(exc: Exception) -> None:
        if "authorization violation" in str(exc).lower():
            refused.set()
        log.warning("nats connection error", extra={"error": str(exc)})

    async def on_disconnect() -> None:
        log.warning("nats disconnected")

    async def on_reconnect() -> None:
        log.info("nats reconnected")

    servers = [u.strip() for u in url.split(",") if u.strip()]  # a cluster: "nats://a:4222,nats://b:4222"
    connecting = asyncio.ensure_future(js_call(nats.connect(
        servers, name=name, connect_timeout=connect_timeout, max_reconnect_attempts=-1,
        reconnect_time_wait=0.25, allow_reconnect=True, error_cb=on_error,
        disconnected_cb=on_disconnect, reconnected_cb=on_reconnect, pending_size=64 * 1024 * 1024, **auth,
    )))
    refusal = asyncio.ensure_future(refused.wait())
    await asyncio.wait({connecting, refusal}, return_when=asyncio.FIRST_COMPLETED)
    refusal.cancel()
    if not connecting.done():  # retrying would never help: a refused user stays refused
        connecting.cancel()
        who = f"the user in {credentials}" if credentials else "an anonymous client"
        raise ConfigError(f"NATS at {url} refused {who} (Authorization Violation); pass the credentials file "
                          "of a NATS user (--credentials, AEGIS_NATS_CREDENTIALS, or the data dir's "
                          "nats/<role>.creds)", url=url)
    nc = connecting.result()
    try:
        require_server_version(server_version(nc), url)
    except ConfigError:
        await nc.close()
        raise
    return nc


def server_version(nc: NATS) -> str:
    """The version the connected nats-server announced, e.g. "2.11.4" ("" when it is not a semantic version)."""
    announced = nc.connected_server_version
    try:
        return f"{announced.major}.{announced.minor}.{announced.patch}" + (f"-{announced.dev}" if announced.dev else "")
    except ValueError:
        return ""


def require_server_version(version: str, url: str = "") -> None:
    """Refuse a nats-server older than NATS_SERVER_FLOOR (or one whose version cannot be read): ConfigError naming
    both versions. `connect` runs it on every connection it opens, so every service, `aegis up` and `aegis setup`
    stop at start-up with this reason instead of failing later on a header the server ignores."""
    floor = ".".join(map(str, NATS_SERVER_FLOOR))
    found = _VERSION.match(version or "")
    if found and tuple(int(g) for g in found.groups()) >= NATS_SERVER_FLOOR:
        return
    where = f" at {url}" if url else ""
    raise ConfigError(f"nats-server{where} is version {version or 'unknown'}; AegisOps needs nats-server {floor} or "
                      f"newer (Nats-Expected-Last-Subject-Sequence-Subject, batched direct get): upgrade the server",
                      server_version=version, floor=floor)


# The audit trail's cap: the oldest records go first (refused anonymous calls are aggregated, so a flood costs one
# record a minute per address). A count, not max_bytes: JetStream reserves a stream's max_bytes on disk up front,
# which a small data volume cannot give (measured: a 16 MB store refused the stream). ~300 bytes a record: ~600 MB.
AUDIT_MAX_RECORDS = 2_000_000


def stream_configs(replicas: int = 1) -> list[StreamConfig]:
    """Every stream AegisOps uses, with explicit limits (the contract of docs/architecture.md)."""
    common: dict[str, Any] = dict(storage=StorageType.FILE, num_replicas=replicas, retention=RetentionPolicy.LIMITS,
                  discard=DiscardPolicy.OLD, allow_direct=True)
    return [
        StreamConfig(name=INCIDENTS_STREAM, subjects=["incidents.>"], duplicate_window=DUPLICATE_WINDOW,
                     description="Every incident fact, incidents.<incident_id>.<event>", **common),
        StreamConfig(name=SYSTEM_STREAM, subjects=["system.>"], duplicate_window=DUPLICATE_WINDOW,
                     max_age=30 * DAY, description="Worker lifecycle and circuit breakers", **common),
        StreamConfig(name=INVENTORY_STREAM, subjects=["inventory.>"], duplicate_window=DUPLICATE_WINDOW,
                     max_msgs_per_subject=16, description="Targets AegisOps may act on", **common),
        StreamConfig(name=RUNBOOK_STREAM, subjects=["runbook.>"], duplicate_window=DUPLICATE_WINDOW,
                     max_msgs_per_subject=8, description="Runbook entries, runbook.<incident_id>.<event>", **common),
        StreamConfig(name=EVALUATIONS_STREAM, subjects=["evaluations.>"], duplicate_window=DUPLICATE_WINDOW,
                     max_age=90 * DAY, description="One evaluation per LLM call", **common),
        StreamConfig(name=AUTH_STREAM, subjects=["auth.>"], duplicate_window=DUPLICATE_WINDOW,
                     description="Users, API key digests and role grants, auth.<users|keys>.<id>.<event>", **common),
        StreamConfig(name=AUDIT_STREAM, subjects=["audit.>"], duplicate_window=DUPLICATE_WINDOW,
                     max_age=365 * DAY, max_msgs=AUDIT_MAX_RECORDS,
                     description="Every mutating API call and every refused one", **common),
        StreamConfig(name=CORRELATION_STREAM, subjects=["correlation.>"], duplicate_window=DUPLICATE_WINDOW,
                     max_age=7 * DAY, description="Which incident each alert key belongs to, and the alerts that "
                     "joined it or were silenced, correlation.<key token>.<event>", **common),
        StreamConfig(name=SILENCES_STREAM, subjects=["silences.>"], duplicate_window=DUPLICATE_WINDOW,
                     max_age=90 * DAY, description="Silences: matchers and a time range, silences.<id>.<event>",
                     **common),
        StreamConfig(name=SAMPLES_STREAM, subjects=["samples.>"], duplicate_window=10.0,
                     max_age=3600.0, max_msgs_per_subject=1000,
                     description="High-volume probe results and metrics, aged out after an hour", **common),
    ]


async def ensure_streams(js: JetStreamContext, replicas: int = 1) -> None:
    """Create the streams, or update them in place when their config changed."""
    for config in stream_configs(replicas):
        try:
            await js_call(js.add_stream(config))
        except EventStoreError as exc:
            if exc.fields.get("err_code") != ERR_STREAM_NAME_IN_USE:
                raise
            await js_call(js.update_stream(config))
