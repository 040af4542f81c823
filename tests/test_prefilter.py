"""The hyperscan prefilter spares regex scans only where a pattern cannot match: never a different answer, on every
text we have, on those texts with typographic characters in them, and on every signature's own examples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aegis.judgment import load_corpus
from services.analyst.diagnosis.catalog import shipped
from services.analyst.diagnosis.prefilter import (
    OTHER_STAND_IN,
    WORD_STAND_IN,
    Alternation,
    Branches,
    Prefilter,
    ascii_stand_in,
)

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "judgment"
TYPOGRAPHY = str.maketrans({'"': "“", "'": "’", "-": "–", ">": "→", "e": "é", "u": "ü"})


def _texts() -> list[str]:
    knowledge = shipped()
    texts = [f"{c.alert_type}\n{c.logs}".lower() for p in sorted(CORPUS.glob("*.jsonl")) for c in load_corpus(p)]
    texts += [t.lower() for item in (*knowledge.signatures, *knowledge.readings)
              for t in (*item.examples, *item.counter_examples)]
    return texts + [t.translate(TYPOGRAPHY) for t in texts[::3]]


def _regexes(knowledge) -> list:  # type: ignore[no-untyped-def]
    """(regex, its anchors) for every signature and reading."""
    return [(p, a) for item in (*knowledge.signatures, *knowledge.readings)
            for p, a in ((item.any, item.any_anchors), (item.unless, item.unless_anchors)) if p is not None]


def test_the_shipped_patterns_compile_and_almost_all_are_decided_by_the_scan():
    knowledge = shipped()
    assert knowledge.prefilter.active
    assert len(knowledge.prefilter.screened) >= 0.9 * len(_regexes(knowledge))


@pytest.mark.timeout(600)  # every pattern on every corpus text (~8,000): grows with the corpus
def test_screening_never_hides_a_match_of_any_signature_or_reading():  # nor of any branch that matches first
    knowledge = shipped()
    matched = screened_out = 0
    for text in _texts():
        screen = knowledge.screen(text)
        for pattern, anchors in _regexes(knowledge):
            if found := pattern.search(text):
                matched += 1
                assert screen.may(pattern, anchors), (pattern.pattern[:80], text[:120])
                # only the branches the scan reported run, and they find what the whole alternation finds
                narrowed = screen.narrowed(pattern).search(text)
                assert narrowed is not None and narrowed.span() == found.span(), (pattern.pattern[:80], text[:120])
            elif not screen.may(pattern, anchors):
                screened_out += 1
    assert matched > 5000 and screened_out > 50000  # exercised, and the scan does spare most regexes


def test_the_stand_in_text_keeps_every_character_class_a_pattern_can_ask_for():
    assert ascii_stand_in("plain ascii") == "plain ascii"
    assert ascii_stand_in("café “ok” → done") == f"caf{WORD_STAND_IN} {OTHER_STAND_IN}ok{OTHER_STAND_IN} " \
                                                 f"{OTHER_STAND_IN} done"
    assert ascii_stand_in("heap at ٩٠%") is None  # a non-ASCII digit: Python's \d matches it, hyperscan's does not
    assert ascii_stand_in("no\u00a0space") is None  # a non-ASCII space, likewise \s
    assert ascii_stand_in("field\x1cseparator") is None  # Python's \s matches \x1c-\x1f


def test_a_pattern_whose_negated_class_holds_a_stand_in_is_left_to_its_anchors():
    underscore, control, plain = re.compile(r"a[^_]b"), re.compile("c[^\x00-\x1f]d"), re.compile(r"e[^x]f")
    not_a_quote = re.compile("g[^”]h")  # its scan would read [^\x01]: no “ either, though Python's matches it
    prefilter = Prefilter([underscore, control, plain, not_a_quote])
    assert prefilter.screened == frozenset({plain})
    screen = prefilter.screen("aéb c“d")  # both match in Python; neither is decided by the scan
    assert screen.may(underscore, ("a",)) and screen.may(control, ("c",))
    assert not prefilter.screen("nothing here").may(plain, None)
    assert prefilter.screen("e“f").may(plain, None)  # [^x] matches “ in Python, and its stand-in in the scan


@pytest.mark.parametrize("bad", [r"(?<=a)b", r"x(?!y)", r"\bword\b"])
def test_constructs_hyperscan_cannot_run_exactly_are_widened_not_refused(bad):
    pattern = re.compile(bad)
    prefilter = Prefilter([pattern])
    assert prefilter.screened == frozenset({pattern})
    for text in ("ab", "xz", "a word here"):
        if pattern.search(text):
            assert prefilter.screen(text).may(pattern, None)


def test_a_typographic_character_in_a_pattern_is_scanned_as_its_stand_in():
    arrow, accented = re.compile("g → h"), re.compile(r"\bcafé\b")
    prefilter = Prefilter([arrow, accented])
    assert prefilter.screened == frozenset({arrow, accented})
    assert prefilter.screen("g → h").may(arrow, None) and prefilter.screen("un café").may(accented, None)
    assert prefilter.screen("g “ h").may(arrow, None)  # every other symbol has the same stand-in: a superset
    assert not prefilter.screen("g - h").may(arrow, None) and not prefilter.screen("cafe").may(accented, None)


def test_a_bounded_repeat_is_scanned_as_an_open_one_never_narrower():
    near = re.compile(r"deploy[^\n]{0,5}?failed")
    screen = Prefilter([near]).screen("deploy of the api failed")
    assert near.search("deploy of the api failed") is None and screen.may(near, None)  # wider, never narrower
    assert not Prefilter([near]).screen("deploy\nfailed").may(near, None)


@pytest.mark.timeout(600)  # every reading and reference pattern on every corpus text: grows with the corpus
def test_screening_never_hides_a_match_of_the_readings_or_the_reference_markers():
    from services.analyst.diagnosis import readings, references

    for prefilter in (readings.prefilter(), references.prefilter()):
        assert prefilter.active and prefilter.screened
        matched = screened_out = 0
        for text in _texts():
            screen = prefilter.screen(text)
            for pattern in prefilter.screened:
                if pattern.search(text):
                    matched += 1
                    assert screen.may(pattern, None), (pattern.pattern[:80], text[:120])
                elif not screen.may(pattern, None):
                    screened_out += 1
        assert matched > 100 and screened_out > 1000


def test_the_reported_branches_of_an_alternation_find_what_the_whole_finds():
    branches = (re.compile(r"b+"), re.compile(r"ab"), re.compile(r"a"))
    whole = Alternation(re.compile("|".join(f"(?:{b.pattern})" for b in branches)), branches)
    for text in ("xxabbb", "bbb ab", "a", "none", "ab"):
        found, narrowed = whole.search(text), Branches(branches).search(text)
        assert (found and found.span()) == (narrowed and narrowed.span()), text
    # at one position the branch listed first wins, as in the alternation: "ab" before "a"
    assert Branches(branches).search("ab").group() == "ab"
    screen = Prefilter([whole]).screen("only an a here")
    if screen.covered:  # hyperscan installed: only the branches it reported run
        assert screen.may(whole, None) and [b.pattern for b in screen.narrowed(whole).branches] == ["a"]


def test_a_boundary_that_starts_an_alternative_is_not_trusted_to_the_scan():
    # hyperscan's prefilter mode missed this match with the leading \b kept (a dev124 text)
    dismissal = re.compile(r"\bunrelated\b|\b(database|db|datastore) (is |was |stays |stayed )?unaffected\b")
    text = "other services on crew-db unaffected"
    assert dismissal.search(text) and Prefilter([dismissal]).screen(text).may(dismissal, None)
