"""The corpus texts the corpus-wide pattern checks (test_prefilter, test_anchors) run every shipped regex over.

Every pattern on every text took ~26 minutes of a 73-minute CI run at 23,000 cases and grew with each corpus file,
so those checks read a fixed-size sample: every file contributes, in file order, every k-th case, with k chosen so
about SAMPLE_SIZE cases are read however the corpus grows. The signatures' own examples and counter-examples are
read whole by the checks themselves. AEGIS_EVERY_CORPUS_TEXT=1 reads every case (`make test-corpus`), for a change
to the prefilter or the anchors, where the whole corpus is worth its half hour."""

from __future__ import annotations

import os
from pathlib import Path

from aegis.judgment import load_corpus

CORPUS = Path(__file__).resolve().parent.parent.parent / "corpus" / "judgment"
SAMPLE_SIZE = 4000


def corpus_texts(sample_size: int = SAMPLE_SIZE) -> list[str]:
    """'alert_type\\nlogs', lower-cased: every case, or every k-th of each file so about sample_size in all."""
    files = [[f"{c.alert_type}\n{c.logs}".lower() for c in load_corpus(p)] for p in sorted(CORPUS.glob("*.jsonl"))]
    total = sum(len(f) for f in files)
    every = os.environ.get("AEGIS_EVERY_CORPUS_TEXT", "") not in ("", "0")
    stride = 1 if every else max(1, -(-total // sample_size))
    # a file's offset turns with its position, so a stride of 4 reads cases 0, 4, … of one file and 1, 5, … of the next
    return [t for n, texts in enumerate(files) for t in texts[n % stride::stride]]
