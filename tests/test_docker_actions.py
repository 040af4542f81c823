"""Actions on real containers (private dockerd) and a real nginx: restart, scale through the LB, rollback."""

from __future__ import annotations

import sys

import docker
import httpx
import pytest

from aegis.harness import free_port, wait_sync
from services.executor.actions import Actions
from services.executor.process_backend import process_replicas, stop_pids
from shared.config import TargetConfig, load_settings
from shared.errors import ActionError
from shared.events.system import TargetRegistered
from shared.inspection import pids_listening_on
from shared.projections.inventory import InventoryView
from tests.support.builders import Given
from tests.support.docker import WEB_COMMAND

pytestmark = pytest.mark.integration


def healthy(port: int, path: str = "/health") -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def web(docker_url, nginx_binary, tmp_path):
    """A docker target running image v2 with an older v1 registration, behind an nginx port."""
    port, lb = free_port(), free_port()
    name = f"web-{port}"
    v1 = TargetConfig(name=name, port=port, kind="docker", image="aegis-test/web:v1", command=WEB_COMMAND,
                      health_url=f"http://127.0.0.1:{port}/health", lb_port=lb)
    v2 = TargetConfig(name=name, port=port, kind="docker", image="aegis-test/web:v2", command=WEB_COMMAND,
                      health_url=f"http://127.0.0.1:{port}/health", lb_port=lb)
    inventory = InventoryView()
    given = Given()
    for t in (v1, v2):
        inventory.apply(0, given.env(TargetRegistered(target=t)))
    settings = load_settings(environ={}, data_dir=str(tmp_path), docker_host=docker_url, nginx_binary=nginx_binary)
    actions = Actions(settings, inventory)
    actions.docker.ensure_running(v2)
    wait_sync(lambda: healthy(port), timeout=20, what="base container")
    yield actions, v2
    client = docker.DockerClient(base_url=docker_url)
    for c in client.containers.list(all=True):
        if c.name.startswith(name):
            c.remove(force=True)
    actions.balancer.stop()


def started_at(actions, name):
    return actions.docker.client.containers.get(name).attrs["State"]["StartedAt"]


def test_restart_a_container(web):
    actions, target = web
    before = started_at(actions, target.name)
    outcome = actions.run("RESTART", target, 0)
    assert outcome.detail == "Container status: running"
    assert started_at(actions, target.name) != before
    wait_sync(lambda: healthy(target.port), timeout=20, what="healthy after restart")


def ids_through(lb_port: int, n: int) -> set[str]:
    seen = set()
    for _ in range(n):
        seen.add(httpx.get(f"http://127.0.0.1:{lb_port}/id", timeout=2).text.strip())
    return seen


def test_scale_up_then_down_behind_nginx(web):
    actions, target = web
    up = actions.run("SCALE_UP", target, 3)
    event = up.scale
    assert event.replica_count == 3 and event.lb_configured
    assert event.replicas == [f"{target.name}-replica-{i}" for i in (1, 2, 3)]
    for port in event.ports:
        wait_sync(lambda p=port: healthy(p), timeout=20, what=f"replica on {port}")
    expected = {str(target.port), *map(str, event.ports)}
    assert ids_through(target.lb_port, 24) == expected  # round robin reaches the base and every replica
    again = actions.run("SCALE_UP", target, 3).scale  # idempotent: the same replicas
    assert again.ports == event.ports
    down = actions.run("SCALE_DOWN", target, 0).scale
    assert sorted(down.removed) == sorted(event.replicas) and down.replica_count == 0 and down.lb_configured
    assert actions.docker.replicas(target) == []
    assert ids_through(target.lb_port, 6) == {str(target.port)}


def test_rollback_recreates_from_the_previous_image(web):
    actions, target = web
    assert httpx.get(f"http://127.0.0.1:{target.port}/version").text.strip() == "v2"
    outcome = actions.run("ROLLBACK", target, 0)
    assert outcome.registered.image == "aegis-test/web:v1" and "recreated from aegis-test/web:v1" in outcome.detail
    wait_sync(lambda: healthy(target.port, "/version"), timeout=20, what="rolled back container")
    assert httpx.get(f"http://127.0.0.1:{target.port}/version").text.strip() == "v1"


def test_missing_container_and_bad_names_are_action_errors(web):
    actions, target = web
    ghost = TargetConfig(name="ghost-container", port=1, kind="docker", image="x")
    with pytest.raises(ActionError, match="does not exist"):
        actions.run("RESTART", ghost, 0)
    inventory_without_history = Actions(actions.settings, InventoryView())
    with pytest.raises(ActionError, match="no earlier version"):
        inventory_without_history.run("ROLLBACK", target, 0)


def test_process_targets_scale_behind_nginx_too(nginx_binary, tmp_path):
    port, lb = free_port(), free_port()
    target = TargetConfig(name=f"calc-{port}", port=port, lb_port=lb, health_url=f"http://127.0.0.1:{port}/health",
                          command=[sys.executable, "-m", "aegis.demo.calculator", "addition", "--port", "{port}"])
    settings = load_settings(environ={}, data_dir=str(tmp_path), nginx_binary=nginx_binary)
    actions = Actions(settings, InventoryView())
    from services.executor.process_backend import start_detached

    start_detached(target)
    try:
        wait_sync(lambda: healthy(port), timeout=20, what="base process")
        event = actions.run("SCALE_UP", target, 2).scale
        assert event.lb_configured and len(process_replicas(target)) == 2
        for p in event.ports:
            wait_sync(lambda p=p: healthy(p), timeout=20, what="replica process")
        answers = {httpx.get(f"http://127.0.0.1:{lb}/addition?a=1&b=2").json()["result"] for _ in range(6)}
        assert answers == {3}
        down = actions.run("SCALE_DOWN", target, 0).scale
        assert len(down.removed) == 2
        wait_sync(lambda: process_replicas(target) == [], timeout=10, what="replicas gone")
    finally:
        for _, _, p in process_replicas(target):
            stop_pids(pids_listening_on(p), 1)
        stop_pids(pids_listening_on(port), 1)
        actions.balancer.stop()


def test_a_replica_is_never_given_the_balancer_port_even_before_nginx_listens(monkeypatch):
    """The balancer starts after the replicas, so its port is free when they are placed; it must still be avoided
    (a replica that took it died on bind and scale-down found one replica of two)."""
    from services.executor import replicas

    target = TargetConfig(name="calc", port=free_port(), lb_port=free_port(), command=["x", "{port}"])
    assert replicas.ports_of(target) == {target.port, target.lb_port}
    handed = iter([target.lb_port, target.port, 5])
    monkeypatch.setattr(replicas.socket, "socket", lambda: _FixedPortSocket(next(handed)))
    assert replicas.free_ports(1, replicas.ports_of(target)) == [5]


class _FixedPortSocket:
    def __init__(self, port: int) -> None:
        self.port = port

    def __enter__(self) -> _FixedPortSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def bind(self, address: tuple[str, int]) -> None:
        return None

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)
