"""The runbook: import/export from the CLI (validated, idempotent), GET /runbook, GET /rag/test, and retrieval
that sees an import as soon as the import returns."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys

import httpx
import pytest

from aegis.runbook_cli import import_runbook, parse_runbook
from bench.paraphrases import INCIDENTS, REWORDED
from services.analyst.embedder import Embedder
from services.analyst.handlers import Analyst
from services.analyst.retrieval import Retriever
from services.gateway.app import create_app, open_gateway
from shared.config import load_settings
from shared.errors import ValidationError
from shared.events.knowledge import RUNBOOK_STREAM, RunbookEntry, RunbookEntryAdded
from shared.projections.inventory import InventoryView
from shared.service import ServiceContext
from shared.wiring import INDEX_STATUS, RAG_QUERY

pytestmark = pytest.mark.integration


def runbook_file(tmp_path, entries):
    path = tmp_path / "runbook.json"
    path.write_text(json.dumps({"entries": entries}))
    return path


def curated():
    return [{"incident_id": i, "alert_type": a, "logs": logs, "root_cause": rc, "action": act,
             "justification": "curated", "confidence": 0.9} for i, a, logs, rc, act, _ in INCIDENTS[:5]]


def aegis(*args, nats_url):
    return subprocess.run([sys.executable, "-m", "aegis.cli", "runbook", *args, "--nats-url", nats_url],
                          capture_output=True, text=True, timeout=60)


async def test_import_is_validated_idempotent_and_exported(tmp_path, nats_server, store):
    path = runbook_file(tmp_path, curated())
    first = aegis("import", str(path), nats_url=nats_server.url)
    assert first.returncode == 0 and "5 added, 0 updated, 0 unchanged" in first.stdout
    assert "warning: no analyst is running" in first.stderr and "the entries are stored" in first.stderr
    again = aegis("import", str(path), nats_url=nats_server.url)
    assert again.returncode == 0 and "0 added, 0 updated, 5 unchanged" in again.stdout
    changed = curated()
    changed[0]["root_cause"] = "better explanation"
    third = aegis("import", str(runbook_file(tmp_path, changed)), nats_url=nats_server.url)
    assert "0 added, 1 updated, 4 unchanged" in third.stdout
    assert len(await store.load_subject("runbook.>", RUNBOOK_STREAM)) == 6
    out = aegis("export", nats_url=nats_server.url)
    exported = json.loads(out.stdout)
    assert exported["total"] == 5 and exported["entries"][0]["root_cause"] == "better explanation"
    assert set(exported["entries"][0]) == {"incident_id", "alert_type", "logs", "root_cause", "action",
                                           "justification", "container_name", "severity", "confidence",
                                           "council_approved", "replicas_used", "resolved_at"}


async def test_bad_file_imports_nothing_and_says_why(tmp_path, nats_server, store):
    entries = curated()
    entries[1]["action"] = "DELETE_PROD"
    entries[3]["confidence"] = 7
    del entries[4]["logs"]
    proc = aegis("import", str(runbook_file(tmp_path, entries)), nats_url=nats_server.url)
    assert proc.returncode == 2
    assert "3 invalid entries; nothing imported" in proc.stderr
    assert "entry 1: action 'DELETE_PROD'" in proc.stderr and "entry 4" in proc.stderr
    assert await store.load_subject("runbook.>", RUNBOOK_STREAM) == []


@pytest.mark.parametrize("text, why", [
    ("{oops", "not JSON"),
    ('{"items": []}', "expected"),
    ('[{"incident_id": "a.b", "alert_type": "x", "logs": "l", "root_cause": "r", "action": "NOOP"}]', "must match"),
    ('[{"incident_id": "a", "alert_type": "x", "logs": "l", "root_cause": "r", "action": "NOOP"},'
     ' {"incident_id": "a", "alert_type": "x", "logs": "l", "root_cause": "r", "action": "NOOP"}]', "twice"),
    ('[{"incident_id": "a", "alert_type": "x", "logs": "l", "root_cause": "r", "action": "NOOP", "extra": 1}]',
     "unknown field"),
])
def test_parse_runbook_errors(text, why):
    with pytest.raises(ValidationError, match=why):
        parse_runbook(text)


def test_missing_file_is_a_clear_error(tmp_path, nats_server):
    proc = aegis("import", str(tmp_path / "nope.json"), nats_url=nats_server.url)
    assert proc.returncode == 2 and "cannot read" in proc.stderr


@pytest.fixture(scope="module")
def embedder():
    return Embedder()


@contextlib.asynccontextmanager
async def running_analyst(nc, store, embedder, tmp_path, *, background: bool = True, **settings):
    """The analyst's retrieval side as its process wires it: the runbook followed, the index kept in step (unless
    `background` is off) and rpc.analyst.rag / rpc.analyst.index answered."""
    s = load_settings(environ={}, data_dir=str(tmp_path), **settings)
    retriever = Retriever(embedder, tmp_path / "runbook-index")
    await retriever.follow(nc)
    analyst = Analyst(ServiceContext(name="analyst", settings=s, nc=nc, store=store), retriever, InventoryView())
    subs = [await nc.subscribe(RAG_QUERY, queue="analyst", cb=analyst.concurrently(analyst.on_rag_query)),
            await nc.subscribe(INDEX_STATUS, queue="analyst", cb=analyst.concurrently(analyst.on_index_status))]
    stopping = asyncio.Event()
    loop = asyncio.create_task(retriever.run(stopping)) if background else None
    try:
        yield analyst
    finally:
        stopping.set()
        if loop is not None:
            await loop
        for sub in subs:
            await sub.unsubscribe()
        await retriever.stop()


async def rag(nc, **request) -> dict:
    return json.loads((await nc.request(RAG_QUERY, json.dumps(request).encode(), timeout=30)).data)


def thirty():
    return [{"incident_id": i, "alert_type": a, "logs": logs, "root_cause": rc, "action": act}
            for i, a, logs, rc, act, _ in INCIDENTS[:30]]


async def test_queries_right_after_an_import_find_every_imported_entry(tmp_path, nats_server, nc, store, embedder,
                                                                       capsys):
    assert len(REWORDED) == 30 and all(REWORDED[e["incident_id"]] != e["logs"] for e in thirty())
    async with running_analyst(nc, store, embedder, tmp_path / "analyst"):
        settings = load_settings(environ={}, nats_url=nats_server.url)
        counts = await import_runbook(settings, runbook_file(tmp_path, thirty()))
        assert counts == {"added": 30, "updated": 0, "unchanged": 0, "indexed": 1}
        assert "indexed every entry (runbook seq 30, 30 entries)" in capsys.readouterr().err
        answers = await asyncio.gather(*(rag(nc, logs=query, k=3) for query in REWORDED.values()))
    hits = sum(incident in [r["incident_id"] for r in a["retrieved"]]
               for incident, a in zip(REWORDED, answers, strict=True))
    assert hits / len(REWORDED) >= 0.95
    assert all(a["count"] == 3 and not a["stale"] and a["min_seq"] == a["indexed_seq"] == 30 for a in answers)


async def test_rag_query_sees_entries_appended_just_before_it_by_default(tmp_path, nc, store, embedder):
    async with running_analyst(nc, store, embedder, tmp_path, background=False):
        for e in thirty():  # appended without waiting for any analyst, as a fast writer would
            await store.append_system(RunbookEntryAdded(entry=RunbookEntry(**e)))
        # no min_seq: the analyst asks the stream for its last sequence, and (no background loop here) indexes
        answers = await asyncio.gather(*(rag(nc, logs=query, k=3) for query in REWORDED.values()))
    hits = sum(
        incident in [r["incident_id"] for r in a["retrieved"]] for incident, a in zip(REWORDED, answers, strict=True)
    )
    assert hits / len(REWORDED) >= 0.95 and not any(a["stale"] for a in answers)


async def test_a_min_seq_beyond_the_stream_answers_stale_with_the_reason(tmp_path, nc, store, embedder):
    async with running_analyst(nc, store, embedder, tmp_path, rag_fresh_wait=0.3) as analyst:
        for e in thirty()[:3]:
            await store.append_system(RunbookEntryAdded(entry=RunbookEntry(**e)))
        assert not (await analyst.retriever.wait_indexed(3, timeout=30)).stale  # what the stream has: indexed
        answer = await rag(nc, logs=REWORDED["pp-01"], k=2, min_seq=10)
    assert answer["query"] == REWORDED["pp-01"] and answer["count"] == 2 and len(answer["retrieved"]) == 2
    assert answer["stale"] is True and answer["min_seq"] == 10 and answer["indexed_seq"] == 3
    assert answer["reason"] == "min_seq 10 is beyond the runbook stream (last seq 3)"  # at once, no wait


@pytest.mark.parametrize("min_seq", [-1, "5", 2.5, True, [1]])
async def test_a_bad_min_seq_is_refused_with_the_reason(tmp_path, nc, store, embedder, min_seq):
    async with running_analyst(nc, store, embedder, tmp_path):
        answer = await rag(nc, logs="disk full", min_seq=min_seq)
        status = json.loads(
            (await nc.request(INDEX_STATUS, json.dumps({"min_seq": min_seq}).encode(), timeout=30)).data
        )
    assert answer == {
        "error": f"bad request: min_seq must be a runbook stream sequence (an integer >= 0), got {min_seq!r}"
    }
    assert status == answer


async def test_gateway_rag_test_passes_min_seq_and_turns_bad_input_into_422(tmp_path, nc, store, embedder):
    gw = await open_gateway(load_settings(environ={}, auth=False), store, secret="t" * 32)
    app = create_app(gw)

    async def refuse(msg) -> None:  # an analyst refusing the input (e.g. one of another version)
        await msg.respond(b'{"error": "bad request: min_seq must be a runbook stream sequence"}')

    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as api:
            async with running_analyst(nc, store, embedder, tmp_path, rag_fresh_wait=0.2) as analyst:
                await store.append_system(RunbookEntryAdded(entry=RunbookEntry(**thirty()[3])))
                # indexed before asking, so the short rag_fresh_wait (for the stale case) cannot time out the first
                assert not (await analyst.retriever.wait_indexed(1, timeout=30)).stale
                fresh = (await api.get("/rag/test", params={"logs": REWORDED["pp-04"]})).json()
                behind = (await api.get("/rag/test", params={"logs": "disk", "min_seq": 7})).json()
                bad = [await api.get("/rag/test", params={"logs": "disk", "min_seq": v}) for v in ("-1", "x", "1.5")]
            stub = await nc.subscribe(RAG_QUERY, cb=refuse)
            refused = await api.get("/rag/test", params={"logs": "disk"})
            await stub.unsubscribe()
    finally:
        await gw.close()
    assert fresh["count"] == 1 and fresh["retrieved"][0]["incident_id"] == "pp-04" and fresh["stale"] is False
    assert behind["stale"] is True and behind["reason"].startswith("min_seq 7 is beyond the runbook stream")
    assert all(r.status_code == 422 and "min_seq" in r.text for r in bad)
    assert refused.status_code == 422 and "must be a runbook stream sequence" in refused.text


async def test_import_says_so_when_no_analyst_answers_in_time(tmp_path, nats_server, nc, store, capsys):
    silent = await nc.subscribe(INDEX_STATUS, queue="analyst")  # a listener that never answers
    try:
        settings = load_settings(environ={}, nats_url=nats_server.url, rag_fresh_wait=0.5)
        counts = await import_runbook(settings, runbook_file(tmp_path, thirty()[:4]))
    finally:
        await silent.unsubscribe()
    assert counts == {"added": 4, "updated": 0, "unchanged": 0, "indexed": 0}
    err = capsys.readouterr().err
    assert "waiting for an analyst to index up to runbook seq 4" in err
    assert "warning: no analyst answered within 0.5s; the entries are stored" in err
    assert len(await store.load_subject("runbook.>", RUNBOOK_STREAM)) == 4
