"""A data dir that runs out of space: JetStream on a 16 MB tmpfs is filled until appends fail. Appends answer
StoreFullError (the gateway 507) with the reason, and nothing is half-written: each incident is whole or absent."""

from __future__ import annotations

import os
import subprocess

import pytest

from aegis.harness import free_port
from aegis.nats_server import EmbeddedNats
from shared.config import load_settings
from shared.errors import StoreFullError
from shared.events.incident import IncidentReceived
from shared.eventstore import EventStore
from shared.jetstream import connect, ensure_streams
from tests.conftest import _require
from tests.support.gateway import SECRET, serve_gateway

pytestmark = pytest.mark.integration


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True)
    _require(done.returncode == 0 and os.geteuid() == 0, f"mounting a small tmpfs needs root: {done.stderr!r}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


async def test_a_full_store_refuses_appends_with_the_reason_and_keeps_incidents_whole(small_disk, tmp_path):
    server = EmbeddedNats(small_disk, free_port(), server_name="small")
    server.start()
    nc = await connect(server.url, "disk-full")
    try:
        await ensure_streams(nc.jetstream())
        store = EventStore(nc, "tests@small")
        settings = load_settings(environ={}, jwt_secret=SECRET)
        async with serve_gateway(store, settings, tmp_path / "gw") as gw:  # its admin key is stored first
            logs = "x" * 200_000
            written, refused = 0, None
            for n in range(400):  # 80 MB of logs into 16 MB
                try:
                    await store.append(f"fill-{n}", [IncidentReceived(alert_type="Disk", logs=logs)], expected_seq=0)
                    written += 1
                except StoreFullError as exc:
                    refused = exc
                    break
            assert refused is not None and "out of space" in refused.message and written > 10
            for n in range(written):  # every stored incident is whole: its one event, readable
                assert len(await store.load(f"fill-{n}")) == 1
            assert await store.load(f"fill-{written}") == []  # the refused one left nothing
            async with gw.client(gw.admin_key) as client:
                response = await client.post("/webhook", json={"incident_id": "after-full", "alert_type": "Disk",
                                                               "logs": logs[:50_000]})
            assert response.status_code == 507 and "out of space" in response.json()["detail"]
            assert await store.load("after-full") == []
    finally:
        await nc.close()
        server.stop()
