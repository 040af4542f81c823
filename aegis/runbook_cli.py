"""`aegis runbook import FILE` and `aegis runbook export`: curated runbook entries in and out."""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

import msgspec

from shared.config import INCIDENT_ID, Settings
from shared.errors import ValidationError
from shared.events import deterministic_id
from shared.events.knowledge import RUNBOOK_STREAM, RunbookEntry, RunbookEntryAdded
from shared.events.models import ACTIONS
from shared.eventstore import EventStore
from shared.jetstream import connect, ensure_streams
from shared.projections.projector import fold_stream
from shared.projections.runbook import RunbookView

ID_PATTERN = INCIDENT_ID
MAX_ERRORS_SHOWN = 20


def parse_runbook(text: str) -> list[RunbookEntry]:
    """Entries from `{"entries": [...]}` or `[...]`; ValidationError listing every problem, or nothing at all."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    items = doc.get("entries") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise ValidationError('expected {"entries": [...]} or a JSON array of entries')
    entries, problems, seen = [], [], set()
    for n, item in enumerate(items):
        try:
            entry = msgspec.convert(item, RunbookEntry)
        except msgspec.ValidationError as exc:
            problems.append(f"entry {n}: {exc}")
            continue
        if not ID_PATTERN.match(entry.incident_id):
            problems.append(f"entry {n}: incident_id {entry.incident_id!r} must match {ID_PATTERN.pattern}")
        if entry.action not in ACTIONS:
            problems.append(f"entry {n}: action {entry.action!r} is not one of {', '.join(ACTIONS)}")
        if not 0.0 <= entry.confidence <= 1.0:
            problems.append(f"entry {n}: confidence {entry.confidence} is outside 0.0-1.0")
        if entry.incident_id in seen:
            problems.append(f"entry {n}: incident_id {entry.incident_id!r} appears twice")
        seen.add(entry.incident_id)
        entries.append(entry)
    if problems:
        shown = problems[:MAX_ERRORS_SHOWN] + ([f"… and {len(problems) - MAX_ERRORS_SHOWN} more"]
                                               if len(problems) > MAX_ERRORS_SHOWN else [])
        raise ValidationError(f"{len(problems)} invalid entries; nothing imported:\n  " + "\n  ".join(shown))
    return entries


async def _current(store: EventStore) -> RunbookView:
    view = RunbookView()
    await fold_stream(store, RUNBOOK_STREAM, "runbook.>", view.apply)
    return view


async def import_runbook(settings: Settings, path: Path) -> dict[str, int]:
    """Append new or changed entries; unchanged ones are skipped, so importing twice changes nothing."""
    try:
        entries = parse_runbook(path.read_text())
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror}") from None
    nc = await connect(settings.nats_servers, "aegis-runbook-import")
    try:
        await ensure_streams(nc.jetstream(), settings.stream_replicas)
        store = EventStore(nc, f"runbook-import@{settings.node_name}")
        view = await _current(store)
        counts = {"added": 0, "updated": 0, "unchanged": 0}
        for n, entry in enumerate(entries, 1):
            known = view.entries.get(entry.incident_id)
            if known == entry:
                counts["unchanged"] += 1
                continue
            digest = hashlib.sha256(msgspec.json.encode(entry)).hexdigest()[:16]
            await store.append_system(RunbookEntryAdded(entry=entry, source="imported"),
                                      event_id=deterministic_id("runbook", entry.incident_id, digest))
            counts["updated" if known else "added"] += 1
            if n % 500 == 0:
                print(f"  {n}/{len(entries)} entries…", file=sys.stderr, flush=True)
        return counts
    finally:
        await nc.close()


async def export_runbook(settings: Settings) -> dict:
    """The runbook as seed 001's {entries, total}."""
    nc = await connect(settings.nats_servers, "aegis-runbook-export")
    try:
        await ensure_streams(nc.jetstream(), settings.stream_replicas)
        return (await _current(EventStore(nc, "runbook-export"))).to_json()
    finally:
        await nc.close()
