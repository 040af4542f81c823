"""Anchors spare regex scans only where a pattern cannot match: never a different answer, on every text we have."""

from __future__ import annotations

from pathlib import Path

import pytest

from aegis.judgment import load_corpus
from services.analyst.diagnosis.anchors import anchors, may_match
from services.analyst.diagnosis.catalog import shipped

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "judgment"


def test_anchors_are_literals_every_match_contains():
    assert anchors([r"oom[-_ ]?kill(er|ed)?\b", "invoked oom-killer"]) == ("invoked oom-killer", "kill")
    assert anchors(["(recovered|came back)"]) == ("came back", "recovered")
    assert anchors([r"\d+ ?%"]) is None  # nothing literal must occur: always scanned
    assert anchors(["a?b?c?"]) is None
    assert anchors([r"x{0,3}yz"]) == ("yz",)


@pytest.mark.timeout(1800)  # every pattern on every corpus text (~19,000; ~9 min on a busy 2-core box): a hang guard
def test_skipping_by_anchors_never_changes_a_match_on_any_corpus_text():
    texts = [f"{c.alert_type}\n{c.logs}".lower() for p in sorted(CORPUS.glob("*.jsonl")) for c in load_corpus(p)]
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
