"""Retrieval over the runbook: the runbook projection, its FAISS index kept in step, and queries that can
wait until the index holds a given stream sequence (read-your-writes)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import msgspec
from nats.aio.client import Client as NATS

from services.analyst.embedder import DIMENSIONS, Embedder
from services.analyst.vector_index import VectorIndex
from shared.events import Envelope
from shared.events.knowledge import RUNBOOK_STREAM, RunbookEntry
from shared.events.models import RetrievedIncident
from shared.jetstream import js_call
from shared.log import get_logger
from shared.projections.projector import Projector
from shared.projections.runbook import RunbookView

log = get_logger("analyst.retrieval")
SAVE_EVERY = 1024  # entries, or
SAVE_INTERVAL = 10.0  # seconds: how often new entries are written to disk at the most
INLINE_SEARCH_MAX = 20_000  # below this many vectors a search takes well under a millisecond
STREAM_INFO_WAIT = 1.0  # seconds the stream's position may take to learn, even with a shorter wait configured
RECHECK = 0.5  # seconds: a waiter re-reads the projector's position this often (an undecodable event wakes no one)


class Freshness(msgspec.Struct, frozen=True):
    """How a query's view of the runbook compares with what it had to see."""

    min_seq: int  # the runbook stream sequence the index had to hold
    indexed_seq: int  # every entry up to here is searchable
    waited_s: float
    reason: str = ""  # why the answer may be incomplete; empty when it is not

    @property
    def stale(self) -> bool:
        """True when the index did not reach min_seq within the wait."""
        return bool(self.reason)

    def to_json(self) -> dict[str, object]:
        """The fields a /rag/test answer carries beside seed 001's."""
        out: dict[str, object] = {"min_seq": self.min_seq, "indexed_seq": self.indexed_seq, "stale": self.stale,
                                  "waited_ms": round(self.waited_s * 1000, 1)}
        if self.reason:
            out["reason"] = self.reason
        return out


class Retriever:
    """Folds runbook events, embeds new entries off the event loop, answers similarity queries."""

    def __init__(self, embedder: Embedder, directory: Path, hnsw_threshold: int = 200_000) -> None:
        self.embedder = embedder
        self.directory = directory
        self.hnsw_threshold = hnsw_threshold
        self.view = RunbookView()
        self.index = VectorIndex.load(directory, DIMENSIONS, hnsw_threshold) or VectorIndex(DIMENSIONS, hnsw_threshold)
        self.pending: list[tuple[int, RunbookEntry]] = []  # in stream order; an entry leaves once searchable
        self.projector: Projector | None = None
        self.last_error = ""
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()  # one sync at a time: the background loop and waiting queries share it
        self._sync_task: asyncio.Task[int] | None = None
        self._changed = asyncio.Event()  # set (and replaced) when the view or the index moved, if anyone waits
        self._waiters = 0
        self._unsaved = 0
        self._last_save = time.monotonic()

    async def follow(self, nc: NATS, timeout: float = 120.0) -> None:
        """Fold the RUNBOOK stream from the start and keep following it; catch the index up before returning."""
        self.projector = Projector(nc, RUNBOOK_STREAM, "runbook.>", self.on_event, "runbook")
        await self.projector.start()
        await self.projector.catch_up(timeout=timeout)
        self.check_fresh()
        await self.sync()

    async def stop(self) -> None:
        """Stop following the stream (an indexing run a query started is let finish)."""
        if self.projector is not None:
            await self.projector.stop()
        if self._sync_task is not None:
            await asyncio.gather(self._sync_task, return_exceptions=True)

    def on_event(self, seq: int, env: Envelope) -> None:
        """Projector callback: fold, and queue entries the index has not seen."""
        self.view.apply(seq, env)
        entry = getattr(env.payload, "entry", None)
        if entry is not None and seq > self.index.seq:
            self.pending.append((seq, entry))
            self._wake.set()
        self._notify()

    def _notify(self) -> None:
        if self._waiters:
            self._changed.set()
            self._changed = asyncio.Event()

    @property
    def applied_seq(self) -> int:
        """The last runbook stream sequence folded into the view (skipped undecodable events included)."""
        return max(self.view.applied_seq, self.projector.applied_seq if self.projector else 0)

    @property
    def indexed_seq(self) -> int:
        """Every runbook entry up to this stream sequence is searchable."""
        return self.pending[0][0] - 1 if self.pending else self.applied_seq

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
        async with self._lock:
            while self.pending:
                chunk = self.pending[:batch]  # stays pending (so indexed_seq stays honest) until searchable
                vectors = await asyncio.to_thread(self.embedder.encode, [e.text() for _, e in chunk])
                del self.pending[:len(chunk)]  # new entries were only appended meanwhile
                self.index.add([e.incident_id for _, e in chunk], vectors, seq=max(s for s, _ in chunk))
                added += len(chunk)
                self._unsaved += len(chunk)
                self.last_error = ""
                self._notify()
            if self._unsaved and (self._unsaved >= SAVE_EVERY
                                  or time.monotonic() - self._last_save >= SAVE_INTERVAL):
                await self._save()
        return added

    def _sync_now(self) -> None:
        """Start indexing what is pending at once, rather than at the background loop's next turn."""
        if self._sync_task is None or self._sync_task.done():
            self._sync_task = asyncio.ensure_future(self.sync())
            self._sync_task.add_done_callback(self._sync_done)

    def _sync_done(self, task: asyncio.Task[int]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self.last_error = repr(task.exception())
            log.error("indexing failed", extra={"error": self.last_error})
            self._notify()

    async def stream_seq(self) -> int:
        """The RUNBOOK stream's last sequence now (one stream info request)."""
        if self.projector is None:
            return self.applied_seq
        info = await js_call(self.projector.js.stream_info(RUNBOOK_STREAM))
        return info.state.last_seq

    async def wait_indexed(self, min_seq: int | None, timeout: float) -> Freshness:
        """Wait (at most `timeout` seconds) until every entry up to `min_seq` is searchable; None means the
        stream's last sequence now. Never raises: the answer says why the index may be behind."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        if min_seq is None:
            try:
                min_seq = await asyncio.wait_for(self.stream_seq(), max(timeout, STREAM_INFO_WAIT))
            except Exception as exc:  # noqa: BLE001 - the query is answered from what the index holds
                return Freshness(self.indexed_seq, self.indexed_seq, loop.time() - started,
                                 f"runbook stream position unknown ({str(exc) or type(exc).__name__})")
        elif min_seq > self.indexed_seq:
            try:  # a position the stream has not reached can only be a caller's mistake: say so at once
                last = await asyncio.wait_for(self.stream_seq(), max(timeout, STREAM_INFO_WAIT))
            except Exception:  # noqa: BLE001 - unknown: wait as asked
                last = min_seq
            if min_seq > last:
                return Freshness(min_seq, self.indexed_seq, loop.time() - started,
                                 f"min_seq {min_seq} is beyond the runbook stream (last seq {last})")
        deadline = started + timeout
        while self.indexed_seq < min_seq and (remaining := deadline - loop.time()) > 0:
            if self.pending:
                self._sync_now()
            self._waiters += 1
            try:
                await asyncio.wait_for(self._changed.wait(), min(remaining, RECHECK))
            except TimeoutError:
                pass
            finally:
                self._waiters -= 1
        waited = loop.time() - started
        indexed = self.indexed_seq
        if indexed >= min_seq:
            return Freshness(min_seq, indexed, waited)
        why = f"index at seq {indexed} of {min_seq} after {timeout:.1f}s"
        if self.pending:
            why += f"; {len(self.pending)} entries up to seq {self.pending[-1][0]} still being embedded"
        if self.last_error:
            why += f"; indexing failed: {self.last_error}"
        return Freshness(min_seq, indexed, waited, why)

    async def flush(self) -> None:
        """Write the index to disk now (also at shutdown)."""
        async with self._lock:  # never while a sync adds to the index the save is reading
            await self._save()

    async def _save(self) -> None:
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
                self.last_error = repr(exc)
                log.error("indexing failed", extra={"error": self.last_error})
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
