"""The casebook's character n-grams, counted and looked up in numpy instead of one Python string per n-gram.

The casebook's features are scikit-learn's `char_wb` n-grams of 3 to 5 characters: every word (a maximal run of
non-whitespace) is padded with one space on each side, and each window of 3, 4 or 5 characters inside a padded word
is one n-gram. Counting them the way scikit-learn does builds ~3,000 Python strings per incident, a Counter and
~1,000 lookups in a 300k-entry dict (~0.7 ms of a ~1.5 ms opinion, most of it cache misses). Here every character
of the vocabulary gets a small number (12 bits), an n-gram is the integer of its characters' numbers, and the
vocabulary is a sorted array of those integers: the text's n-grams are counted with `np.unique` and found with one
`np.searchsorted`. The result is exactly scikit-learn's (tests/test_ngrams.py compares both on every corpus text
and on texts with unusual whitespace and characters).

A vocabulary with more distinct characters than 12 bits can number (4,094) cannot be keyed this way:
`NgramIndex.build` returns None and the casebook counts with scikit-learn's analyzer instead."""

from __future__ import annotations

import numpy as np

BITS = 12  # per character: 5 × 12 = 60 bits, an n-gram fits one uint64
UNSEEN = (1 << BITS) - 1  # a character no vocabulary n-gram has: an n-gram holding it is never found
LENGTHS = (3, 4, 5)  # the casebook's ngram_range, inclusive
CODE_POINTS = 0x110000


class NgramIndex:
    """The vocabulary's n-grams as sorted integers, with the feature number of each."""

    def __init__(self, table: np.ndarray, keys: np.ndarray, features: np.ndarray) -> None:
        self._table = table  # code point → the character's number (UNSEEN for a character the vocabulary lacks)
        self._keys = keys  # sorted
        self._features = features  # the feature number of each key

    @classmethod
    def build(cls, terms: list[str]) -> NgramIndex | None:
        """The index of a vocabulary (`terms[i]` is feature i); None when its characters do not fit in BITS (or
        one is NUL, which the array of terms below uses as padding)."""
        alphabet = sorted(set("".join(terms)))
        if len(alphabet) >= UNSEEN or "\x00" in alphabet or any(not 1 <= len(t) <= max(LENGTHS) for t in terms):
            return None
        table = np.full(CODE_POINTS, UNSEEN, dtype=np.uint16)
        table[[ord(c) for c in alphabet]] = np.arange(1, len(alphabet) + 1, dtype=np.uint16)
        # the terms as rows of code points (0 past a term's end), each folded into its key
        points = np.array(terms, dtype=f"<U{max(LENGTHS)}").view(np.uint32).reshape(len(terms), max(LENGTHS))
        lengths = (points != 0).sum(axis=1)
        keys = np.zeros(len(terms), dtype=np.uint64)
        for column in range(max(LENGTHS)):
            inside = column < lengths
            keys[inside] = (keys[inside] << np.uint64(BITS)) | table[points[inside, column]].astype(np.uint64)
        if len(np.unique(keys)) != len(keys):
            return None  # distinct terms have distinct keys; refuse rather than guess if that ever fails
        order = np.argsort(keys)
        return cls(table, keys[order], order.astype(np.int64))

    def count(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(feature numbers, counts) of the text's n-grams that are in the vocabulary, as scikit-learn's `char_wb`
        analyzer and the fitted vocabulary would give them (ordered by key, not by first occurrence)."""
        words = text.split()  # Python's whitespace = the analyzer's `\s` (checked for every code point in the tests)
        if not words:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        padded = " " + "  ".join(words) + " "
        points = np.frombuffer(padded.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        codes = self._table[points].astype(np.uint64)
        blank = points == ord(" ")
        # a padded word starts at a space that follows a space (or the start): number each position by its word
        starts = blank.copy()
        starts[1:] &= blank[:-1]
        word = np.cumsum(starts)
        grams = []
        key = codes
        for n in range(1, max(LENGTHS) + 1):
            if n > 1:
                key = (key[:-1] << np.uint64(BITS)) | codes[n - 1:]
            if n in LENGTHS:
                grams.append(key[word[:len(key)] == word[n - 1:]])  # the window lies inside one padded word
        keys, counts = np.unique(np.concatenate(grams), return_counts=True)
        at = np.searchsorted(self._keys, keys)
        at[at == len(self._keys)] = 0
        found = self._keys[at] == keys
        return self._features[at[found]], counts[found]
