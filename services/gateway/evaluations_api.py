"""The AgentOps contract's evaluations API: clients post LLM evaluations; the analyst's LLM calls appear beside
them, scored."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from nats.aio.client import Client as NATS
from pydantic import BaseModel, ConfigDict, Field

from shared.errors import AegisError, NotFoundError
from shared.events import decode, now
from shared.events.knowledge import EVALUATIONS_STREAM, TEXT_LIMIT, EvaluationRecorded, clip
from shared.eventstore import EventStore
from shared.jetstream import js_call
from shared.log import get_logger
from shared.projections.evaluations import EvaluationRecord, EvaluationsView, texts_of
from shared.projections.projector import Projector

log = get_logger("gateway.evaluations")
MAX_TEXT = 65_536  # characters accepted per text field; the stored event keeps TEXT_LIMIT bytes of it
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Name = Annotated[str, Field(min_length=1, max_length=128)]


class EvaluationCreate(BaseModel):
    """The AgentOps contract's evaluation, as the agentops SDK posts it (retrieved_docs and session_id are optional)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    prompt: str = Field(min_length=1, max_length=MAX_TEXT, description="The user prompt/question")
    response: str = Field(max_length=MAX_TEXT, description="The LLM response")
    retrieved_docs: list[Annotated[str, Field(max_length=MAX_TEXT)]] | None = Field(default=None, max_length=50)
    semantic_drift: Probability
    uncertainty: Probability
    factual_support: Probability
    hallucination_probability: Probability
    hallucinated: bool = Field(strict=True)
    latency_sec: float = Field(ge=0.0, description="Seconds the answer took")
    throughput_qps: float | None = Field(default=None, ge=0.0)
    mode: str = Field(min_length=1, max_length=64, examples=["self-check", "retrieved-doc entailment"])
    model_name: Name | None = None
    agent_name: Name | None = None
    session_id: Name | None = None


def _clip_docs(docs: list[str] | None) -> tuple[list[str] | None, bool]:
    """Retrieved docs within TEXT_LIMIT bytes together; True when something was cut."""
    if docs is None:
        return None, False
    out, left = [], TEXT_LIMIT
    for doc in docs:
        kept = clip(doc, left)
        out.append(kept)
        left -= len(kept.encode())
    return out, out != docs


def to_event(body: EvaluationCreate, rid: str, principal: str) -> EvaluationRecorded:
    """The event a valid POST appends (texts clipped to TEXT_LIMIT bytes, flagged when cut)."""
    prompt, response = clip(body.prompt), clip(body.response)
    docs, docs_cut = _clip_docs(body.retrieved_docs)
    fields = body.model_dump(exclude={"prompt", "response", "retrieved_docs"})
    return EvaluationRecorded(id=rid, prompt=prompt, response=response, retrieved_docs=docs, principal=principal,
                              truncated=docs_cut or prompt != body.prompt or response != body.response, **fields)


def build_evaluations_router(view: EvaluationsView, store: EventStore, projector: Projector) -> APIRouter:
    """POST/GET /evaluations/, GET /evaluations/stats and /evaluations/{id}, over an EvaluationsView."""
    router = APIRouter(prefix="/evaluations", tags=["evaluations"])

    async def refill(record: EvaluationRecord) -> dict[str, Any]:
        out = record.to_json()
        if not record.text_held:  # evicted from memory: the stream still has it
            try:
                raw = await js_call(store.js.get_msg(EVALUATIONS_STREAM, seq=record.seq, direct=True))
                out["prompt"], out["response"], out["retrieved_docs"] = texts_of(decode(raw.data))
            except AegisError as exc:
                log.warning("evaluation text unavailable", extra={"id": record.id, "error": str(exc)})
        return out

    async def rendered(records: list[EvaluationRecord]) -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(refill(r) for r in records)))

    @router.post("/", status_code=201, summary="Record an evaluation (AgentOps contract)")
    async def create_evaluation(body: EvaluationCreate, request: Request) -> dict[str, Any]:
        principal = getattr(getattr(request.state, "principal", None), "name", None) or "anonymous"
        rid = str(uuid.uuid4())
        seq = await store.append_system(to_event(body, rid, principal), event_id=rid)
        await projector.wait_for(seq)
        record = view.get(rid)
        if record is None:  # evicted at once by a full view: answer from what was appended
            raise NotFoundError(f"Evaluation {rid} was stored but is no longer in the read model")
        return await refill(record)

    @router.get("/", summary="List evaluations, newest first")
    async def list_evaluations(limit: int = Query(default=100, ge=1, le=1000), offset: int = Query(default=0, ge=0),
                               hallucinated: bool | None = None, model_name: str | None = None,
                               agent_name: str | None = None, mode: str | None = None,
                               incident_id: str | None = None) -> list[dict[str, Any]]:
        return await rendered(view.select(limit=limit, offset=offset, hallucinated=hallucinated,
                                          model_name=model_name, agent_name=agent_name, mode=mode,
                                          incident_id=incident_id))

    @router.get("/stats", summary="Evaluation statistics over the last `days` days")
    async def evaluation_stats(days: int = Query(default=7, ge=1, le=365)) -> dict[str, Any]:
        return view.stats(now(), days)

    @router.get("/{evaluation_id}", summary="One evaluation")
    async def get_evaluation(evaluation_id: str) -> dict[str, Any]:
        record = view.get(evaluation_id)
        if record is None:
            raise NotFoundError(f"Evaluation {evaluation_id} not found")
        return await refill(record)

    return router


async def start_evaluations(nc: NATS, catch_up_timeout: float = 120.0) -> tuple[EvaluationsView, Projector]:
    """An EvaluationsView kept live from the EVALUATIONS stream, caught up before it is returned."""
    view = EvaluationsView()
    projector = Projector(nc, EVALUATIONS_STREAM, "evaluations.>", view.apply, "evaluations")
    await projector.start()
    await projector.catch_up(timeout=catch_up_timeout)
    return view, projector
