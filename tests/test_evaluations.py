"""The AgentOps contract's evaluations API and the analyst's scoring consumer, in process against a real nats-server."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI, Request

from aegis.harness import eventually
from services.analyst.handlers import Analyst, consumers, score_terminal
from services.gateway import errors
from services.gateway.evaluations_api import build_evaluations_router, start_evaluations
from shared.config import TargetConfig, load_settings
from shared.consumer import ConsumerRunner
from shared.events import Envelope, now
from shared.events import incident as ev
from shared.events.knowledge import (
    EVALUATIONS_STREAM,
    TEXT_LIMIT,
    EvaluationRecorded,
    EvaluationScored,
    LLMCallEvaluated,
)
from shared.events.models import AIAnalysis
from shared.policy import Policy
from shared.projections.evaluations import EvaluationsView
from shared.projections.inventory import InventoryView
from shared.projections.projector import Projector
from shared.service import ServiceContext
from tests.support.builders import T0, council_approved, received

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

SEED = {"prompt": "What is the capital of France?", "response": "Paris is the capital of France.",
        "semantic_drift": 0.12, "uncertainty": 0.0, "factual_support": 0.95, "hallucination_probability": 0.08,
        "hallucinated": False, "latency_sec": 0.42, "throughput_qps": 2.38, "mode": "self-check",
        "model_name": "gpt-4o-mini", "agent_name": "qa_assistant"}
RECORD_KEYS = {"id", "created_at", "prompt", "response", "semantic_drift", "uncertainty", "factual_support",
               "hallucination_probability", "hallucinated", "latency_sec", "throughput_qps", "mode", "model_name",
               "agent_name", "incident_id", "source", "reasons", "created_by", "session_id", "retrieved_docs",
               "truncated"}


def build_app(view: EvaluationsView, store, projector: Projector) -> FastAPI:
    app = FastAPI()
    errors.install(app)

    @app.middleware("http")
    async def principal(request: Request, call_next):  # type: ignore[no-untyped-def]
        if "x-test-principal" in request.headers:  # stands in for the gateway's authentication
            request.state.principal = SimpleNamespace(name=request.headers["x-test-principal"])
        return await call_next(request)

    app.include_router(build_evaluations_router(view, store, projector))
    return app


@pytest.fixture
async def api(nc, store):
    view, projector = await start_evaluations(nc, catch_up_timeout=10)
    transport = httpx.ASGITransport(app=build_app(view, store, projector))
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        client.view, client.projector = view, projector  # type: ignore[attr-defined]
        yield client
    await projector.stop()


async def stored_count(store) -> int:
    return (await store.js.stream_info(EVALUATIONS_STREAM)).state.messages


async def test_post_answers_201_with_the_record_and_reads_its_own_write(api, store):
    response = await api.post("/evaluations/", json=SEED, headers={"x-test-principal": "ci-bot"})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == RECORD_KEYS
    assert {k: body[k] for k in SEED} == SEED
    assert body["source"] == "api" and body["created_by"] == "ci-bot" and body["incident_id"] is None
    assert body["created_at"].endswith("Z") and body["reasons"] == [] and body["truncated"] is False
    assert (await api.get(f"/evaluations/{body['id']}")).json() == body
    assert [r["id"] for r in (await api.get("/evaluations/")).json()] == [body["id"]]
    anonymous = (await api.post("/evaluations/", json=SEED)).json()
    assert anonymous["created_by"] == "anonymous"
    stored = await store.load_subject("evaluations.none.recorded", EVALUATIONS_STREAM)
    assert [s.envelope.event_id for s in stored] == [body["id"], anonymous["id"]]


@pytest.mark.parametrize("change, field", [
    ({"hallucination_probability": 1.5}, "hallucination_probability"),
    ({"semantic_drift": -0.1}, "semantic_drift"),
    ({"prompt": None}, "prompt"),
    ({"prompt": ""}, "prompt"),
    ({"surprise": 1}, "surprise"),
    ({"latency_sec": -0.01}, "latency_sec"),
    ({"hallucinated": "yes"}, "hallucinated"),
    ({"mode": "x" * 65}, "mode"),
    ({"model_name": "m" * 129}, "model_name"),
])
async def test_bad_input_is_422_with_the_reason_and_appends_nothing(api, store, change, field):
    body = {k: v for k, v in (SEED | change).items() if v is not None}
    response = await api.post("/evaluations/", json=body)
    assert response.status_code == 422
    problems = response.json()["detail"]
    assert any(p["loc"][-1] == field and p["msg"] for p in problems), problems
    assert await stored_count(store) == 0 and api.view.records == {}


async def test_long_texts_are_clipped_and_flagged(api):
    body = (await api.post("/evaluations/", json=SEED | {"prompt": "é" * 10_000})).json()
    assert len(body["prompt"].encode()) <= TEXT_LIMIT and body["truncated"] is True
    assert (await api.post("/evaluations/", json=SEED | {"prompt": "x" * 70_000})).status_code == 422


async def test_the_sdk_extras_are_accepted_and_bounded(api):
    body = (await api.post("/evaluations/", json=SEED | {"retrieved_docs": ["d" * 5000, "e" * 5000],
                                                          "session_id": "s-1"})).json()
    assert body["session_id"] == "s-1" and body["truncated"] is True
    assert body["retrieved_docs"][0] == "d" * 5000 and len("".join(body["retrieved_docs"])) == TEXT_LIMIT
    assert (await api.post("/evaluations/", json=SEED | {"retrieved_docs": None})).status_code == 201


async def test_list_filters_limit_and_newest_first(api):
    posted = []
    for i, (hallucinated, model) in enumerate([(False, "a"), (True, "a"), (True, "b"), (False, "b"), (True, "a")]):
        body = SEED | {"hallucinated": hallucinated, "model_name": model, "prompt": f"q{i}"}
        posted.append((await api.post("/evaluations/", json=body)).json()["id"])
    everything = (await api.get("/evaluations/")).json()
    assert [r["id"] for r in everything] == posted[::-1]
    flagged = (await api.get("/evaluations/", params={"hallucinated": "true"})).json()
    assert [r["prompt"] for r in flagged] == ["q4", "q2", "q1"]
    assert [r["prompt"] for r in (await api.get("/evaluations/", params={"limit": 2})).json()] == ["q4", "q3"]
    both = (await api.get("/evaluations/", params={"hallucinated": "false", "model_name": "b"})).json()
    assert [r["prompt"] for r in both] == ["q3"]
    assert (await api.get("/evaluations/", params={"mode": "other"})).json() == []
    assert (await api.get("/evaluations/", params={"limit": 0})).status_code == 422
    assert (await api.get("/evaluations/", params={"limit": 1001})).status_code == 422


async def test_stats_math_on_known_data(api):
    empty = (await api.get("/evaluations/stats")).json()
    assert empty == {"total_evaluations": 0, "total_hallucinations": 0, "hallucination_rate": 0.0, "avg_latency": 0.0,
                     "avg_throughput": 0.0, "avg_semantic_drift": 0.0, "avg_uncertainty": 0.0,
                     "avg_factual_support": 0.0}
    rows = [(True, 0.2, 5.0, 0.5, 0.1, 0.3), (False, 0.4, None, 0.1, 0.2, 0.9), (True, 0.6, 1.0, 0.3, 0.3, 0.6),
            (False, 0.8, 2.0, 0.0, 0.0, 1.0)]
    for hallucinated, latency, qps, drift, uncertainty, support in rows:
        await api.post("/evaluations/", json=SEED | {
            "hallucinated": hallucinated, "latency_sec": latency, "throughput_qps": qps, "semantic_drift": drift,
            "uncertainty": uncertainty, "factual_support": support})
    stats = (await api.get("/evaluations/stats", params={"days": 7})).json()
    assert stats == {"total_evaluations": 4, "total_hallucinations": 2, "hallucination_rate": 0.5,
                     "avg_latency": 0.5, "avg_throughput": round(8.0 / 3, 4),  # the row without a value is skipped
                     "avg_semantic_drift": 0.225, "avg_uncertainty": 0.15, "avg_factual_support": 0.7}
    assert (await api.get("/evaluations/stats", params={"days": 0})).status_code == 422
    assert (await api.get("/evaluations/stats", params={"days": 366})).status_code == 422


async def test_stats_count_only_the_last_days(api, store):
    old = EvaluationRecorded(id="old-1", **{k: v for k, v in SEED.items()} | {"hallucinated": True, "latency_sec": 9.0})
    env = Envelope(event_id="old-1", incident_id=None, time=now() - timedelta(days=10), actor="tests@local",
                   payload=old)
    await store.publish(env, None)
    fresh = (await api.post("/evaluations/", json=SEED)).json()
    assert (await api.get("/evaluations/old-1")).json()["hallucinated"] is True
    week = (await api.get("/evaluations/stats", params={"days": 7})).json()
    assert week["total_evaluations"] == 1 and week["total_hallucinations"] == 0 and week["avg_latency"] == 0.42
    month = (await api.get("/evaluations/stats", params={"days": 30})).json()
    assert month["total_evaluations"] == 2 and month["hallucination_rate"] == 0.5
    assert month["avg_latency"] == round((9.0 + 0.42) / 2, 4)
    assert fresh["id"] in [r["id"] for r in (await api.get("/evaluations/")).json()]


async def test_unknown_evaluation_is_404(api):
    response = await api.get("/evaluations/no-such-id")
    assert response.status_code == 404 and "no-such-id" in response.json()["detail"]


async def test_texts_evicted_from_memory_are_read_back_from_the_stream(nc, store):
    view = EvaluationsView(text_budget=100)
    projector = Projector(nc, EVALUATIONS_STREAM, "evaluations.>", view.apply, "evaluations")
    await projector.start()
    transport = httpx.ASGITransport(app=build_app(view, store, projector))
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        first = (await client.post("/evaluations/", json=SEED | {"prompt": "p" * 80})).json()
        second = (await client.post("/evaluations/", json=SEED | {"prompt": "q" * 80})).json()
        assert not view.get(first["id"]).text_held and view.text_bytes <= 100
        assert (await client.get(f"/evaluations/{first['id']}")).json()["prompt"] == "p" * 80
        assert [r["prompt"] for r in (await client.get("/evaluations/")).json()] == ["q" * 80, "p" * 80]
        assert second["prompt"] == "q" * 80
    await projector.stop()


def recorded(i: int, age: timedelta = timedelta(0), **fields) -> Envelope:  # type: ignore[no-untyped-def]
    payload = EvaluationRecorded(id=f"r{i}", **SEED | fields)
    return Envelope(event_id=f"r{i}", incident_id=None, time=now() - age, actor="t", payload=payload)


def test_view_keeps_at_most_max_records_and_stats_fall_back_to_day_totals():
    view = EvaluationsView(max_records=3)
    for i in range(5):
        view.apply(i + 1, recorded(i, timedelta(days=5 - i), hallucinated=i % 2 == 0, latency_sec=float(i)))
    assert list(view.records) == ["r2", "r3", "r4"] and len(view._texts) == 3
    week = view.stats(now(), 7)  # r0 and r1 are gone from the records, not from the day totals
    assert week["total_evaluations"] == 5 and week["total_hallucinations"] == 3 and week["avg_latency"] == 2.0
    assert view.stats(now(), 4)["total_evaluations"] == 3  # the records still cover four days: exact


def test_scores_arriving_later_update_the_stats_once():
    view = EvaluationsView()
    call = LLMCallEvaluated(model="m", ok=True, valid=True, latency_s=0.5, incident="inc-2")
    env = Envelope(event_id="c1", incident_id=None, time=now(), actor="analyst@n", payload=call)
    view.apply(1, env)
    view.apply(2, env)  # a replayed duplicate changes nothing
    assert view.stats(now(), 1)["total_evaluations"] == 1 and view.stats(now(), 1)["hallucination_rate"] == 0.0
    score = EvaluationScored(incident="inc-2", analyzer="llm:m", action="RESTART", outcome="FAILED",
                             factual_support=0.1, hallucination_probability=0.8, hallucinated=True,
                             semantic_drift=0.9, uncertainty=0.3, reasons=["r"])
    for seq in (3, 4):
        view.apply(seq, Envelope(event_id="s1", incident_id="inc-2", time=now(), actor="analyst@n", payload=score))
    stats = view.stats(now(), 1)
    assert stats["total_evaluations"] == 1 and stats["total_hallucinations"] == 1 and stats["avg_semantic_drift"] == 0.9
    assert view.days[now().date()].to_json() == stats


# --- the analyst's LLM calls and their scoring ---------------------------------------------------------

LOGS = "ERROR: Memory usage at 98%. Object count: 1,500,000. java.lang.OutOfMemoryError: Java heap space"


def llm_incident(root_cause: str = "Memory leak: heap usage at 98% with 1,500,000 objects") -> list[ev.IncidentEvent]:
    analysis = AIAnalysis(root_cause=root_cause, action="RESTART", justification="frees memory", confidence=0.8)
    return [received(logs=LOGS), ev.RetrievalCompleted(matches=[]), ev.AnalysisStarted(analyzer="llm:gpt-4o-mini"),
            ev.AnalysisCompleted(analysis=analysis, analyzer="llm:gpt-4o-mini"), *council_approved(),
            ev.ActionStarted(action="RESTART", target="addition-api"),
            ev.ActionCompleted(action="RESTART", target="addition-api"),
            ev.VerificationStarted(target="addition-api"), ev.HealthChecked(attempt=1, healthy=True),
            ev.IncidentResolved(resolved_at=T0)]


def known_inventory() -> InventoryView:
    inventory = InventoryView()
    inventory.targets["addition-api"] = TargetConfig(name="addition-api", port=8002, command=["x"])
    return inventory


async def test_analyst_calls_appear_and_get_their_incident_scores(api, store):
    call = dict(model="gpt-4o-mini", latency_s=0.5, tokens_out=40, incident="inc-9", prompt="<logs>…</logs>")
    await store.append_system(LLMCallEvaluated(ok=False, valid=False, error="timeout", **call | {"latency_s": 0.0}))
    await store.append_system(LLMCallEvaluated(ok=True, valid=False, error="no JSON object", response="hm", **call))
    valid_seq = await store.append_system(LLMCallEvaluated(ok=True, valid=True, response='{"action":"RESTART"}',
                                                           attempt=2, **call))
    await api.projector.wait_for(valid_seq)
    calls = (await api.get("/evaluations/", params={"incident_id": "inc-9"})).json()
    assert len(calls) == 2  # the provider failure has no answer to evaluate
    valid, rejected = calls
    assert valid["mode"] == "incident-analysis" and valid["agent_name"] == "analyst" and valid["source"] == "analyst"
    assert valid["model_name"] == "gpt-4o-mini" and valid["latency_sec"] == 0.5 and valid["throughput_qps"] == 2.0
    assert valid["prompt"] == "<logs>…</logs>" and valid["response"] == '{"action":"RESTART"}'
    assert valid["hallucinated"] is None and valid["factual_support"] is None
    assert rejected["reasons"] == ["answer rejected by the analyst: no JSON object"]

    await store.append("inc-9", llm_incident("PostgreSQL deadlock after HTTP 503 from payments-svc"), expected_seq=0)
    terminal = (await store.load("inc-9"))[-1].envelope
    await score_terminal(store, known_inventory(), Policy(), terminal)
    scored = await store.load_subject("evaluations.inc-9.scored", EVALUATIONS_STREAM)
    await api.projector.wait_for(scored[-1].seq)
    valid, rejected = (await api.get("/evaluations/", params={"incident_id": "inc-9"})).json()
    assert valid["hallucinated"] is True and valid["semantic_drift"] == 1.0 and valid["uncertainty"] == 0.2
    assert any("'PostgreSQL'" in r for r in valid["reasons"])
    assert rejected["hallucinated"] is None
    assert [r["id"] for r in (await api.get("/evaluations/", params={"hallucinated": "true"})).json()] == [valid["id"]]
    stats = (await api.get("/evaluations/stats")).json()
    assert stats["total_evaluations"] == 2 and stats["total_hallucinations"] == 1 and stats["hallucination_rate"] == 1.0


async def test_scoring_consumer_appends_one_evaluation_even_when_redelivered(nc, store):
    offline = ServiceContext(name="analyst", settings=load_settings(environ={}), nc=nc, store=store)
    without_llm = Analyst(offline, retriever=None, inventory=known_inventory())  # type: ignore[arg-type]
    assert "analyst-scoring" not in {s.durable for s in consumers(offline, without_llm)}  # no LLM calls to score
    settings = load_settings(environ={}, llm_model="openai/fake")
    ctx = ServiceContext(name="analyst", settings=settings, nc=nc, store=store)
    analyst = Analyst(ctx, retriever=None, inventory=known_inventory())  # type: ignore[arg-type]
    spec = next(s for s in consumers(ctx, analyst) if s.durable == "analyst-scoring")
    await store.append("inc-1", llm_incident(), expected_seq=0)
    await store.append("inc-off", [received(), ev.AnalysisCompleted(analysis=AIAnalysis(
        root_cause="x", action="NOOP", justification="j", confidence=0.5), analyzer="offline"),
        ev.IncidentFailed(error="gave up")], expected_seq=0)
    runner = ConsumerRunner(nc, spec)
    task = asyncio.create_task(runner.run())
    try:
        scored = await eventually(lambda: store.load_subject("evaluations.*.scored", EVALUATIONS_STREAM),
                                  what="an EvaluationScored")
        info = await eventually(lambda: _acked_all(store), what="both terminal events acked")
        assert info.num_ack_pending == 0
    finally:
        runner.stop()
        await task
    assert [s.envelope.payload.incident for s in scored] == ["inc-1"]  # the offline analysis is not scored
    event = scored[0].envelope
    assert event.incident_id == "inc-1" and event.causation_id is not None
    assert not event.payload.hallucinated and event.payload.outcome == "RESOLVED"

    terminal = (await store.load("inc-1"))[-1].envelope
    publishes = []
    original = store.publish

    async def counting(env, expected):  # type: ignore[no-untyped-def]
        publishes.append(env)
        return await original(env, expected)

    store.publish = counting  # type: ignore[method-assign]
    for attempt in (2, 3):  # redeliveries, as the runner would hand them over
        await spec.handler(terminal, SimpleNamespace(attempt=attempt, last_attempt=False))  # type: ignore[arg-type]
    assert publishes == []  # the stream says it is scored: nothing is even re-sent
    assert len(await store.load_subject("evaluations.inc-1.scored", EVALUATIONS_STREAM)) == 1


async def _acked_all(store):  # type: ignore[no-untyped-def]
    info = await store.js.consumer_info("INCIDENTS", "analyst-scoring")
    return info if info.num_pending == 0 and info.num_ack_pending == 0 and info.delivered.consumer_seq >= 2 else None
