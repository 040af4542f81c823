"""Placement, the pure parts: node names, where a target lives, the council's watch over an action waiting for its
node, the node registry's summary and the topology's agents (the fleet end to end: tests/test_fleet.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.council.domain import executor_wait
from services.executor.domain import placed_here
from services.gateway.topology import build_topology
from shared.config import Settings, TargetConfig, load_settings
from shared.consumer import ConsumerSpec
from shared.errors import ConfigError
from shared.events import incident as ev
from shared.events.models import AIAnalysis
from shared.nodes import Beat, summary
from shared.projections.incident import IncidentState
from shared.projections.inventory import InventoryView
from shared.registration import placed

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _target(name: str = "api", node: str = "") -> TargetConfig:
    return TargetConfig(name=name, port=9100, command=["true"], node=node)


def _approved(action: str = "RESTART", awaiting: str | None = None, status: str = "APPROVED") -> IncidentState:
    analysis = AIAnalysis(root_cause="crash", action=action, confidence=0.9, justification="x")
    return IncidentState(incident_id="INC-1", alert_type="Health check failing", logs="refused", status=status,
                         created_at=AT,
                         container_name="api", analysis=analysis, awaiting_node=awaiting)


def test_a_target_without_a_node_is_placed_on_the_node_that_registers_it():
    assert placed(_target(), "alpha").node == "alpha"
    assert placed(_target(node="beta"), "alpha").node == "beta"  # it said where it lives
    assert placed_here(_target(node="alpha"), "alpha") and not placed_here(_target(node="beta"), "alpha")
    assert placed_here(_target(), "alpha")  # registered before placement: any node's executors may act


@pytest.mark.parametrize("node", ["a.b", "-x", "x" * 64, "a b", "x;rm"])
def test_a_node_name_that_cannot_name_a_consumer_or_key_is_refused(node):
    with pytest.raises(ValueError, match="must match"):
        _target(node=node)
    with pytest.raises(ConfigError, match="must match"):
        load_settings(environ={"AEGIS_NODE": node})


def test_the_default_node_is_the_hostname_made_a_valid_name(monkeypatch):
    monkeypatch.setattr("socket.gethostname", lambda: "ip-10-0-0-1.ec2.internal")
    assert Settings().node_name == "ip-10-0-0-1"
    assert Settings(node="auto").node_name == "ip-10-0-0-1" and Settings(node="auto").actor_name != "ip-10-0-0-1"
    assert Settings(node="alpha", instance="2").actor_name == "alpha-2"


def test_a_node_consumer_starts_where_a_waiting_action_may_be_and_others_at_the_beginning():
    node = ConsumerSpec.wired("executor", None, node="alpha", start_time="2026-12-01T11:55:00Z")  # type: ignore[arg-type]
    assert node.config().deliver_policy.value == "by_start_time"
    assert node.config().as_dict()["opt_start_time"] == "2026-12-01T11:55:00Z"
    assert ConsumerSpec.wired("council", None).config().deliver_policy.value == "all"  # type: ignore[arg-type]


def test_an_action_for_a_node_with_no_live_executor_waits_once_then_fails_for_a_human_at_the_deadline():
    deadline = AT + timedelta(seconds=300)
    events, again = executor_wait(_approved(), "beta", False, deadline, AT, 15.0)
    assert [type(e) for e in events] == [ev.ExecutorAwaited] and events[0].node == "beta" and again == 15.0
    events, again = executor_wait(_approved(awaiting="beta"), "beta", False, deadline, AT + timedelta(seconds=295),
                                  15.0)
    assert events == [] and again == pytest.approx(5.0)  # said once; looks again at the deadline
    events, again = executor_wait(_approved(awaiting="beta"), "beta", False, deadline, deadline, 15.0)
    assert [type(e) for e in events] == [ev.IncidentFailed] and again is None
    assert events[0].needs_human and "No executor on node beta took the RESTART of api" in events[0].error


def test_a_live_node_is_trusted_but_watched_and_a_taken_or_ended_action_needs_no_watch():
    deadline = AT + timedelta(seconds=300)
    assert executor_wait(_approved(), "alpha", True, deadline, AT + timedelta(days=1), 15.0) == ([], 15.0)
    assert executor_wait(_approved(status="EXECUTING"), "beta", False, deadline, deadline, 15.0) == ([], None)
    assert executor_wait(_approved(status="FAILED"), "beta", False, deadline, deadline, 15.0) == ([], None)
    assert executor_wait(_approved(action="NOOP"), "beta", False, deadline, deadline, 15.0) == ([], None)
    assert executor_wait(None, "beta", False, deadline, deadline, 15.0) == ([], None)


def test_the_node_summary_says_which_nodes_are_live_from_the_beats_own_age():
    now = 1_000.0
    beats = [Beat("alpha", "executor@alpha", now - 2, 0, 1.0, ("a",)),
             Beat("alpha", "executor@alpha-2", now - 60, 0, 1.0, ("a",)),
             Beat("beta", "executor@beta", now - 4, 0, 1.0, ("b",))]  # 4 beats missed
    nodes = {n["node"]: n for n in summary(beats, now)}
    assert nodes["alpha"]["live"] and not nodes["beta"]["live"]
    assert [a["live"] for a in nodes["alpha"]["agents"]] == [True, False] and nodes["alpha"]["last_beat_s"] == 2.0
    assert Beat.from_json(beats[0].to_json()) == beats[0]


def test_the_topology_shows_one_agent_per_node_with_its_targets_and_keeps_the_contracts_agent():
    inventory = InventoryView()
    inventory.targets = {"a": _target("a", "alpha"), "b": _target("b", "beta")}
    graph = build_topology([], inventory, {"alpha": True})
    kinds = {n["id"]: (n["type"], n["status"]) for n in graph["nodes"]}
    assert kinds["aegis-agent"] == ("agent", "running")
    assert kinds["aegis-agent@alpha"] == ("agent", "running") and kinds["aegis-agent@beta"] == ("agent", "down")
    assert {"from": "aegis-agent@beta", "to": "b", "label": "monitors"} in graph["edges"]
    assert {"from": "aegis-agent", "to": "aegis-agent@alpha", "label": "places"} in graph["edges"]
