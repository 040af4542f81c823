"""Retrieval bench: query latency (embedding + FAISS search) at 1k / 10k / 100k runbook entries, index build
time, recall@3 on the paraphrase set among those entries beside a TF-IDF baseline, and process RSS.

Usage: python bench/retrieval.py [--sizes 1000,10000,100000]
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

from bench.common import percentile, report  # noqa: E402
from services.analyst.embedder import DIMENSIONS, Embedder  # noqa: E402
from services.analyst.tfidf import TfidfRetriever  # noqa: E402
from services.analyst.vector_index import VectorIndex  # noqa: E402
from tests.data.paraphrases import INCIDENTS  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rng = random.Random(42)
    embedder = Embedder(batch_size=64, cache_size=0)
    embedder.warm()
    proc = psutil.Process()
    originals = [(i, f"{a}\n{logs}") for i, a, logs, *_ in INCIDENTS]
    queries = [(i, q) for i, *_, q in INCIDENTS]
    distractors = synthetic(max(sizes), rng)
    cached = load_cached(max(sizes))  # the first max(sizes) entries of the pool, as embedded below
    vectors = np.zeros((0, DIMENSIONS), np.float32)
    ids: list[str] = []
    started = time.perf_counter()
    pool = originals + distractors
    results, samples = [], {}
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
        latencies, hits = [], 0
        for n in range(args.queries):  # distinct texts: the embedder's cache never answers
            incident, query = queries[n % len(queries)]
            text = query if n < len(queries) else f"{query} (asked again, {n})"
            t0 = time.perf_counter()
            found = index.search(embedder.encode([text])[0], 3)
            latencies.append((time.perf_counter() - t0) * 1000)
            if n < len(queries):
                hits += any(hit == incident for hit, _ in found)
        row = {"entries": size, "index": index.kind, "build_s": round(build_s, 2),
               "embed_all_s": round(embed_s, 1), "query_p50_ms": round(percentile(latencies, 50), 2),
               "query_p99_ms": round(percentile(latencies, 99), 2), "recall_at_3": round(hits / len(queries), 3),
               "rss_mb": round(proc.memory_info().rss / 1e6)}
        samples[f"{size:,} entries"] = [round(v, 3) for v in latencies]
        print(f"{row}", file=sys.stderr, flush=True)
        results.append(row)
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
            "paraphrase_queries": len(queries), "entry_vectors_cached": cached is not None, "samples": samples})


if __name__ == "__main__":
    main()
