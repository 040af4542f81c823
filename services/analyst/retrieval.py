"""Retrieval over the runbook: the runbook projection, its FAISS index kept in step, and queries."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from services.analyst.embedder import DIMENSIONS, Embedder
from services.analyst.vector_index import VectorIndex
from shared.events import Envelope
from shared.events.knowledge import RunbookEntry
from shared.events.models import RetrievedIncident
from shared.log import get_logger
from shared.projections.runbook import RunbookView

log = get_logger("analyst.retrieval")
SAVE_EVERY = 1024  # entries, or
SAVE_INTERVAL = 10.0  # seconds: how often new entries are written to disk at the most
INLINE_SEARCH_MAX = 20_000  # below this many vectors a search takes well under a millisecond


class Retriever:
    """Folds runbook events, embeds new entries off the event loop, answers similarity queries."""

    def __init__(self, embedder: Embedder, directory: Path, hnsw_threshold: int = 200_000) -> None:
        self.embedder = embedder
        self.directory = directory
        self.hnsw_threshold = hnsw_threshold
        self.view = RunbookView()
        self.index = VectorIndex.load(directory, DIMENSIONS, hnsw_threshold) or VectorIndex(DIMENSIONS, hnsw_threshold)
        self.pending: list[tuple[int, RunbookEntry]] = []
        self._wake = asyncio.Event()
        self._unsaved = 0
        self._last_save = time.monotonic()

    def on_event(self, seq: int, env: Envelope) -> None:
        """Projector callback: fold, and queue entries the index has not seen."""
        self.view.apply(seq, env)
        entry = getattr(env.payload, "entry", None)
        if entry is not None and seq > self.index.seq:
            self.pending.append((seq, entry))
            self._wake.set()

    def check_fresh(self) -> bool:
        """After catching up: rebuild from the view if the persisted index does not match the stream."""
        stale = self.index.seq > self.view.applied_seq or any(i not in self.view.entries for i in self.index.latest)
        if stale:
            log.warning("runbook index is stale; rebuilding from the stream",
                        extra={"index_seq": self.index.seq, "stream_seq": self.view.applied_seq})
            self.index = VectorIndex(DIMENSIONS, self.hnsw_threshold)
            self.pending = [(self.view.applied_seq, e) for e in self.view.entries.values()]
            self._wake.set()
        return not stale

    async def sync(self, batch: int = 256) -> int:
        """Embed and index everything pending; returns how many entries were added."""
        added = 0
        while self.pending:
            chunk, self.pending = self.pending[:batch], self.pending[batch:]
            vectors = await asyncio.to_thread(self.embedder.encode, [e.text() for _, e in chunk])
            self.index.add([e.incident_id for _, e in chunk], vectors, seq=max(s for s, _ in chunk))
            added += len(chunk)
            self._unsaved += len(chunk)
        if self._unsaved and (self._unsaved >= SAVE_EVERY or time.monotonic() - self._last_save >= SAVE_INTERVAL):
            await self.flush()
        return added

    async def flush(self) -> None:
        """Write the index to disk now (also at shutdown)."""
        if self._unsaved:
            await asyncio.to_thread(self.index.save, self.directory)
            self._unsaved = 0
            self._last_save = time.monotonic()

    async def run(self, stopping: asyncio.Event) -> None:
        """Keep the index in step until the service stops."""
        while not stopping.is_set():
            waiter = asyncio.create_task(self._wake.wait())
            stop = asyncio.create_task(stopping.wait())
            await asyncio.wait([waiter, stop], timeout=SAVE_INTERVAL, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stop.cancel()
            self._wake.clear()
            try:
                await self.sync()
            except Exception as exc:  # noqa: BLE001 - retrieval degrades, analysis goes on
                log.error("indexing failed", extra={"error": repr(exc)})
        await self.flush()

    async def query(self, text: str, k: int) -> list[RetrievedIncident]:
        """The k most similar runbook entries, best first."""
        if len(self.index) == 0:
            return []
        vector = self.embedder.cached(text)
        if vector is None:
            vector = (await asyncio.to_thread(self.embedder.encode, [text]))[0]
        if self.index.index.ntotal <= INLINE_SEARCH_MAX:
            hits = self.index.search(vector, k)
        else:
            hits = await asyncio.to_thread(self.index.search, vector, k)
        out = []
        for entry_id, score in hits:
            e = self.view.entries.get(entry_id)
            if e is not None:
                out.append(RetrievedIncident(
                    incident_id=e.incident_id, alert_type=e.alert_type, root_cause=e.root_cause, action=e.action,
                    similarity_score=round(score, 4), justification=e.justification, logs=e.logs[:500],
                    container_name=e.container_name, severity=e.severity, replicas_used=e.replicas_used))
        return out
