"""`aegis replay` and `aegis whatif`: read the stream itself (NATS), never the gateway, and append nothing."""

from __future__ import annotations

import argparse
import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from aegis.client import add_nats_args, nats_settings
from aegis.output import console, emit_json, progress, table
from aegis.replay import Cutoff, checked_id, replay
from aegis.whatif import Comparison, compare, llm_reanalysis, offline_reanalysis, summary
from shared.config import Settings
from shared.errors import NotFoundError, ValidationError
from shared.events.incident import INCIDENTS_STREAM, ActionStarted, IncidentReceived
from shared.eventstore import EventStore
from shared.jetstream import connect
from shared.wiring import incident_subject

SINCE = re.compile(r"^(\d+)([mhdw])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("replay", help="an incident's timeline rebuilt from the stream (or its state at a point)")
    p.add_argument("incident_id")
    p.add_argument("--at", help="stop at this stream sequence (e.g. 1234) or time (ISO 8601)")
    p.add_argument("--json", action="store_true", help="print JSON: the state and every event replayed")
    _nats_args(p)
    p = sub.add_parser("whatif", help="re-run analysis and council on recorded incidents without acting")
    p.add_argument("incident_id", nargs="?", help="one incident (or --all)")
    p.add_argument("--all", action="store_true", help="every incident received within --since")
    p.add_argument("--since", default="7d", help="with --all: how far back, e.g. 90m, 12h, 7d, 2w (default 7d)")
    p.add_argument("--policy", help="the policy file to try (default: the configured one)")
    p.add_argument("--model", help="re-analyse with this litellm model, or 'offline'; default: keep the recorded "
                                   "analysis and judge it under the policy")
    p.add_argument("--json", action="store_true", help="print JSON")
    _nats_args(p)


def _nats_args(p: argparse.ArgumentParser) -> None:
    add_nats_args(p, "reader")


def parse_since(text: str, now: datetime) -> datetime:
    match = SINCE.match(text.strip())
    if not match:
        raise ValidationError(f"--since {text!r}: use a number and m, h, d or w (e.g. 7d)")
    return now - timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


def replay_command(args: argparse.Namespace) -> int:
    cutoff = Cutoff.parse(args.at)
    settings = nats_settings(args)

    async def run():  # type: ignore[no-untyped-def]
        nc = await connect(settings.nats_servers, "aegis-replay", credentials=settings.nats_credentials_for("reader"))
        try:
            return await replay(EventStore(nc, "aegis-replay"), args.incident_id, cutoff)
        finally:
            await nc.close()

    result = asyncio.run(run())
    if args.json:
        emit_json(result.to_json(cutoff))
        return 0
    out = console()
    state = result.state
    where = f" at seq {cutoff.seq}" if cutoff.seq else f" at {args.at}" if cutoff.time else ""
    out.print(f"[bold]{result.incident_id}[/]{where}: {state.status if state else 'nothing yet'} · "
              f"{len(result.events)} of {result.total} events")
    out.print(table("Events", ["seq", "time", "event", "actor", "detail"],
                    [(e.seq, e.envelope.time.isoformat()[11:23], e.envelope.type, e.envelope.actor,
                      _detail(e.envelope.payload)) for e in result.events]))
    return 0


def _detail(payload: Any) -> str:
    fields = {k: v for k, v in msgspec.to_builtins(payload).items() if k != "type" and v not in (None, "", [], {})}
    text = ", ".join(f"{k}={v}" for k, v in fields.items())
    return text if len(text) <= 160 else text[:157] + "…"


def whatif_command(args: argparse.Namespace) -> int:
    if bool(args.all) == bool(args.incident_id):
        raise ValidationError("give one incident id, or --all")
    settings = nats_settings(args)
    if args.incident_id:
        checked_id(args.incident_id)
    since = parse_since(args.since, datetime.now(UTC)) if args.all else None
    results = asyncio.run(_whatif(settings, args, since))
    if args.json:
        emit_json({"summary": summary(results), "incidents": [r.to_json() for r in results]} if args.all
                  else results[0].to_json())
        return 0
    out = console()
    if not args.all:
        r = results[0]
        out.print(table(f"What if: {r.incident_id}", ["", "recorded", "what-if"],
                        [("action", r.recorded.action, r.whatif.action),
                         ("council", r.recorded.verdict, r.whatif.verdict),
                         ("analyzer", r.recorded.analyzer, r.whatif.analyzer),
                         ("summary", r.recorded.reasons, r.whatif.reasons)]))
        out.print("differs: " + ("; ".join(r.differences) if r.differs else "no — the same decision"))
        return 0
    s = summary(results)
    out.print(table(f"What if, since {args.since}", ["incidents", "unchanged", "changed", "action changed",
                                                     "verdict changed"],
                    [(s["incidents"], s["unchanged"], s["changed"], s["action_changed"], s["verdict_changed"])]))
    if s["changes"]:
        out.print(table("Changes", ["change", "incidents"], list(s["changes"].items())))
        out.print(table("Changed incidents (first 20)", ["incident", "target", "recorded", "what-if"],
                        [(r.incident_id, r.target, f"{r.recorded.action} {r.recorded.verdict}",
                          f"{r.whatif.action} {r.whatif.verdict}") for r in results if r.differs][:20]))
    return 0


async def _whatif(settings: Settings, args: argparse.Namespace, since: datetime | None) -> list[Comparison]:
    from shared.events.system import INVENTORY_STREAM
    from shared.policy import load_policy
    from shared.projections.inventory import InventoryView
    from shared.projections.projector import fold_stream
    from shared.projections.target_history import TargetHistory

    policy = load_policy(args.policy or settings.policy_file, settings.max_replicas)
    nc = await connect(settings.nats_servers, "aegis-whatif", credentials=settings.nats_credentials_for("reader"))
    try:
        store = EventStore(nc, "aegis-whatif")
        inventory, history = InventoryView(), TargetHistory()
        await fold_stream(store, INVENTORY_STREAM, "inventory.>", inventory.apply)
        await fold_stream(store, INCIDENTS_STREAM, incident_subject(ActionStarted), history.apply)
        model = args.model
        if model is None:
            reanalyse = None
        elif model == "offline":
            reanalyse = offline_reanalysis(settings)
        else:
            reanalyse = llm_reanalysis(msgspec.structs.replace(settings, llm_model=model, llm_fallback_models=[]),
                                       inventory)
        if args.incident_id:
            ids = [args.incident_id]
        else:
            received = await store.load_subject(incident_subject(IncidentReceived), INCIDENTS_STREAM)
            ids = [r.envelope.incident_id for r in received if r.envelope.time >= since]  # type: ignore[operator]
        results = []
        with progress() as bar:
            task = bar.add_task("re-judging", total=len(ids))
            for iid in ids:
                stored = await store.load(iid)  # type: ignore[arg-type]
                if not stored and args.incident_id:
                    raise NotFoundError(f"incident {iid} has no events in the stream")
                found = await compare(stored, settings, policy, inventory, history, reanalyse)
                if found is None and args.incident_id:
                    raise ValidationError(f"incident {iid} never reached analysis: nothing to re-run")
                if found is not None:
                    results.append(found)
                bar.advance(task)
        return results
    finally:
        await nc.close()
