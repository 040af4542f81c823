"""The Core API contract's topology graph from the latest container sample and the inventory, pure."""

from __future__ import annotations

from typing import Any

from shared.projections.inventory import InventoryView

AGENT = "aegis-agent"


def agent_id(node: str) -> str:
    """The topology node of a placement node's agents (`aegis-agent` for targets placed on no node)."""
    return f"{AGENT}@{node}" if node else AGENT


def build_topology(containers: list[dict[str, Any]], inventory: InventoryView,
                   live_nodes: dict[str, bool] | None = None) -> dict[str, Any]:
    """Nodes (one agent per placement node, app, replica, loadbalancer, unknown) and edges (monitors, spawned,
    routes). `live_nodes`: placement node → whether an agent of it beats (docs/fleet.md)."""
    live_nodes = live_nodes or {}
    placed = sorted(({t.node for t in inventory.targets.values()} | set(live_nodes)) - {""})
    nodes = [{"id": AGENT, "type": "agent", "status": "running", "image": "aegisops"}]  # the control plane
    nodes += [{"id": agent_id(n), "type": "agent", "status": "running" if live_nodes.get(n) else "down",
               "image": "aegisops", "node": n} for n in placed]
    edges = [{"from": AGENT, "to": agent_id(n), "label": "places"} for n in placed]
    seen = set()
    for c in containers:
        replica_of = c.get("replica_of")
        kind = "replica" if replica_of else ("app" if c["name"] in inventory.targets else "unknown")
        nodes.append({"id": c["name"], "type": kind, "status": c["status"], "image": c["image"]})
        seen.add(c["name"])
        owner = inventory.targets.get(replica_of or c["name"])
        edges.append({"from": agent_id(c.get("node") or (owner.node if owner else "")), "to": c["name"],
                      "label": "spawned" if replica_of else "monitors"})
    for name, target in sorted(inventory.targets.items()):
        if name not in seen:
            nodes.append({"id": name, "type": "app", "status": "unknown", "image": target.image or target.kind})
            edges.append({"from": agent_id(target.node), "to": name, "label": "monitors"})
        if target.lb_port:
            lb = f"{name}-lb"
            nodes.append({"id": lb, "type": "loadbalancer", "status": "running", "image": "nginx"})
            edges.append({"from": lb, "to": name, "label": "routes"})
            for c in containers:
                if c.get("replica_of") == name:
                    edges.append({"from": lb, "to": c["name"], "label": "routes"})
    return {"nodes": nodes, "edges": edges}


def seed_container(c: dict[str, Any]) -> dict[str, Any]:
    """The Core API contract's container shape (the sample also carries replica_of for the topology)."""
    return {k: c[k] for k in ("name", "status", "image", "id")}
