"""A secured gateway served by a real uvicorn on loopback, in the test's event loop, against real NATS."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from aegis.harness import eventually, free_port
from services.gateway.app import Gateway, create_app, open_gateway, server_config
from services.gateway.auth.bootstrap import ensure_admin_key
from shared.config import Settings
from shared.eventstore import EventStore

SECRET = "s" * 40


@dataclass
class Served:
    url: str
    admin_key: str
    gateway: Gateway
    app: Any

    def client(self, key: str | None = None, **headers: str) -> httpx.AsyncClient:
        extra = {"X-API-Key": key} if key else {}
        return httpx.AsyncClient(base_url=self.url, headers={**extra, **headers}, timeout=20)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[override]
        yield


@contextlib.asynccontextmanager
async def serve_gateway(store: EventStore, settings: Settings, data_dir: Path):
    """Bootstrap the admin key, project incidents and auth, serve the app until the block ends."""
    key = await ensure_admin_key(store, data_dir)
    gateway = await open_gateway(settings, store, secret=settings.jwt_secret)
    app = create_app(gateway)
    port = free_port()
    server = _Server(server_config(app, settings, "127.0.0.1", port))  # served as the gateway process serves it
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, timeout=10, what="uvicorn started")
    try:
        yield Served(f"http://127.0.0.1:{port}", key or "", gateway, app)
    finally:
        server.should_exit = True
        await task
        await gateway.close()
