"""A real Docker engine for tests: the running one, or a private dockerd; images from `docker import`."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

BUSYBOX = "/bin/busybox"
APPLETS = ("sh", "httpd", "mkdir", "echo", "cat", "sleep")
WEB_COMMAND = ["/bin/sh", "-c", "mkdir -p /www && echo {port} > /www/id && echo ok > /www/health && "
               "cat /version > /www/version && exec httpd -f -p {port} -h /www"]


def _ping(base_url: str) -> bool:
    import docker

    try:
        return docker.DockerClient(base_url=base_url, timeout=5).ping()
    except Exception:  # noqa: BLE001 - not there
        return False


def start_dockerd(root: Path) -> tuple[str, subprocess.Popen[bytes] | None]:
    """A Docker socket that answers: DOCKER_HOST / the system one, else our own dockerd (no bridge)."""
    for url in (os.environ.get("DOCKER_HOST", ""), "unix:///var/run/docker.sock"):
        if url and _ping(url):
            return url, None
    if not shutil.which("dockerd"):
        raise RuntimeError("dockerd is not installed (Debian package docker.io)")
    root.mkdir(parents=True, exist_ok=True)
    url = f"unix://{root}/docker.sock"
    log = open(root / "dockerd.log", "wb")  # noqa: SIM115 - lives as long as the daemon
    proc = subprocess.Popen(["dockerd", "--data-root", str(root / "data"), "--exec-root", str(root / "exec"),
                             "--host", url, "--bridge=none", "--iptables=false", "--ip-masq=false",
                             "--pidfile", str(root / "docker.pid")], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("dockerd exited: " + (root / "dockerd.log").read_text()[-800:])
        if _ping(url):
            return url, proc
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("dockerd did not answer within 60 s")


def stop_dockerd(proc: subprocess.Popen[bytes] | None, timeout: float) -> None:
    """Stop a dockerd start_dockerd started (None: the system's, left alone); killed if it does not exit in time."""
    if proc is None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()


def import_web_image(base_url: str, tag: str, version: str) -> str:
    """A tiny image from a busybox-static rootfs (no registry needed); /version says which one it is."""
    import docker

    if not Path(BUSYBOX).exists():
        raise RuntimeError("busybox-static is not installed (Debian package busybox-static)")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(BUSYBOX, arcname="bin/busybox")
        for applet in APPLETS:
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type, link.linkname = tarfile.SYMTYPE, "busybox"
            tar.addfile(link)
        for directory in ("www", "tmp"):
            info = tarfile.TarInfo(directory)
            info.type, info.mode = tarfile.DIRTYPE, 0o777
            tar.addfile(info)
        data = f"{version}\n".encode()
        info = tarfile.TarInfo("version")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    client = docker.DockerClient(base_url=base_url)
    repository, _, tag_name = tag.partition(":")
    client.api.import_image_from_data(buffer.getvalue(), repository=repository, tag=tag_name)
    return tag
