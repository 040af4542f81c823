"""Analyst process: runbook retrieval (FAISS), LLM or offline analysis, learning from resolutions."""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.analyst.diagnosis import prepare
from services.analyst.embedder import Embedder
from services.analyst.handlers import Analyst, consumers
from services.analyst.llm import load_litellm
from services.analyst.offline import casebook_for
from services.analyst.retrieval import Retriever
from shared.projections.inventory import live_inventory
from shared.projections.target_history import live_target_history
from shared.service import ServiceContext, run, serve
from shared.wiring import DRAFT_REQUEST, INDEX_STATUS, RAG_QUERY


async def build(ctx: ServiceContext):
    """Catch the runbook and its index up, then analyse and learn."""
    s = ctx.settings
    inventory, _ = await live_inventory(ctx.nc)
    embedder = Embedder(Path(s.model_dir) if s.model_dir else None)
    retriever = Retriever(embedder, Path(s.data_dir) / "runbook-index", s.rag_hnsw_threshold)
    await retriever.follow(ctx.nc, timeout=120)
    history = await live_target_history(ctx.nc)
    analyst = Analyst(ctx, retriever, inventory, history=history)
    await analyst.restore_breaker()
    await ctx.nc.subscribe(RAG_QUERY, queue="analyst", cb=analyst.concurrently(analyst.on_rag_query))
    await ctx.nc.subscribe(INDEX_STATUS, queue="analyst", cb=analyst.concurrently(analyst.on_index_status))
    await ctx.nc.subscribe(DRAFT_REQUEST, queue="analyst", cb=analyst.on_draft_request)
    await ctx.nc.subscribe("system.breakers.llm.state_changed", cb=analyst.on_breaker_event)
    # after retrieval answers, before the first incident is consumed: ~15 s to fit 2,614 references on the
    # machine's first start, ~0.03 s from the casebook cache after it
    await asyncio.to_thread(casebook_for, s)
    await asyncio.to_thread(prepare)  # ~7 s to compile the signature, readings and reference one-pass scans
    if s.llm_model:
        await asyncio.to_thread(load_litellm)  # ~5 s of imports no incident should wait on with the loop blocked

    async def keep_index() -> None:
        await retriever.run(ctx.stopping)

    async def warm_model() -> None:
        await asyncio.to_thread(retriever.embedder.warm)
        await ctx.stopping.wait()

    return consumers(ctx, analyst), [keep_index, warm_model]


if __name__ == "__main__":
    run(serve("analyst", build))
