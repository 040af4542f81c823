"""Retrieval: recall@3 on paraphrased incidents (beside TF-IDF), the FAISS index, the runbook as events."""

from __future__ import annotations

import numpy as np
import pytest

from bench.paraphrases import INCIDENTS
from services.analyst.embedder import DIMENSIONS, Embedder
from services.analyst.retrieval import Retriever
from services.analyst.tfidf import TfidfRetriever
from services.analyst.vector_index import VectorIndex
from shared.events.knowledge import RUNBOOK_STREAM, RunbookEntry, RunbookEntryAdded
from shared.projections.projector import Projector


@pytest.fixture(scope="module")
def embedder():
    return Embedder()


def entries():
    return [RunbookEntry(incident_id=i, alert_type=a, logs=logs, root_cause=rc, action=act)
            for i, a, logs, rc, act, _ in INCIDENTS]


def recall_at_3(search) -> float:
    hits = sum(any(hit == i for hit, _ in search(query)) for i, *_, query in INCIDENTS)
    return hits / len(INCIDENTS)


def test_recall_at_3_on_paraphrases_beats_tfidf(embedder, capsys):
    assert len(INCIDENTS) >= 30
    index = VectorIndex(DIMENSIONS)
    es = entries()
    index.add([e.incident_id for e in es], embedder.encode([e.text() for e in es]))
    dense = recall_at_3(lambda q: index.search(embedder.encode([q])[0], 3))
    tfidf = TfidfRetriever({e.incident_id: e.text() for e in es})
    sparse = recall_at_3(lambda q: tfidf.search(q, 3))
    with capsys.disabled():
        print(f"\nrecall@3 on {len(INCIDENTS)} paraphrased incidents: embeddings {dense:.3f}, TF-IDF {sparse:.3f}")
    assert dense >= 0.9
    assert dense > sparse


def test_index_switches_to_hnsw_past_the_threshold_and_keeps_answers(embedder, tmp_path):
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(300, DIMENSIONS)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = VectorIndex(DIMENSIONS, hnsw_threshold=100)
    index.add([f"e{i}" for i in range(50)], vectors[:50], seq=50)
    assert index.kind == "flat"
    index.add([f"e{i}" for i in range(50, 300)], vectors[50:], seq=300)
    assert index.kind == "hnsw" and len(index) == 300
    assert index.search(vectors[123], 1)[0][0] == "e123"
    index.save(tmp_path)
    loaded = VectorIndex.load(tmp_path, DIMENSIONS, 100)
    assert loaded.kind == "hnsw" and loaded.seq == 300 and loaded.search(vectors[7], 1)[0][0] == "e7"


def test_readded_id_supersedes_the_old_vector():
    index = VectorIndex(4)
    index.add(["a", "b"], np.eye(4, dtype=np.float32)[:2])
    index.add(["a"], np.eye(4, dtype=np.float32)[2:3])
    eye = np.eye(4, dtype=np.float32)
    assert index.search(eye[2], 1) == [("a", 1.0)]
    assert dict(index.search(eye[0], 3)) == {"a": 0.0, "b": 0.0}  # a's old vector (e0) no longer answers
    assert len(index) == 2


def test_corrupt_or_missing_index_is_not_loaded(tmp_path):
    assert VectorIndex.load(tmp_path, DIMENSIONS, 100) is None
    (tmp_path / "meta.json").write_text("{not json")
    (tmp_path / "index.faiss").write_bytes(b"garbage")
    assert VectorIndex.load(tmp_path, DIMENSIONS, 100) is None


@pytest.mark.integration
async def test_runbook_events_feed_the_index_which_persists_and_detects_staleness(nc, store, embedder, tmp_path):
    for e in entries():
        await store.append_system(RunbookEntryAdded(entry=e))
    retriever = Retriever(embedder, tmp_path / "idx")
    projector = Projector(nc, RUNBOOK_STREAM, "runbook.>", retriever.on_event)
    await projector.start()
    await projector.catch_up()
    assert retriever.check_fresh()
    assert await retriever.sync() == len(INCIDENTS)
    found = await retriever.query("checkout processor maxed out, one thread stuck computing factorials forever", 3)
    assert found[0].incident_id == "pp-02" and 0 < found[0].similarity_score <= 1
    assert not (tmp_path / "idx" / "index.faiss").exists()  # writes are batched (SAVE_INTERVAL)...
    await retriever.flush()  # ...and flushed at the latest when the analyst stops
    await projector.stop()

    again = Retriever(embedder, tmp_path / "idx")  # a restart: loaded from disk, nothing to re-embed
    assert len(again.index) == len(INCIDENTS)
    p2 = Projector(nc, RUNBOOK_STREAM, "runbook.>", again.on_event)
    await p2.start()
    await p2.catch_up()
    assert again.check_fresh() and again.pending == []
    await p2.stop()

    stale = Retriever(embedder, tmp_path / "idx")  # a stream that does not know the indexed entries
    stale.view.applied_seq = 1
    assert not stale.check_fresh() and len(stale.index) == 0


@pytest.mark.integration
async def test_a_query_waits_for_entries_appended_just_before_it(nc, store, embedder, tmp_path):
    for e in entries()[:16]:
        await store.append_system(RunbookEntryAdded(entry=e))
    retriever = Retriever(embedder, tmp_path / "idx")
    await retriever.follow(nc)
    try:
        assert retriever.indexed_seq == 16 and retriever.pending == []
        seqs = [await store.append_system(RunbookEntryAdded(entry=e)) for e in entries()[16:]]
        # no background indexing loop runs here: the waiting query has to index what it must see by itself
        fresh = await retriever.wait_indexed(None, timeout=30)  # None: the stream's last sequence, asked now
        assert not fresh.stale and fresh.min_seq == seqs[-1] == len(INCIDENTS) and fresh.indexed_seq == seqs[-1]
        found = await retriever.query(INCIDENTS[-1][-1], 3)
        assert INCIDENTS[-1][0] in [f.incident_id for f in found]
        assert not (await retriever.wait_indexed(seqs[-1], timeout=30)).stale

        beyond = await retriever.wait_indexed(seqs[-1] + 5, timeout=0.2)  # a sequence the stream does not have
        assert beyond.stale and beyond.indexed_seq == seqs[-1]
        assert beyond.reason == f"min_seq {seqs[-1] + 5} is beyond the runbook stream (last seq {seqs[-1]})"
        assert beyond.to_json() | {"waited_ms": 0} == {"min_seq": seqs[-1] + 5, "indexed_seq": seqs[-1],
                                                      "stale": True, "reason": beyond.reason, "waited_ms": 0}
    finally:
        await retriever.stop()


def test_onnx_embeddings_equal_sentence_transformers(embedder):
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    from services.analyst.onnx_export import source_model_dir

    texts = ["ERROR: Memory usage at 98%. OOM imminent.", "checkout processor maxed out", "x" * 3000]
    reference = SentenceTransformer(str(source_model_dir()), device="cpu").encode(texts, normalize_embeddings=True)
    ours = embedder.encode(texts)
    assert ours.shape == (3, DIMENSIONS)
    assert np.allclose((ours * reference).sum(axis=1), 1.0, atol=1e-4)


def test_repeated_texts_are_served_from_the_cache(embedder):
    first = embedder.encode(["same alert text"])
    saved = embedder._session
    embedder._session = None  # a cache miss would have to load the model again; this must not
    try:
        assert np.array_equal(embedder.encode(["same alert text"]), first)
        assert embedder._session is None
    finally:
        embedder._session = saved
