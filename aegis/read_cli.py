"""`aegis status`, `aegis incidents`, `aegis show ID`: the platform as the gateway sees it (rich, or --json)."""

from __future__ import annotations

import argparse
from typing import Any

from aegis.client import add_gateway_args, call
from aegis.output import console, emit_json, table
from aegis.replay import checked_id
from shared.errors import ValidationError


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("status", help="health of every part, workers, degradation mode, incidents in flight")
    p.add_argument("--json", action="store_true", help="print JSON")
    add_gateway_args(p)
    p = sub.add_parser("incidents", help="list incidents, newest first")
    p.add_argument("--status", help="only this status (e.g. FAILED, AWAITING_APPROVAL, JOINED), or 'open'")
    p.add_argument("--target", help="only incidents about this target")
    p.add_argument("--severity", help="CRITICAL, WARNING or INFO")
    p.add_argument("--source", help="webhook, alertmanager, prober, nats")
    p.add_argument("--since", help="an ISO time, or an age such as 30m, 2h, 7d")
    p.add_argument("--limit", type=int, default=50, help="at most this many (default 50, at most 1000)")
    p.add_argument("--json", action="store_true", help="print JSON")
    add_gateway_args(p)
    p = sub.add_parser("show", help="one incident: analysis, council, timeline")
    p.add_argument("incident_id")
    p.add_argument("--json", action="store_true", help="print JSON")
    add_gateway_args(p)


def status(args: argparse.Namespace) -> int:
    health = call(args, "GET", "/api/system/health/full", ok=(200, 503))
    pipeline = call(args, "GET", "/api/system/pipeline")
    nodes = call(args, "GET", "/api/system/nodes")
    if args.json:
        emit_json({"health": health, "pipeline": pipeline, "nodes": nodes})
        return 0 if health.get("status") != "unhealthy" else 1
    out = console()
    mode = pipeline["degradation"]["mode"]
    out.print(f"AegisOps {health.get('version', '')}: [bold]{health['status']}[/] · mode {mode} · "
              f"in flight {sum(pipeline['incidents_in_flight'].values())}")
    parts = [health["nats"], *health["dependencies"]]
    out.print(table("Parts", ["name", "status", "critical", "message"],
                    [(d["name"], d["status"], d.get("critical", True), d.get("message", "")) for d in parts]))
    out.print(table("Workers", ["worker", "running", "critical"],
                    [(w["name"], "running" if w["running"] else "down", w["critical"]) for w in health["workers"]]))
    out.print(table("Nodes", ["node", "live", "executors", "last beat", "targets"],
                    [(n["node"], "yes" if n["live"] else "no", ", ".join(a["agent"] for a in n["agents"] if a["live"]),
                      "never" if n["last_beat_s"] is None else f"{n['last_beat_s']:.0f}s ago",
                      ", ".join(n["targets"])) for n in nodes["nodes"]]))
    out.print(table("Pipeline stages", ["consumer", "pending", "ack pending", "redelivered"],
                    [(s["stage"], s["pending"], s["ack_pending"], s["redelivered"]) for s in pipeline["stages"]]))
    skipped = health.get("skipped_events") or {}
    if skipped:
        out.print(table("Stored events a read model skipped (it does not show them)",
                        ["read model", "skipped", "last error"],
                        [(name, e["skipped"], e["last_error"]) for name, e in skipped.items()]))
    return 0 if health.get("status") != "unhealthy" else 1


def _received(incident: dict[str, Any]) -> str:
    return incident["timeline"][0]["ts"] if incident.get("timeline") else ""


def incidents(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise ValidationError("--limit must be at least 1")
    if args.limit > 1000:
        raise ValidationError("--limit is at most 1000")
    params = {"limit": args.limit} | ({"status": args.status.upper()} if args.status else {}) | \
        {k: v for k in ("target", "severity", "source", "since") if (v := getattr(args, k, None))}
    listed = call(args, "GET", "/incidents", params=params)  # filtered and newest first by the gateway
    if args.json:
        emit_json(listed)
        return 0
    console().print(table(f"Incidents ({len(listed)})", ["incident", "status", "alert", "action", "received",
                                                         "resolved / error"],
                          [(i["incident_id"], i["status"], i["alert_type"],
                            (i.get("analysis") or {}).get("action", ""), _received(i)[:19],
                            i.get("resolved_at") or (i.get("error") or "")[:60]) for i in listed]))
    return 0


def show(args: argparse.Namespace) -> int:
    incident = call(args, "GET", f"/incidents/{checked_id(args.incident_id)}")
    if args.json:
        emit_json(incident)
        return 0
    out = console()
    out.print(f"[bold]{incident['incident_id']}[/] · {incident['alert_type']} · {incident['status']}")
    analysis = incident.get("analysis")
    if analysis:
        out.print(f"analysis: {analysis['root_cause']} → {analysis['action']} (confidence {analysis['confidence']})")
    decision = incident.get("council_decision")
    if decision:
        out.print(f"council: {decision['summary']}")
    if incident.get("error"):
        out.print(f"[red]error: {incident['error']}[/]")
    out.print(table("Timeline", ["time", "status", "message"],
                    [(e["ts"][11:23], e["status"], e["message"]) for e in incident["timeline"]]))
    return 0

