"""`aegis up` as a user runs it: what it prints, supervision under it, clean exit on Ctrl-C, bad input."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import psutil
import pytest

from aegis.harness import eventually, free_port, wait_gone
from shared.events.system import SYSTEM_STREAM
from shared.eventstore import EventStore
from shared.jetstream import connect

pytestmark = pytest.mark.e2e


def test_up_prints_what_it_started_and_ctrl_c_leaves_nothing(start_platform, tmp_path):
    plat = start_platform(tmp_path, demo=False)
    children = plat.children()
    names = {" ".join(c.cmdline()[-2:]) for c in children}
    assert {f"-m services.{s}" for s in ("gateway", "analyst", "council", "executor", "notifier", "prober")} <= names
    assert any("nats-server" in c.name() for c in children)
    plat.stop()
    assert plat.proc.returncode == 0
    wait_gone([c.pid for c in children])
    out = plat.output.read_text()
    for line in ("nats-server   nats://127.0.0.1:", "service       gateway", f"gateway       {plat.url}",
                 "AegisOps is up. Ctrl-C stops everything.", "stopped."):
        assert line in out, out
    assert (plat.data_dir / "jetstream").is_dir() and (plat.data_dir / "logs" / "gateway.log").exists()


async def test_supervisor_under_up_restarts_a_killed_service_and_records_it(start_platform, tmp_path, nats_server):
    plat = start_platform(tmp_path, demo=False, env={"AEGIS_NATS_URL": nats_server.url})
    try:
        assert not any("nats-server" in c.name() for c in plat.children())  # external NATS used
        victim = plat.service_pid("analyst")
        os.kill(victim, signal.SIGKILL)
        nc = await connect(nats_server.url, "test")
        store = EventStore(nc, "test")

        async def restarted():
            types = [s.envelope.type for s in await store.load_subject("system.workers.analyst.>", SYSTEM_STREAM)]
            return types if "worker.restarted.v1" in types else None

        types = await eventually(restarted, timeout=20, what="restart recorded")
        assert types[:3] == ["worker.started.v1", "worker.crashed.v2", "worker.restarted.v1"]
        assert plat.service_pid("analyst") != victim
        await nc.close()
    finally:
        plat.stop()


def test_busy_gateway_port_is_a_clear_error(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "aegis.cli", "up", "--data-dir", str(tmp_path), "--port",
                               str(port), "--nats-port", str(free_port())], capture_output=True, text=True,
                              timeout=60)
    assert proc.returncode == 2
    assert f"gateway port {port} is already in use" in proc.stderr
    assert not [p for p in psutil.process_iter(["cmdline"]) if str(tmp_path) in " ".join(p.info["cmdline"] or [])]


def test_bad_flag_is_a_usage_error():
    proc = subprocess.run([sys.executable, "-m", "aegis.cli", "up", "--port", "http"], capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 2 and "invalid int value" in proc.stderr
