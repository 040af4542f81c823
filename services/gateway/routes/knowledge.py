"""The runbook and retrieval over it (/runbook, /rag/test through the analyst)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError

from shared.errors import StoreUnavailableError
from shared.wiring import RAG_QUERY

if TYPE_CHECKING:
    from services.gateway.app import Gateway


def build_router(gw: Gateway) -> APIRouter:
    """The knowledge routes around a Gateway."""
    router = APIRouter(tags=["knowledge"])

    @router.get("/runbook", summary="The self-growing runbook (RAG knowledge base)")
    async def runbook() -> dict[str, Any]:
        return gw.runbook.to_json()

    @router.get("/rag/test", summary="Test retrieval with a log text (sees the runbook as of min_seq, default now)")
    async def rag_test(logs: str = Query(min_length=1, max_length=20000),
                       k: int = Query(default=3, ge=1, le=50),
                       min_seq: int | None = Query(default=None, ge=0, description="RUNBOOK stream sequence the "
                                                   "answer must include (default: the stream's last)")
                       ) -> dict[str, Any]:
        request = {"logs": logs, "k": k} | ({"min_seq": min_seq} if min_seq is not None else {})
        try:  # the analyst waits up to rag_fresh_wait for its index, then answers (stale or not)
            reply = await gw.store.nc.request(RAG_QUERY, json.dumps(request).encode(),
                                              timeout=gw.settings.rag_fresh_wait + 15)
        except Exception as exc:  # noqa: BLE001 - no analyst answering is a 503, whatever nats-py raised
            raise StoreUnavailableError(f"retrieval unavailable: no analyst answered ({type(exc).__name__})") from None
        body = json.loads(reply.data)
        if "error" in body:  # the analyst refused the query's input
            raise RequestValidationError([{"loc": ("query",), "msg": body["error"], "type": "value_error"}])
        return body

    return router
