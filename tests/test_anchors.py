"""Anchors spare regex scans only where a pattern cannot match: never a different answer, on every text we have."""

from __future__ import annotations

import pytest

from services.analyst.diagnosis.anchors import anchors, may_match
from services.analyst.diagnosis.catalog import shipped
from tests.support.corpus import corpus_texts


def test_anchors_are_literals_every_match_contains():
    assert anchors([r"oom[-_ ]?kill(er|ed)?\b", "invoked oom-killer"]) == ("invoked oom-killer", "kill")
    assert anchors(["(recovered|came back)"]) == ("came back", "recovered")
    assert anchors([r"\d+ ?%"]) is None  # nothing literal must occur: always scanned
    assert anchors(["a?b?c?"]) is None
    assert anchors([r"x{0,3}yz"]) == ("yz",)


@pytest.mark.timeout(1800)  # a hang guard sized for AEGIS_EVERY_CORPUS_TEXT=1 (every case, not the sample)
def test_skipping_by_anchors_never_changes_a_match_on_the_corpus_texts():
    texts = corpus_texts()  # a fixed-size sample of the cases, from every file (tests/support/corpus.py)
    knowledge = shipped()
    checked = 0
    for item in (*knowledge.signatures, *knowledge.readings):
        for pattern, anchor_set in ((item.any, item.any_anchors), (item.unless, item.unless_anchors)):
            if pattern is None or anchor_set is None:
                continue
            for text in texts:
                if pattern.search(text):
                    assert may_match(anchor_set, text), (item.name, anchor_set[:5])
                    checked += 1
    assert checked > 1000  # the property was exercised, not vacuous


def test_most_signatures_get_anchors():
    knowledge = shipped()
    anchored = [s for s in knowledge.signatures if s.any is None or s.any_anchors is not None]
    assert len(anchored) >= 0.8 * len(knowledge.signatures)
    assert all(isinstance(a, str) and len(a) >= 2 for s in anchored for a in (s.any_anchors or ()))
