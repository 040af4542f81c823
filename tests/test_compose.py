"""docker-compose.yml and the Dockerfile, checked against the code: one container per service, a real 3-node
JetStream cluster (distinct ports, routes to the two others), 3 replicas, host networking only, settings valid."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from shared.config import SERVICE_NAMES, load_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def flag(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_three_nats_nodes_form_one_jetstream_cluster(compose):
    nodes = {name: s for name, s in compose["services"].items() if s.get("image", "").startswith("nats:")}
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
    nats_ports = sorted(
        flag(s["command"], "--port") for s in services.values() if s.get("image", "").startswith("nats:")
    )
    for name in [*SERVICE_NAMES, "setup"]:
        env = services[name]["environment"]
        urls = env["AEGIS_NATS_URL"].split(",")
        assert sorted(u.rsplit(":", 1)[1] for u in urls) == nats_ports, name
        settings = load_settings(environ={k: str(v) for k, v in env.items()})
        assert settings.stream_replicas == 3 and settings.host == "127.0.0.1"
        assert (
            services[name]["depends_on"] == {"setup": {"condition": "service_completed_successfully"}}
            or name == "setup"
        )
    assert services["setup"]["command"] == ["aegis", "setup"] and services["setup"]["restart"] == "no"
    executor = services["executor"]
    assert "container_name" not in executor and "ports" not in executor  # `--scale executor=N` works
    assert load_settings(environ=executor["environment"]).node == "auto"


def test_host_networking_only_and_nothing_published_beyond_loopback(compose):
    assert "networks" not in compose
    for name, service in compose["services"].items():
        assert service["network_mode"] == "host", name
        assert "ports" not in service and "networks" not in service, name


def test_the_dockerfile_builds_what_the_compose_file_runs():
    text = (ROOT / "Dockerfile").read_text()
    assert "torch==2.13.0" in text and "download.pytorch.org/whl/cpu" in text  # never the CUDA build
    assert "litellm==1.107.0" not in text
    assert re.search(r"^USER aegis$", text, re.M) and 'pip install ".[analyst]"' in text
    for part in ("shared", "services", "aegis", "pyproject.toml"):
        assert re.search(rf"^COPY {part}\b", text, re.M), part


def test_node_auto_names_each_process_apart():
    a = load_settings(environ={"AEGIS_NODE": "auto"}).node_name
    assert re.fullmatch(r".+-[0-9a-f]{6}", a) and load_settings(environ={"AEGIS_NODE": "n1"}).node_name == "n1"
