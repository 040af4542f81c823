"""An nginx load balancer per target (Debian nginx, own prefix under the data dir), rewritten on every scale."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

from shared.config import NAME_PATTERN
from shared.errors import ActionError, ValidationError

MAIN = """# written by AegisOps; one upstream per balanced target lives in conf.d/
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
{user}
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    include {prefix}/conf.d/*.conf;
}}
"""

UPSTREAM = """upstream {name} {{
{servers}
}}
server {{
    listen 127.0.0.1:{listen};
    location / {{
        proxy_pass http://{name};
        proxy_next_upstream error timeout http_502 http_503;
        proxy_connect_timeout 2s;
    }}
}}
"""


class NginxBalancer:
    """Writes the upstream of a target and reloads nginx (starting it the first time)."""

    def __init__(self, prefix: Path, binary: str = "nginx") -> None:
        self.prefix = prefix.resolve()
        self.binary = shutil.which(binary) or binary

    @property
    def conf(self) -> Path:
        return self.prefix / "nginx.conf"

    def _nginx(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.binary, "-p", str(self.prefix), "-c", str(self.conf), *args],
                              capture_output=True, text=True, timeout=30)

    def _running(self) -> bool:
        try:
            pid = int((self.prefix / "nginx.pid").read_text().strip())
            os.kill(pid, 0)
            return True
        except (OSError, ValueError):
            return False

    def configure(self, name: str, listen: int, ports: list[int]) -> bool:
        """Balance `listen` over `ports`; True once nginx accepted and loaded the new config."""
        if not NAME_PATTERN.match(name):
            raise ValidationError(f"invalid target name {name!r}")
        for sub in ("conf.d", "logs", "tmp"):
            (self.prefix / sub).mkdir(parents=True, exist_ok=True)
        with open(self.prefix / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # several executors on one node share this nginx
            user = "user nobody nogroup;" if os.geteuid() == 0 else ""
            self.conf.write_text(MAIN.format(prefix=self.prefix, user=user))
            upstream = self.prefix / "conf.d" / f"{name.replace('.', '_')}.conf"
            servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;" for p in ports)
            previous = upstream.read_text() if upstream.exists() else None
            upstream.write_text(UPSTREAM.format(name=name.replace(".", "_"), servers=servers, listen=listen))
            check = self._nginx("-t")
            if check.returncode != 0:
                if previous is None:
                    upstream.unlink()
                else:
                    upstream.write_text(previous)
                raise ActionError(f"nginx rejected the config: {check.stderr.strip()[-300:]}")
            result = self._nginx("-s", "reload") if self._running() else self._nginx()
            return result.returncode == 0

    def stop(self) -> None:
        """Stop nginx if it runs (aegis up shutdown, tests)."""
        if self._running():
            self._nginx("-s", "quit")
