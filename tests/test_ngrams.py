"""The casebook's n-gram index (ngrams.py) gives exactly what scikit-learn's `char_wb` analyzer and the fitted
vocabulary give: the same features with the same counts, on every corpus text and on texts with unusual whitespace,
characters the vocabulary lacks, and no words at all."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from aegis.judgment import CORPUS_DIR, load_corpus
from services.analyst.diagnosis.casebook import MAX_CHARS, reference_text, shipped_casebook
from services.analyst.diagnosis.ngrams import CODE_POINTS, UNSEEN, NgramIndex

CASEBOOK = shipped_casebook()

UNUSUAL = [
    "", "   \n\t ", "a", "ab", "abc", "abcd", "abcdef",
    "ab c\u00a0d\u2003e\x1cf\tg\n\nh\u2028i\u3000j\x85k",  # every kind of Unicode whitespace
    "x\ud800y 🔴🔴 ツ\u200bz",  # a lone surrogate (JSON can carry one), astral and zero-width characters
    "日本語のテキスト error: connection refused",  # characters no reference has, beside ones they have
    "  lead and trail  ", "exit code 137 exit code 137 exit code 137",  # repeated n-grams are counted
]


def _sklearn(text: str) -> dict[int, int]:
    vocabulary = CASEBOOK._vocabulary
    return {vocabulary[g]: n for g, n in Counter(CASEBOOK._analyzer(text)).items() if g in vocabulary}


def _index(text: str) -> dict[int, int]:
    features, counts = CASEBOOK._ngrams.count(text)
    return dict(zip(features.tolist(), counts.tolist(), strict=True))


def test_the_shipped_vocabulary_is_keyed_by_the_index():
    assert CASEBOOK._ngrams is not None


@pytest.mark.parametrize("text", UNUSUAL)
def test_unusual_texts_count_as_scikit_learn_counts_them(text):
    assert _index(text) == _sklearn(text)


def test_every_corpus_text_counts_as_scikit_learn_counts_it():
    texts = [reference_text(c.alert_type, c.logs[:2000])[:MAX_CHARS]
             for path in sorted(CORPUS_DIR.glob("*.jsonl")) for c in load_corpus(path)]
    assert len(texts) > 5000
    assert [t for t in texts if _index(t) != _sklearn(t)] == []


def test_python_whitespace_is_the_analyzers_whitespace_for_every_code_point():
    """The index splits words with str.split(); the analyzer collapses `\\s\\s+` and then splits the same way."""
    differ = [c for c in range(CODE_POINTS) if chr(c).isspace() != bool(re.match(r"\s", chr(c)))]
    assert differ == []


def test_a_vocabulary_the_index_cannot_key_is_refused():
    assert NgramIndex.build(["ab\x00"]) is None  # NUL pads the terms' array
    assert NgramIndex.build([chr(0x4E00 + i) * 3 for i in range(UNSEEN)]) is None  # more characters than 12 bits
    assert NgramIndex.build(["abcdef"]) is None  # longer than any n-gram


def test_a_small_vocabulary_finds_only_its_own_terms():
    index = NgramIndex.build([" ab", "abc", "bc ", " abc ", "zzz"])
    features, counts = index.count("abc abc xyz")
    assert dict(zip(features.tolist(), counts.tolist(), strict=True)) == {0: 2, 1: 2, 2: 2, 3: 2}


def test_the_casebook_without_the_index_gives_the_same_opinion():
    import copy

    fallback = copy.copy(CASEBOOK)
    fallback._ngrams = None  # what a vocabulary the index cannot key falls back to: the analyzer's strings
    for text in UNUSUAL + [reference_text("KubePodCrashLooping", "Back-off restarting failed container; exit 137")]:
        mine, theirs = CASEBOOK.opinion(text), fallback.opinion(text)
        assert (mine.situation, mine.nearest_id, mine.runner_up) == (theirs.situation, theirs.nearest_id,
                                                                       theirs.runner_up)
        assert mine.probability == pytest.approx(theirs.probability, abs=1e-12)
        assert mine.nearest_similarity == pytest.approx(theirs.nearest_similarity, abs=1e-6)
