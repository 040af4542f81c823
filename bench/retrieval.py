"""Retrieval bench: query latency (embedding + FAISS search) at 1k / 10k / 100k runbook entries, index build
time, recall@1 and @3 on the paraphrase sets among those entries beside a TF-IDF baseline, and process RSS.
`--compare` adds what was tried and not kept (bench/notes/retrieval.md): the root cause in the embedded text,
BM25 (the bm25s package, not a dependency: install it to run this) and reciprocal-rank fusion with the dense
ranking.

Usage: python bench/retrieval.py [--sizes 1000,10000,100000] [--compare]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import percentile, report
from bench.paraphrases import INCIDENTS, REWORDED
from services.analyst.embedder import DIMENSIONS, Embedder
from services.analyst.tfidf import TfidfRetriever
from services.analyst.vector_index import VectorIndex
from shared.events.knowledge import RunbookEntry

SERVICES = ["orders", "checkout", "search", "billing", "auth", "inventory", "payments", "notifier", "ledger",
            "gateway", "profile", "catalog", "shipping", "reviews", "media", "reports"]
# Distractors are alerts of other kinds than the 32 paraphrased incidents, so recall@3 measures whether
# retrieval still finds the one true precedent among many entries (and whether HNSW loses it), not whether
# another incident of the same kind ranks first.
FAULTS = [
    "feature flag {s}-beta toggled by deploy bot", "backup of {s} database completed in {n}s",
    "user {n} reported a typo on the {s} page", "license for {s} vendor expires in {d} days",
    "{s} build pipeline failed at the lint step", "audit log export for {s} delayed by {n}s",
    "{s} A/B experiment {n} reached significance", "cost anomaly: {s} spend up {p}% week over week",
    "{s} dependency advisory CVE-2026-{n} published", "synthetic login probe for {s} passed from region {d}",
    "{s} docs site returns 404 on /guide/{n}", "SMTP relay queued {n} {s} newsletters",
    "{s} search index compaction finished after {n}s", "on-call handover for {s} acknowledged by team {d}",
    "{s} data retention purge removed {n} rows", "translation strings for {s} out of date in {d} locales",
]


def synthetic(n: int, rng: random.Random) -> list[tuple[str, str]]:
    """n distractor runbook texts shaped like real alerts."""
    out = []
    for i in range(n):
        text = rng.choice(FAULTS).format(s=rng.choice(SERVICES), n=rng.randint(10, 90000), p=rng.randint(1, 99),
                                         d=rng.randint(1, 9))
        out.append((f"syn-{i}", f"Synthetic alert {i % 97}\n{text}"))
    return out


CACHE = Path(__file__).resolve().parent.parent / ".aegis" / "bench-cache"


def cache_file(count: int) -> Path:
    """Where the entry vectors of this bench's data set (seeded, so always the same texts) are kept."""
    return CACHE / f"retrieval-{DIMENSIONS}d-{count}.npy"


def load_cached(count: int) -> np.ndarray | None:
    """The entry vectors of an earlier run: embedding 100k entries takes minutes and is not what is measured
    (queries are always embedded fresh)."""
    path = cache_file(count)
    if not path.exists():
        return None
    vectors = np.load(path)
    return vectors if vectors.shape == (count, DIMENSIONS) else None


def save_cached(vectors: np.ndarray) -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(cache_file(len(vectors)), vectors)


def recall(rankings: list[tuple[str, list[str]]], k: int) -> float:
    """Share of (true id, ranked ids) pairs whose true id is in the first k."""
    return round(sum(i in ranked[:k] for i, ranked in rankings) / len(rankings), 3)


def rrf(rankings: list[list[str]], weights: list[float], k: int = 60) -> list[str]:
    """Reciprocal-rank fusion: each id scores sum(weight / (k + rank)) over the rankings it appears in."""
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, entry_id in enumerate(ranking, 1):
            scores[entry_id] = scores.get(entry_id, 0.0) + weight / (k + rank)
    return sorted(scores, key=scores.__getitem__, reverse=True)


FUSIONS = {"rrf k=60": (1.0, 60), "rrf k=10, bm25 weight 0.25": (0.25, 10)}  # standard, and the best tried


def compare(embedder: Embedder, ids: list[str], vectors: np.ndarray, texts: list[str],
            query_sets: dict[str, list[tuple[str, str]]]) -> list[dict]:
    """Recall@1/@3 of dense, BM25 and fused rankings, with entry texts as embedded and with the root cause
    added; the fused query's latency (embedding + FAISS + BM25 + fusion)."""
    try:
        import bm25s
    except ImportError:
        raise SystemExit("--compare needs bm25s (not a dependency): pip install 'bm25s>=0.3,<0.4'") from None
    alternative = {"entry.text()": texts[:len(INCIDENTS)],
                   "alert + root_cause + logs": [f"{a}\n{rc}\n{logs}" for _, a, logs, rc, *_ in INCIDENTS]}
    rows = []
    for name, originals in alternative.items():
        vecs = vectors.copy()
        vecs[:len(originals)] = embedder.encode(originals)
        index = VectorIndex(DIMENSIONS)
        index.add(ids, vecs)
        started = time.perf_counter()
        bm25 = bm25s.BM25()
        bm25.index(bm25s.tokenize(originals + texts[len(originals):], stopwords="en", show_progress=False),
                   show_progress=False)
        row: dict = {"entries": len(ids), "text": name, "bm25_build_s": round(time.perf_counter() - started, 2)}
        # the same alert again, queried as the analyst queries (alert + logs): the similarity the offline
        # analyzer, the diagnosis and the council compare with rag_similarity_threshold
        repeat = (embedder.encode([f"{a}\n{logs}" for _, a, logs, *_ in INCIDENTS]) * vecs[:len(originals)]).sum(1)
        row["repeat_similarity_min"] = round(float(repeat.min()), 3)
        row["repeat_similarity_median"] = round(float(np.median(repeat)), 3)
        for set_name, queries in query_sets.items():
            found: dict[str, list[tuple[str, list[str]]]] = {}
            latencies = []
            for incident, query in queries:
                t0 = time.perf_counter()
                dense = [h for h, _ in index.search(embedder.encode([query])[0], 50)]
                docs, scores = bm25.retrieve(bm25s.tokenize([query], stopwords="en", show_progress=False), k=50,
                                             show_progress=False)
                lexical = [ids[d] for d, score in zip(docs[0], scores[0], strict=True) if score > 0]
                fused = {f: rrf([dense, lexical], [1.0, w], k) for f, (w, k) in FUSIONS.items()}
                latencies.append((time.perf_counter() - t0) * 1000)
                for method, ranked in {"dense": dense, "bm25": lexical, **fused}.items():
                    found.setdefault(method, []).append((incident, ranked))
            for method, pairs in found.items():
                row[f"{set_name} {method} recall@1"] = recall(pairs, 1)
                row[f"{set_name} {method} recall@3"] = recall(pairs, 3)
            row[f"{set_name} fused query_p50_ms"] = round(percentile(latencies, 50), 2)
        print(f"{row}", file=sys.stderr, flush=True)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--compare", action="store_true", help="also measure root cause, BM25 and fusion")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rng = random.Random(42)
    embedder = Embedder(batch_size=64, cache_size=0)
    embedder.warm()
    proc = psutil.Process()
    originals = [(i, RunbookEntry(incident_id=i, alert_type=a, logs=logs, root_cause=rc, action=act).text())
                 for i, a, logs, rc, act, _ in INCIDENTS]  # embedded as the analyst embeds them
    queries = [(i, q) for i, *_, q in INCIDENTS]
    reworded = list(REWORDED.items())
    distractors = synthetic(max(sizes), rng)
    cached = load_cached(max(sizes))  # the first max(sizes) entries of the pool, as embedded below
    if cached is not None:  # the precedents themselves are always embedded afresh, as RunbookEntry.text() says now
        cached[:len(originals)] = embedder.encode([t for _, t in originals])
    vectors = np.zeros((0, DIMENSIONS), np.float32)
    ids: list[str] = []
    started = time.perf_counter()
    pool = originals + distractors
    results, samples, compared = [], {}, []
    for size in sorted(sizes):
        # embed what this size adds (progress on stderr: 100k entries take minutes on 2 cores)
        while len(ids) < size:
            chunk = pool[len(ids):min(size, len(ids) + 2048)]
            fresh = cached[len(ids):len(ids) + len(chunk)] if cached is not None else embedder.encode(
                [t for _, t in chunk])
            vectors = np.vstack([vectors, fresh])
            ids.extend(i for i, _ in chunk)
            print(f"  embedded {len(ids)}/{size}", file=sys.stderr, flush=True)
        embed_s = time.perf_counter() - started
        if cached is None and size == max(sizes):
            save_cached(vectors)
        build_start = time.perf_counter()
        index = VectorIndex(DIMENSIONS)
        index.add(ids, vectors)
        build_s = time.perf_counter() - build_start
        latencies, ranked = [], []
        for n in range(args.queries):  # distinct texts: the embedder's cache never answers
            incident, query = queries[n % len(queries)]
            text = query if n < len(queries) else f"{query} (asked again, {n})"
            t0 = time.perf_counter()
            found = index.search(embedder.encode([text])[0], 3)
            latencies.append((time.perf_counter() - t0) * 1000)
            if n < len(queries):
                ranked.append((incident, [hit for hit, _ in found]))
        again = [(i, [hit for hit, _ in index.search(embedder.encode([q])[0], 3)]) for i, q in reworded]
        row = {"entries": size, "index": index.kind, "build_s": round(build_s, 2),
               "embed_all_s": round(embed_s, 1), "query_p50_ms": round(percentile(latencies, 50), 2),
               "query_p99_ms": round(percentile(latencies, 99), 2), "recall_at_1": recall(ranked, 1),
               "recall_at_3": recall(ranked, 3), "reworded_recall_at_1": recall(again, 1),
               "reworded_recall_at_3": recall(again, 3), "rss_mb": round(proc.memory_info().rss / 1e6)}
        samples[f"{size:,} entries"] = [round(v, 3) for v in latencies]
        print(f"{row}", file=sys.stderr, flush=True)
        results.append(row)
        if args.compare:
            compared += compare(embedder, ids, vectors, [t for _, t in pool[:size]],
                                {"paraphrase": queries, "reworded": reworded})
    hnsw = VectorIndex(DIMENSIONS, hnsw_threshold=0)  # the approximate index on the largest set, for comparison
    build_start = time.perf_counter()
    hnsw.add(ids, vectors)
    hnsw_build = time.perf_counter() - build_start
    hnsw_hits = sum(any(h == i for h, _ in hnsw.search(embedder.encode([q])[0], 3)) for i, q in queries)
    results.append({"entries": len(ids), "index": "hnsw (forced)", "build_s": round(hnsw_build, 2),
                    "recall_at_3": round(hnsw_hits / len(queries), 3)})
    tfidf = TfidfRetriever(dict(pool[:1000]))
    tfidf_recall = sum(any(h == i for h, _ in tfidf.search(q, 3)) for i, q in queries) / len(queries)
    report({"bench": "retrieval", "sizes": results, "tfidf_recall_at_3_1k": round(tfidf_recall, 3),
            "paraphrase_queries": len(queries), "reworded_queries": len(reworded),
            "entry_vectors_cached": cached is not None, "samples": samples}
           | ({"compare": compared} if args.compare else {}))


if __name__ == "__main__":
    main()
