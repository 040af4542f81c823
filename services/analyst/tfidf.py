"""A TF-IDF retriever: the seed's original approach, kept as the baseline retrieval is measured against."""

from __future__ import annotations

import math
import re
from collections import Counter

_TOKEN = re.compile(r"[a-z0-9]+")


def tokens(text: str) -> list[str]:
    """Lower-cased alphanumeric tokens."""
    return _TOKEN.findall(text.lower())


class TfidfRetriever:
    """Cosine similarity of TF-IDF vectors (smoothed idf, sublinear tf)."""

    def __init__(self, documents: dict[str, str]) -> None:
        self.ids = list(documents)
        counts = [Counter(tokens(documents[i])) for i in self.ids]
        df: Counter[str] = Counter()
        for c in counts:
            df.update(c.keys())
        n = len(self.ids)
        self.idf = {t: math.log((1 + n) / (1 + d)) + 1 for t, d in df.items()}
        self.vectors = [self._vector(c) for c in counts]

    def _vector(self, counts: Counter[str]) -> dict[str, float]:
        vec = {t: (1 + math.log(c)) * self.idf.get(t, 0.0) for t, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {t: v / norm for t, v in vec.items()}

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """The k best (id, cosine) pairs."""
        q = self._vector(Counter(tokens(query)))
        scored = [
            (i, sum(w * v.get(t, 0.0) for t, w in q.items())) for i, v in zip(self.ids, self.vectors, strict=True)
        ]
        scored.sort(key=lambda pair: pair[1], reverse=True)
        return scored[:k]
