"""docker-compose.yml and the Dockerfiles, checked against the code: one container per service, a real 3-node
JetStream cluster (distinct ports, routes to the two others) on a nats-server the event store supports, 3 replicas,
host networking only, settings valid. tests/test_compose_run.py runs the file for real."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
import yaml

from shared.config import SERVICE_NAMES, load_settings
from shared.errors import ConfigError
from shared.jetstream import NATS_SERVER_FLOOR, connect, require_server_version

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = re.compile(r"^\$\{(\w+):-([^}]+)\}$")  # ${VARIABLE:-default}, as docker-compose substitutes it


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def flag(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def nats_nodes(compose: dict) -> dict[str, dict]:
    return {name: s for name, s in compose["services"].items()
            if s.get("build", {}).get("dockerfile") == "nats.Dockerfile"}


def default(value: str) -> str:
    """What docker-compose makes of `${VARIABLE:-default}` when the variable is not set."""
    found = DEFAULT.match(value)
    assert found, f"{value!r} is not ${{AEGIS_...:-default}}"
    return found.group(2)


def arg_default(dockerfile: str, name: str) -> str:
    found = re.search(rf"^ARG {name}=(\S+)$", (ROOT / dockerfile).read_text(), re.M)
    assert found, f"{dockerfile} has no ARG {name} with a default"
    return found.group(1)


def image_version(image: str) -> tuple[int, ...]:
    """nats:2.11-alpine -> (2, 11, 0): a pinned numeric tag, never latest/alpine."""
    found = re.fullmatch(r"nats:(\d+)\.(\d+)(?:\.(\d+))?(?:-[a-z0-9.]+)?", image)
    assert found, f"{image}: not the public nats image with a version tag"
    return tuple(int(g or 0) for g in found.groups())


def test_three_nats_nodes_form_one_jetstream_cluster(compose):
    nodes = nats_nodes(compose)
    assert len(nodes) == 3
    cmds = {name: s["command"] for name, s in nodes.items()}
    names = {flag(c, "--name") for c in cmds.values()}
    client_ports = {flag(c, "--port") for c in cmds.values()}
    cluster = {name: flag(c, "--cluster") for name, c in cmds.items()}
    assert len(names) == 3 and len(client_ports) == 3 and len(set(cluster.values())) == 3
    for name, command in cmds.items():
        assert "--jetstream" in command and flag(command, "--cluster_name") == "aegis"
        assert flag(command, "--addr") == "127.0.0.1"
        routes = set(flag(command, "--routes").split(","))
        assert routes == {url for other, url in cluster.items() if other != name}, name
        assert any(v.endswith(":/data") for v in nodes[name]["volumes"]) and flag(command, "--store_dir") == "/data"


def test_one_container_per_service_on_the_cluster_with_three_replicas(compose):
    services = compose["services"]
    running = {re.sub(r"^services\.", "", s["command"][-1]): name for name, s in services.items()
               if s.get("command", [])[:2] == ["python", "-m"]}
    assert set(running) == set(SERVICE_NAMES) and all(running[n] == n for n in SERVICE_NAMES)
    nats_ports = sorted(flag(s["command"], "--port") for s in nats_nodes(compose).values())
    for name in [*SERVICE_NAMES, "setup"]:
        env = services[name]["environment"]
        urls = env["AEGIS_NATS_URL"].split(",")
        assert sorted(u.rsplit(":", 1)[1] for u in urls) == nats_ports, name
        settings = load_settings(environ={k: str(v) for k, v in env.items()})
        assert settings.stream_replicas == 3 and settings.host == "127.0.0.1"
        assert settings.node_name == "compose", name  # one placement node: setup's targets are its executors'
        assert (
            services[name]["depends_on"] == {"setup": {"condition": "service_completed_successfully"}}
            or name == "setup"
        )
    assert services["setup"]["command"] == ["aegis", "setup"] and services["setup"]["restart"] == "no"
    executor = services["executor"]
    assert "container_name" not in executor and "ports" not in executor  # `--scale executor=N` works


def test_host_networking_only_and_nothing_published_beyond_loopback(compose):
    assert "networks" not in compose
    for name, service in compose["services"].items():
        assert service["network_mode"] == "host", name
        assert "ports" not in service and "networks" not in service, name


def test_the_dockerfile_builds_what_the_compose_file_runs(compose):
    text = (ROOT / "Dockerfile").read_text()
    assert "torch==2.13.0" in text and "download.pytorch.org/whl/cpu" in text  # never the CUDA build
    assert "litellm==1.107.0" not in text
    assert re.search(r"^USER aegis$", text, re.M) and 'pip install -c constraints.txt ".[analyst]"' in text
    for part in ("shared", "services", "aegis", "corpus", "pyproject.toml"):
        assert re.search(rf"^COPY .*\b{part}\b", text, re.M), part
    # by default the public image, from PyPI: compose passes the Dockerfile's own defaults unless told otherwise
    assert arg_default("Dockerfile", "BASE_IMAGE") == "python:3.11-slim"
    assert arg_default("Dockerfile", "DEPENDENCIES") == "pypi"
    for name in [*SERVICE_NAMES, "setup"]:
        build = compose["services"][name]["build"]
        assert build["context"] == "." and build["network"] == "host", name
        assert {k: default(v) for k, v in build["args"].items()} == {
            "BASE_IMAGE": "python:3.11-slim", "DEPENDENCIES": "pypi"}, name


def test_the_build_context_is_only_what_the_dockerfile_copies():
    ignore = (ROOT / ".dockerignore").read_text().split("\n")
    assert "*" in ignore  # the virtualenv, .aegis data and caches stay out of the context
    copied = [word for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("COPY ")
              for word in line.split()[1:-1]]
    assert copied and all(f"!{path}" in ignore for path in copied), copied


def test_the_nats_image_meets_the_event_store_floor(compose):
    """docker-compose.yml's NATS image (the default of its build argument, and of nats.Dockerfile's ARG) runs a
    nats-server the event store supports."""
    images = set()
    for name, node in nats_nodes(compose).items():
        assert node["build"]["context"] == "./deploy" and node["build"]["network"] == "host", name
        images.add(default(node["build"]["args"]["NATS_IMAGE"]))
    assert images == {arg_default("deploy/nats.Dockerfile", "NATS_IMAGE")}
    (image,) = images
    assert image_version(image) >= NATS_SERVER_FLOOR, f"{image} is older than {NATS_SERVER_FLOOR}"


def test_the_version_parser_of_that_check():
    assert image_version("nats:2.11-alpine") == (2, 11, 0) >= NATS_SERVER_FLOOR
    assert image_version("nats:2.10.29-alpine3.21") == (2, 10, 29) < NATS_SERVER_FLOOR
    with pytest.raises(AssertionError):
        image_version("nats:alpine")


@pytest.mark.parametrize("version", ["2.10.22", "2.9.0", "1.4.1", "0.0.0-unknown", ""])
def test_a_server_older_than_the_floor_is_refused_with_both_versions(version):
    with pytest.raises(ConfigError) as refused:
        require_server_version(version, "nats://127.0.0.1:4222")
    message = refused.value.message
    assert f"is version {version or 'unknown'};" in message and "needs nats-server 2.11.0 or newer" in message
    assert "nats://127.0.0.1:4222" in message and refused.value.fields["floor"] == "2.11.0"


@pytest.mark.parametrize("version", ["2.11.0", "2.11.4", "2.12.0-RC.1", "2.15.1", "3.0.0"])
def test_a_server_at_or_above_the_floor_passes(version):
    require_server_version(version)


@pytest.mark.timeout(10)
async def test_connect_refuses_an_old_server_before_any_service_uses_it():
    """connect() (every service, `aegis up`, `aegis setup`) stops on a server that announces 2.10.22: a fake one
    speaking just enough of the protocol (INFO, then PONG to the client's PING)."""
    async def old_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b'INFO {"server_id":"old","version":"2.10.22","proto":1,"headers":true,'
                     b'"max_payload":1048576}\r\n')
        while line := await reader.readline():
            if line.startswith(b"PING"):
                writer.write(b"PONG\r\n")
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(old_server, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(ConfigError, match=r"is version 2\.10\.22; AegisOps needs nats-server 2\.11\.0"):
            await connect(f"nats://127.0.0.1:{port}", "old-server-test", connect_timeout=2)
    finally:
        server.close()


def test_scaled_executors_share_the_node_and_differ_in_actor(compose):
    """`--scale executor=N`: every agent acts for node "compose"; event actors tell them apart (a random instance)."""
    env = {k: str(v) for k, v in compose["services"]["executor"]["environment"].items()}
    one = load_settings(environ=env)
    assert one.node_name == "compose" and re.fullmatch(r"compose-[0-9a-f]{6}", one.actor_name)
    assert load_settings(environ={"AEGIS_NODE": "n1"}).node_name == "n1"


def test_the_compose_run_checks_every_port_the_file_listens_on(compose):
    """tests/test_compose_run.py refuses to start while any of these is taken: they must be the file's own."""
    from tests.support.compose import COMPOSE_PORTS

    nodes = nats_nodes(compose).values()
    ports = {int(flag(n["command"], "--port")) for n in nodes}
    ports |= {int(flag(n["command"], "--cluster").rsplit(":", 1)[1]) for n in nodes}
    ports.add(int(compose["x-aegis"]["environment"]["AEGIS_PORT"]))
    assert set(COMPOSE_PORTS) == ports
