"""Placement across nodes, end to end: `aegis up --executors 0` (the control plane) with two node agents
(`aegis executor --node alpha|beta`), each with one real process target. An action runs only on its target's node;
with that node's agent gone, the incident waits for it (and fails for a human after executor_wait_seconds)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from aegis.harness import Platform, alert, dump, free_port, kill_target, wait_sync
from services.executor.process_backend import start_detached
from shared.config import TargetConfig
from shared.inspection import pids_listening_on

pytestmark = pytest.mark.e2e
WAIT_SECONDS = 15  # executor_wait_seconds: long enough to bring an agent back, short enough to watch expire


def _target(name: str, node: str, port: int) -> TargetConfig:
    return TargetConfig(name=name, node=node, port=port, health_url=f"http://127.0.0.1:{port}/health",
                        command=[sys.executable, "-m", "aegis.demo.calculator", "addition", "--port", str(port)])


def _toml(targets: list[TargetConfig], extra: str = "") -> str:
    out = [extra]
    for t in targets:
        command = ", ".join(f'"{c}"' for c in t.command)
        out.append(f'[[targets]]\nname = "{t.name}"\nnode = "{t.node}"\nport = {t.port}\ncommand = [{command}]\n'
                   f'health_url = "{t.health_url}"\n')
    return "\n".join(out)


class Agent:
    """`aegis executor --node NAME` as a user starts it on another machine: NATS URL and executor credentials."""

    def __init__(self, platform: Platform, node: str, tmp: Path, config: str = "") -> None:
        self.node, self.log = node, tmp / f"agent-{node}.log"
        argv = [sys.executable, "-m", "aegis.cli", "executor", "--node", node, "--nats-url", platform.nats_url,
                "--credentials", str(platform.credentials("executor")), "--data-dir", str(tmp / f"data-{node}")]
        if config:
            (tmp / f"agent-{node}.toml").write_text(config)
            argv += ["--config", str(tmp / f"agent-{node}.toml")]
        env = {**os.environ, "AEGIS_NODE_HEARTBEAT_SECONDS": "1"}
        self.proc = subprocess.Popen(argv, stdout=self.log.open("ab"), stderr=subprocess.STDOUT, env=env)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _nodes(platform: Platform) -> dict[str, dict]:
    response = platform.get("/api/system/nodes")
    assert response.status_code == 200, response.text
    return {n["node"]: n for n in response.json()["nodes"]}


def _live(platform: Platform, node: str, live: bool = True) -> None:
    wait_sync(lambda: _nodes(platform).get(node, {}).get("live") is live, timeout=30,
              what=f"node {node} {'live' if live else 'not live'}")


def _serving(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def fleet(start_platform, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fleet")
    alpha, beta = _target("alpha-api", "alpha", free_port()), _target("beta-api", "beta", free_port())
    # no joining of an ended incident, no "the fix did not hold": each alert is judged and acted on by itself
    extra = (f"executor_wait_seconds = {WAIT_SECONDS}\nnode_heartbeat_seconds = 1\n"
             "correlation_window_seconds = 0\nfix_hold_window_minutes = 0\n")
    platform = start_platform(tmp, demo=False, config=_toml([alpha, beta], extra), args=("--executors", "0"))
    for t in (alpha, beta):
        start_detached(t, tmp)
    wait_sync(lambda: _serving(alpha.port) and _serving(beta.port), timeout=20, what="both targets serving")
    agents = {"alpha": Agent(platform, "alpha", tmp), "beta": Agent(platform, "beta", tmp, _toml([beta]))}
    yield platform, tmp, agents, alpha, beta
    for agent in agents.values():
        agent.stop()
    for t in (alpha, beta):
        for pid in pids_listening_on(t.port):
            os.kill(pid, signal.SIGKILL)


def test_the_control_plane_runs_no_executor_and_lists_both_nodes_with_their_targets(fleet):
    platform, _, _, alpha, beta = fleet
    workers = [w["name"] for w in platform.get("/api/system/supervisor").json()["workers"]]
    assert workers and not [w for w in workers if w.startswith("executor")], workers
    _live(platform, "alpha")
    _live(platform, "beta")
    nodes = _nodes(platform)
    assert nodes["alpha"]["targets"] == [alpha.name] and nodes["beta"]["targets"] == [beta.name], dump(nodes)
    assert [a["agent"] for a in nodes["alpha"]["agents"]] == ["executor@alpha"]
    # remediation is available through the node agents though no executor is supervised here
    assert "remediation" in platform.get("/api/system/health/full").json()["degradation"]["available_features"]


def test_a_target_is_fixed_by_its_own_nodes_executor_and_the_timeline_names_the_node(fleet):
    platform, _, _, alpha, _ = fleet
    _live(platform, "alpha")
    kill_target(alpha.port)
    assert platform.webhook(alert("fleet-alpha-1", alpha.name)).status_code == 200
    result = platform.wait_terminal("fleet-alpha-1")
    assert result["status"] == "RESOLVED", dump(result)
    lines = [e["message"] for e in result["timeline"]]
    assert any(m.startswith("Executing: RESTART on node alpha (executor@alpha)") for m in lines), dump(lines)
    assert not any("node beta" in m for m in lines)
    assert _serving(alpha.port)


def test_with_its_agent_stopped_a_node_waits_and_its_target_is_restarted_once_the_agent_is_back(fleet):
    platform, tmp, agents, _, beta = fleet
    _live(platform, "beta")
    agents["beta"].stop()
    _live(platform, "beta", live=False)
    kill_target(beta.port)
    assert platform.webhook(alert("fleet-beta-1", beta.name)).status_code == 200

    def waiting() -> dict | None:
        incident = platform.incident("fleet-beta-1")
        return incident if any(e["status"] == "WAITING_FOR_EXECUTOR" for e in incident["timeline"]) else None

    incident = wait_sync(waiting, timeout=30, what="the incident waits for node beta")
    assert incident["status"] == "APPROVED", dump(incident)
    assert "Waiting for an executor on node beta" in incident["timeline"][-1]["message"]
    assert not pids_listening_on(beta.port)  # alpha's agent did not touch beta's target
    agents["beta"] = Agent(platform, "beta", tmp)
    result = platform.wait_terminal("fleet-beta-1", timeout=WAIT_SECONDS + 30)
    assert result["status"] == "RESOLVED", dump(result)
    assert any(e["message"].startswith("Executing: RESTART on node beta") for e in result["timeline"])
    assert _serving(beta.port)


def test_a_node_whose_agent_never_returns_fails_the_incident_for_a_human_with_the_reason(fleet):
    platform, _, agents, _, beta = fleet
    agents["beta"].stop()
    _live(platform, "beta", live=False)
    kill_target(beta.port)
    assert platform.webhook(alert("fleet-beta-2", beta.name)).status_code == 200
    result = platform.wait_terminal("fleet-beta-2", timeout=WAIT_SECONDS + 30)
    assert result["status"] == "FAILED" and result["needs_human"], dump(result)
    assert "No executor on node beta took the RESTART of beta-api" in result["error"]
    assert "EXECUTING" not in [e["status"] for e in result["timeline"]]


def test_a_node_agent_refuses_a_config_that_places_targets_on_another_node(fleet, tmp_path):
    platform, _, _, alpha, _ = fleet
    config = tmp_path / "wrong.toml"
    config.write_text(_toml([alpha]))
    proc = subprocess.run([sys.executable, "-m", "aegis.cli", "executor", "--node", "beta", "--config", str(config),
                           "--nats-url", platform.nats_url], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "places alpha-api on another node than beta" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    bad = subprocess.run([sys.executable, "-m", "aegis.cli", "executor", "--node", "a.b"], capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode != 0 and "invalid node name 'a.b'" in bad.stderr and "Traceback" not in bad.stderr
