"""The Core API contract's topology graph from the latest container sample and the inventory, pure."""

from __future__ import annotations

from typing import Any

from shared.projections.inventory import InventoryView

AGENT = "aegis-agent"


def build_topology(containers: list[dict[str, Any]], inventory: InventoryView) -> dict[str, Any]:
    """Nodes (agent, app, replica, loadbalancer, unknown) and edges (monitors, spawned, routes)."""
    nodes = [{"id": AGENT, "type": "agent", "status": "running", "image": "aegisops"}]
    edges = []
    seen = set()
    for c in containers:
        replica_of = c.get("replica_of")
        kind = "replica" if replica_of else ("app" if c["name"] in inventory.targets else "unknown")
        nodes.append({"id": c["name"], "type": kind, "status": c["status"], "image": c["image"]})
        seen.add(c["name"])
        edges.append({"from": AGENT, "to": c["name"], "label": "spawned" if replica_of else "monitors"})
    for name, target in sorted(inventory.targets.items()):
        if name not in seen:
            nodes.append({"id": name, "type": "app", "status": "unknown", "image": target.image or target.kind})
            edges.append({"from": AGENT, "to": name, "label": "monitors"})
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
