"""End to end with an LLM: streamed tokens on /ws, learning into the runbook, retrieval, analyst crash."""

from __future__ import annotations

import asyncio
import json
import os
import signal

import pytest
import websockets

from aegis.harness import alert, demo_ports_free, eventually, kill_target, stored_types, wait_sync
from shared.events.knowledge import EVALUATIONS_STREAM
from shared.eventstore import EventStore
from shared.jetstream import connect

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def platform(start_platform, llm):
    wait_sync(demo_ports_free, timeout=15, what="demo ports free")
    # no casebook: these tests are about the LLM path, and the offline cross-check of their terse alerts must not
    # turn with the reference files (with two more, "heap at 98%, OOM imminent" leaned to no action, the RESTART was
    # held for approval and the first test waited out its 120 s, session 46); the other e2e modules run with it
    config = (f'llm_model = "openai/fake-sre"\nllm_api_base = "{llm.api_base}"\nllm_api_key = "k"\nack_wait = 3.0\n'
              'casebook = false\n')
    plat = start_platform("analyst", demo=True, config=config)
    yield plat


async def test_llm_tokens_stream_to_the_websocket_and_the_resolution_is_learned(platform, llm):
    llm.mode = "ok"
    kill_target(8002)
    async with websockets.connect(platform.ws_url) as ws:
        await ws.recv()
        await asyncio.to_thread(platform.webhook, alert("llm-1", "addition-api", alert_type="Memory Leak",
                                                     logs="heap at 98%, OOM imminent"))
        frames = []
        while not frames or frames[-1]["type"] not in ("resolved", "failed"):
            item = json.loads(await asyncio.wait_for(ws.recv(), 60))
            if item["incident_id"] == "llm-1" and item["type"] != "status.update":
                frames.append(item)
    streamed = [f["data"] for f in frames if f["type"] == "ai.stream"]
    assert len(streamed) > 3 and set(streamed[0]) == {"incident_id", "chunk", "full_text"}
    complete = next(f for f in frames if f["type"] == "ai.complete")
    assert streamed[-1]["full_text"].startswith('{"root_cause": "Memory leak in the request cache"')
    assert complete["data"]["analysis"]["root_cause"] == "Memory leak in the request cache"
    assert frames[-1]["type"] == "resolved"
    result = platform.incident("llm-1")
    assert [e["status"] for e in result["timeline"]][:4] == ["RECEIVED", "RAG_RETRIEVAL", "ANALYSING", "AI_COMPLETE"]

    runbook = await eventually(lambda: (lambda r: r if r["total"] >= 1 else None)(
        platform.get("/runbook").json()), timeout=20, what="runbook entry")
    entry = next(e for e in runbook["entries"] if e["incident_id"] == "llm-1")
    assert entry["action"] == "RESTART" and entry["council_approved"] and entry["resolved_at"]

    async def retrieved():
        body = platform.get("/rag/test", params={"logs": "memory keeps growing until out of memory"},
                         timeout=20).json()
        return body if body.get("count") else None

    body = await eventually(retrieved, timeout=30, what="retrieval finds the learned incident")
    assert body["query"] == "memory keeps growing until out of memory"
    assert body["retrieved"][0]["incident_id"] == "llm-1" and 0 < body["retrieved"][0]["similarity_score"] <= 1

    nc = await connect(platform.nats_url, "test", credentials=platform.nats_credentials)
    evaluations = await EventStore(nc, "t").load_subject("evaluations.llm-1.>", EVALUATIONS_STREAM)
    await nc.close()
    assert evaluations and evaluations[0].envelope.payload.valid

    def scored(incident: str):  # type: ignore[no-untyped-def]
        listed = platform.get("/evaluations/", params={"incident_id": incident}).json()
        return [e for e in listed if e["hallucination_probability"] is not None] or None

    first = (await eventually(lambda: scored("llm-1"), timeout=20, what="llm-1 scored after verification"))[0]
    assert first["mode"] == "incident-analysis" and first["agent_name"] == "analyst"
    assert first["hallucinated"] is False and first["factual_support"] >= 0.6
    assert first["response"].startswith('{"root_cause"') and "heap at 98%" in first["prompt"]


def test_rag_test_without_logs_is_422(platform):
    assert platform.get("/rag/test").status_code == 422


async def test_analyst_killed_mid_stream_still_analyses_exactly_once(platform, llm):
    llm.mode, llm.stream_seconds = "slow_stream", 4.0
    before = len(llm.requests)
    platform.webhook(alert("llm-kill-1", "no-such-target", alert_type="Memory Leak", logs="heap at 99%"))
    await eventually(lambda: len(llm.requests) > before, timeout=20, what="the LLM call started")
    victim = platform.service_pid("analyst")
    os.kill(victim, signal.SIGKILL)
    llm.stream_seconds = 0.5
    result = await asyncio.to_thread(platform.wait_terminal, "llm-kill-1", 90)
    types = await stored_types(platform, "llm-kill-1")
    assert types.count("incident.analysis_completed.v1") == 1
    assert types.count("incident.analysis_started.v1") == 1 and types.count("incident.retrieval_completed.v1") == 1
    assert result["status"] == "FAILED" and "not in the inventory" in result["error"]
    assert platform.service_pid("analyst") != victim
    llm.mode = "ok"
    unknown = (await eventually(lambda: (lambda r: r if r else None)([
        e for e in platform.get("/evaluations/", params={"incident_id": "llm-kill-1"}).json()
        if e["hallucination_probability"] is not None]), timeout=20, what="llm-kill-1's rejected answers scored"))[0]
    assert unknown["hallucinated"] is True  # RESTART proposed for a target the inventory does not know
    assert any("no-such-target" in r for r in unknown["reasons"])
    stats = platform.get("/evaluations/stats", params={"days": 1}).json()
    assert stats["total_evaluations"] >= 2 and stats["total_hallucinations"] >= 1
