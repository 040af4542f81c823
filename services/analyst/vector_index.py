"""A FAISS inner-product index over unit vectors: exact below a size threshold, HNSW above; persisted."""

from __future__ import annotations

import json
import os
from pathlib import Path

import faiss
import numpy as np

HNSW_NEIGHBOURS = 32
HNSW_EF_SEARCH = 128
faiss.omp_set_num_threads(1)  # one query at a time: OpenMP fan-out costs more than it saves (bench/retrieval.py)


class VectorIndex:
    """Vectors for runbook entries; a re-added id supersedes its older vector."""

    def __init__(self, dim: int, hnsw_threshold: int = 200_000) -> None:
        self.dim = dim
        self.hnsw_threshold = hnsw_threshold
        self.index: faiss.Index = faiss.IndexFlatIP(dim)
        self.ids: list[str] = []
        self.latest: dict[str, int] = {}
        self.seq = 0  # last runbook stream sequence folded in

    @property
    def kind(self) -> str:
        """'flat' (exact) or 'hnsw' (approximate)."""
        return "hnsw" if isinstance(self.index, faiss.IndexHNSW) else "flat"

    def __len__(self) -> int:
        return len(self.latest)

    def add(self, ids: list[str], vectors: np.ndarray, seq: int = 0) -> None:
        """Append vectors; switch to HNSW once the index outgrows the threshold."""
        if len(ids) != len(vectors):
            raise ValueError("ids and vectors differ in length")
        if self.kind == "flat" and self.index.ntotal + len(ids) > self.hnsw_threshold:
            self._to_hnsw()
        start = self.index.ntotal
        if len(ids):
            self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        for offset, entry_id in enumerate(ids):
            self.ids.append(entry_id)
            self.latest[entry_id] = start + offset
        self.seq = max(self.seq, seq)

    def _to_hnsw(self) -> None:
        vectors = self.index.reconstruct_n(0, self.index.ntotal) if self.index.ntotal else None
        hnsw = faiss.IndexHNSWFlat(self.dim, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efSearch = HNSW_EF_SEARCH
        hnsw.hnsw.efConstruction = 80
        if vectors is not None:
            hnsw.add(vectors)
        self.index = hnsw

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The k most similar live entries as (id, cosine similarity), best first."""
        if self.index.ntotal == 0:
            return []
        stale = self.index.ntotal - len(self.latest)
        want = min(self.index.ntotal, k + stale)
        scores, positions = self.index.search(np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32), want)
        out: list[tuple[str, float]] = []
        for score, pos in zip(scores[0], positions[0], strict=True):
            if pos < 0:
                continue
            entry_id = self.ids[pos]
            if self.latest.get(entry_id) == pos:
                out.append((entry_id, float(score)))
                if len(out) == k:
                    break
        return out

    def save(self, directory: Path) -> None:
        """Write index + metadata atomically (a crash leaves the old pair or the new pair)."""
        directory.mkdir(parents=True, exist_ok=True)
        tmp_index, tmp_meta = directory / "index.faiss.tmp", directory / "meta.json.tmp"
        faiss.write_index(self.index, str(tmp_index))
        tmp_meta.write_text(json.dumps({"dim": self.dim, "seq": self.seq, "ids": self.ids,
                                        "ntotal": self.index.ntotal}))
        os.replace(tmp_index, directory / "index.faiss")
        os.replace(tmp_meta, directory / "meta.json")

    @classmethod
    def load(cls, directory: Path, dim: int, hnsw_threshold: int) -> VectorIndex | None:
        """The persisted index, or None if missing, unreadable or inconsistent."""
        try:
            meta = json.loads((directory / "meta.json").read_text())
            index = faiss.read_index(str(directory / "index.faiss"))
        except (OSError, ValueError, RuntimeError):
            return None
        if meta.get("dim") != dim or index.d != dim or index.ntotal != len(meta.get("ids", [])):
            return None
        out = cls(dim, hnsw_threshold)
        out.index = index
        out.ids = list(meta["ids"])
        out.latest = {entry_id: pos for pos, entry_id in enumerate(out.ids)}
        out.seq = int(meta.get("seq", 0))
        if isinstance(index, faiss.IndexHNSW):
            index.hnsw.efSearch = HNSW_EF_SEARCH
        return out
