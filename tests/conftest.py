"""Fixtures that start the real parts: nats-server on a random port with a temporary store."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest

from aegis.harness import Platform, free_port
from aegis.nats_server import EmbeddedNats, nats_server_binary
from services.gateway.app import create_app, open_gateway
from shared.config import load_settings
from shared.eventstore import EventStore
from shared.jetstream import connect, ensure_streams

TEST_SECRET = "t" * 32  # the JWT secret of in-process gateways (none is written to a data dir)


def _require(condition: bool, reason: str) -> None:
    """Skip with the reason where a real part is missing; in CI a missing part is a failure."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must provide this part: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def llm():
    """A loopback OpenAI-compatible streaming server (tests/support/fake_llm.py) for one test module."""
    from tests.support.fake_llm import FakeLLM

    server = FakeLLM().start()
    yield server
    server.stop()


@pytest.fixture
def nats_server(tmp_path: Path):
    """A real nats-server with JetStream; `.stop()`, `.kill()` and `.start()` let tests restart it."""
    try:
        nats_server_binary()
    except Exception as exc:  # noqa: BLE001
        _require(False, f"nats-server binary not available: {exc}")
    server = EmbeddedNats(tmp_path / "nats", free_port(), server_name="aegis-test")
    server.start()
    yield server
    if server.proc and server.proc.poll() is None:
        server.proc.kill()
        server.proc.wait()
    shutil.rmtree(tmp_path / "nats", ignore_errors=True)


@pytest.fixture
async def nc(nats_server):
    """A NATS connection with the AegisOps streams declared."""
    conn = await connect(nats_server.url, name="tests")
    await ensure_streams(conn.jetstream())
    yield conn
    await conn.close()


@pytest.fixture
async def store(nc):
    """An event store acting as the test suite."""
    return EventStore(nc, "tests@local")


@pytest.fixture(scope="session")
def docker_url(tmp_path_factory):
    """A Docker engine URL with the aegis-test/web:v1 and :v2 images imported."""
    from tests.support.docker import import_web_image, start_dockerd, stop_dockerd

    try:
        url, proc = start_dockerd(Path("/tmp") / f"aegis-dockerd-{os.getpid()}")
        import_web_image(url, "aegis-test/web:v1", "v1")
        import_web_image(url, "aegis-test/web:v2", "v2")
    except Exception as exc:  # noqa: BLE001
        _require(False, f"no Docker engine: {exc}")
    yield url
    stop_dockerd(proc, 30)


@pytest.fixture(scope="session")
def nginx_binary():
    """Debian's nginx."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    _require(found is not None, "nginx is not installed (Debian package nginx)")
    return found


@pytest.fixture
async def api(nc, store):
    """The gateway in process (httpx ASGI transport) over a real nats-server, without a supervisor: built by the
    production factory, with authentication off (the guard lets every caller in as the local admin)."""
    settings = load_settings(environ={}, body_limit_bytes=4096, auth=False)
    gw = await open_gateway(settings, store, secret=TEST_SECRET)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(gw)), base_url="http://gw") as client:
        yield client
    await gw.close()


@pytest.fixture(scope="module")
def start_platform(tmp_path_factory):
    """The one factory of whole platforms (`aegis up` in a subprocess) for a test module: `start_platform(name or
    data dir, demo=…, config=…, …)`; every platform it started is shut down when the module ends (a module that
    needs it down earlier calls `shutdown()` itself)."""
    started: list[Platform] = []

    def start(where: str | Path, **options) -> Platform:  # type: ignore[no-untyped-def]
        plat = Platform(tmp_path_factory.mktemp(where) if isinstance(where, str) else where, **options)
        started.append(plat)
        return plat

    yield start
    for plat in reversed(started):
        plat.shutdown()
