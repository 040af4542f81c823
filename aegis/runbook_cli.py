"""`aegis runbook import FILE` and `aegis runbook export`: curated runbook entries in and out."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path
from typing import TextIO

import msgspec
from nats.aio.client import Client as NATS
from nats.errors import NoRespondersError

from shared.config import INCIDENT_ID, Settings
from shared.errors import ValidationError
from shared.events import deterministic_id
from shared.events.knowledge import RUNBOOK_STREAM, RunbookEntry, RunbookEntryAdded
from shared.events.models import ACTIONS
from shared.eventstore import EventStore
from shared.jetstream import connect, ensure_streams
from shared.projections.projector import fold_stream
from shared.projections.runbook import RunbookView
from shared.wiring import INDEX_STATUS

ID_PATTERN = INCIDENT_ID
MAX_ERRORS_SHOWN = 20
STATUS_EVERY = 1.0  # seconds an analyst may wait per status request, so progress is printed about this often


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
        unknown = sorted(set(item) - set(RunbookEntry.__struct_fields__)) if isinstance(item, dict) else []
        if unknown:  # a typo would otherwise be dropped silently
            problems.append(f"entry {n}: unknown field(s) {', '.join(map(repr, unknown))}")
            continue
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


async def import_runbook(settings: Settings, path: Path, *, wait: bool = True) -> dict[str, int]:
    """Append new or changed entries; unchanged ones are skipped, so importing twice changes nothing. Then
    (`wait`) return only once an analyst can retrieve every entry of the file, or say on stderr why not."""
    try:
        entries = parse_runbook(path.read_text())
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror}") from None
    nc = await connect(settings.nats_servers, "aegis-runbook-import",
                       credentials=settings.nats_credentials_for("admin"))
    try:
        await ensure_streams(nc.jetstream(), settings.stream_replicas)
        store = EventStore(nc, f"runbook-import@{settings.actor_name}")
        view = await _current(store)
        counts = {"added": 0, "updated": 0, "unchanged": 0}
        seqs: list[int] = []
        for n, entry in enumerate(entries, 1):
            known = view.entries.get(entry.incident_id)
            if known == entry:
                counts["unchanged"] += 1
                continue
            digest = hashlib.sha256(msgspec.json.encode(entry)).hexdigest()[:16]
            seqs.append(await store.append_system(RunbookEntryAdded(entry=entry, source="imported"),
                                                  event_id=deterministic_id("runbook", entry.incident_id, digest)))
            counts["updated" if known else "added"] += 1
            if n % 500 == 0:
                print(f"  {n}/{len(entries)} entries…", file=sys.stderr, flush=True)
        if wait:
            # a re-import that changed nothing still waits for what the stream held when it was read
            target = max(seqs, default=view.applied_seq)
            counts["indexed"] = int(await wait_until_indexed(nc, target, seqs, settings.rag_fresh_wait))
        return counts
    finally:
        await nc.close()


async def wait_until_indexed(nc: NATS, target: int, seqs: list[int], bound: float,
                             out: TextIO | None = None) -> bool:
    """Ask an analyst (rpc.analyst.index) until its index holds runbook sequence `target`, printing progress.
    True once it does; False, with a warning line, when no analyst runs, none answers within `bound` seconds, or
    its index makes no progress for `bound` seconds. The entries are stored either way."""
    if target <= 0:
        return True
    out = out or sys.stderr
    started = time.monotonic()
    stalled_at = started + bound
    best = -1
    print(f"waiting for an analyst to index up to runbook seq {target}…", file=out, flush=True)
    while True:
        step = max(0.0, min(STATUS_EVERY, stalled_at - time.monotonic()))
        request = json.dumps({"min_seq": target, "wait": step}).encode()
        try:
            reply = json.loads((await nc.request(INDEX_STATUS, request, timeout=step + 2.0)).data)
        except NoRespondersError:
            print(f"warning: no analyst is running (none listens on {INDEX_STATUS}), so nothing is indexed yet; "
                  "the entries are stored and an analyst indexes them when it starts (its queries wait for them)",
                  file=out, flush=True)
            return False
        except TimeoutError:
            reply = {}
        if "error" in reply:  # an analyst of another version; not worth failing an import that is stored
            print(f"warning: the analyst refused the index check: {reply['error']}", file=out, flush=True)
            return False
        indexed = int(reply.get("indexed_seq", -1))
        if indexed >= target:
            print(f"analyst {reply.get('analyst', '?')} indexed every entry (runbook seq {target}, "
                  f"{reply.get('entries', '?')} entries) in {time.monotonic() - started:.1f}s", file=out, flush=True)
            return True
        if indexed > best:
            done = sum(1 for s in seqs if s <= indexed)
            print(f"  indexed {done}/{len(seqs)} new entries (runbook seq {indexed} of {target})", file=out,
                  flush=True)
            best, stalled_at = indexed, time.monotonic() + bound
        if time.monotonic() >= stalled_at:
            why = (f"no analyst answered within {bound:.1f}s" if best < 0 else
                   f"the analyst's index stayed at runbook seq {best} of {target} for {bound:.1f}s")
            print(f"warning: {why}; the entries are stored, but queries may not find them yet", file=out, flush=True)
            return False


async def export_runbook(settings: Settings) -> dict:
    """The runbook as the Core API contract's {entries, total}."""
    nc = await connect(settings.nats_servers, "aegis-runbook-export",
                       credentials=settings.nats_credentials_for("admin"))
    try:
        await ensure_streams(nc.jetstream(), settings.stream_replicas)
        return (await _current(EventStore(nc, "runbook-export"))).to_json()
    finally:
        await nc.close()
