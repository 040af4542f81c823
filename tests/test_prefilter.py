"""The prefilter spares regex scans only where a pattern cannot match: never a different answer, on every text we
have, on those texts with typographic characters in them, on every signature's own examples, and on texts generated
from every shipped pattern."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.analyst.diagnosis.anchors import MAX_ALTERNATIVES, alternatives, requirements
from services.analyst.diagnosis.catalog import shipped
from services.analyst.diagnosis.prefilter import Alternation, Branches, Prefilter, top_level_branches
from tests.support.corpus import corpus_texts

TYPOGRAPHY = str.maketrans({'"': "“", "'": "’", "-": "–", ">": "→", "e": "é", "u": "ü"})


def _texts() -> list[str]:
    knowledge = shipped()
    texts = corpus_texts()  # a fixed-size sample of the cases (tests/support/corpus.py), every example whole
    texts += [t.lower() for item in (*knowledge.signatures, *knowledge.readings)
              for t in (*item.examples, *item.counter_examples)]
    return texts + [t.translate(TYPOGRAPHY) for t in texts[::3]]


def _regexes(knowledge) -> list:  # type: ignore[no-untyped-def]
    """(regex, its anchors) for every signature and reading."""
    return [(p, a) for item in (*knowledge.signatures, *knowledge.readings)
            for p, a in ((item.any, item.any_anchors), (item.unless, item.unless_anchors)) if p is not None]


def _shipped_branches() -> list[re.Pattern[str]]:
    """Every regex the diagnosis screens, an alternation's branches each on its own."""
    from services.analyst.diagnosis import readings, references

    patterns = [p for p, _ in _regexes(shipped())] + [*readings.prefilter().screened, *references.prefilter().screened]
    return [b for p in patterns for b in (p.branches if isinstance(p, Alternation) else (p,))]


def test_every_shipped_pattern_is_decided_by_the_one_pass_and_most_need_a_string():
    knowledge = shipped()
    assert knowledge.prefilter.screened == frozenset(p for p, _ in _regexes(knowledge))
    branches = _shipped_branches()
    assert sum(1 for b in branches if requirements(b)) >= 0.95 * len(branches)


@pytest.mark.timeout(1800)  # a hang guard sized for AEGIS_EVERY_CORPUS_TEXT=1 (~35,000 texts)
def test_screening_never_hides_a_match_of_any_signature_or_reading():  # nor of any branch that matches first
    knowledge = shipped()
    matched = screened_out = 0
    for text in _texts():
        screen = knowledge.screen(text)
        for pattern, anchors in _regexes(knowledge):
            if found := pattern.search(text):
                matched += 1
                assert screen.may(pattern, anchors), (pattern.pattern[:80], text[:120])
                # only the branches that may match run, and they find what the whole alternation finds
                narrowed = screen.narrowed(pattern).search(text)
                assert narrowed is not None and narrowed.span() == found.span(), (pattern.pattern[:80], text[:120])
            elif not screen.may(pattern, anchors):
                screened_out += 1
    assert matched > 5000 and screened_out > 50000  # exercised, and the pass does spare most regexes


@pytest.mark.timeout(1800)  # every reading and reference pattern on every text read: sized for the whole corpus
def test_screening_never_hides_a_match_of_the_readings_or_the_reference_markers():
    from services.analyst.diagnosis import readings, references

    for prefilter in (readings.prefilter(), references.prefilter()):
        assert prefilter.screened
        matched = screened_out = 0
        for text in _texts():
            screen = prefilter.screen(text)
            for pattern in prefilter.screened:
                if found := pattern.search(text):
                    matched += 1
                    assert screen.may(pattern, None), (pattern.pattern[:80], text[:120])
                    if isinstance(pattern, Alternation):  # of a reading written as branches: those that may run
                        narrowed = list(screen.narrowed(pattern).finditer(text))
                        assert [m.span() for m in narrowed] == [m.span() for m in pattern.finditer(text)]
                        assert narrowed[0].span() == found.span()
                elif not screen.may(pattern, None):
                    screened_out += 1
        assert matched > 100 and screened_out > 1000


_BRANCHES = _shipped_branches()
_ONE_PASS = Prefilter(_BRANCHES)  # every branch a plain regex of its own: its own requirements decide it


@settings(max_examples=3000, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_a_text_any_shipped_pattern_matches_is_never_screened_out(data):
    """Texts no author wrote: hypothesis builds a match of a shipped branch (with text around it) and the one pass
    must let that branch run. Constructs hypothesis cannot build from (some look-behinds) are left to the corpus."""
    branch = data.draw(st.sampled_from(_BRANCHES))
    try:
        text = data.draw(st.from_regex(branch))
    except (re.error, NotImplementedError, ValueError, TypeError):
        return
    if branch.search(text):  # a look-around may make hypothesis's text no match at all
        assert _ONE_PASS.screen(text).may(branch, None), (branch.pattern[:80], text[:120])


@pytest.mark.parametrize(("pattern", "needed"), [
    (r"deploy[^\n]*failed", [{"deploy"}, {"failed"}]),  # both words, each its own requirement
    (r"refused|broken pipe", [{"refused", "broken pipe"}]),  # one of them
    (r"timed out|timeout", [{"time"}, {"d out", "out"}]),  # the parser's own factoring: "time", then either rest
    (r"(ab)?cd", [{"cd"}]),  # an optional group needs nothing
    (r"x(yz)*w", []),  # nor a repeat that may run zero times, and single characters are not strings
    (r"(foo){2}bar", [{"bar"}, {"foo"}]),  # a repeat that must run needs its own
    (r"ab(?=cd)ef(?!gh)", [{"ab"}, {"ef"}]),  # a look-ahead's contents are not consumed where they are written
    (r"(?i)Deploy", []),  # ignoring case, the literal need not occur as written: always run
    (r"oom(?i:Killed)", [{"oom"}]),  # nor in a group that ignores case
    (r"(\d+)/\1 pods", [{" pods"}]),  # a backreference stands for whatever its group read
    (r"g → h", [{"g → h"}]),  # a character beyond ASCII is a character like any other
    (r"\d+ ?(?:->|→) ?\d+", [{"->", "→"}]),  # and alone it is rare enough to be a string ("x" alone is not)
    (r"\d+ ?(?:->|x) ?\d+", []),
])
def test_requirements_are_the_strings_every_match_contains(pattern, needed):
    assert [set(s) for s in requirements(pattern)] == needed
    assert [set(s) for s in requirements(re.compile(pattern))] == needed


def test_a_regex_written_as_an_alternation_is_screened_alternative_by_alternative():
    regex = r"deploy[^\n]{0,80}(failed|rolled back)|rollout stuck"
    assert [[set(s) for s in alternative] for alternative in alternatives(regex)] == [
        [{"deploy"}, {"failed"}], [{"rolled back"}, {"deploy"}], [{"rollout stuck"}]]
    pattern = re.compile(regex)
    prefilter = Prefilter([pattern])
    # "deploy" occurs, but no alternative has all it needs: one set of the branches' strings would have run it
    assert not prefilter.screen("deploy finished; rollout paused").may(pattern, None)
    assert prefilter.screen("rolled back the config; the deploy finished").may(pattern, None)  # may: it runs
    assert prefilter.screen("rollout stuck at 2/5").may(pattern, None)
    # more alternatives than MAX_ALTERNATIVES when spelled out in depth: only the top-level alternation is
    words = "|".join(f"w{i:03d}x" for i in range(MAX_ALTERNATIVES))
    wide = f"(a{words})(b{words})|plain text"
    assert len(alternatives(wide)) == 2 and len(alternatives(f"({words})")) == MAX_ALTERNATIVES
    assert alternatives("(?i)Deploy|x") == ((),)  # ignoring case: always run


def test_a_regex_is_run_only_when_all_its_requirements_are_met():
    both, either = re.compile(r"deploy[^\n]{0,40}failed"), re.compile(r"timed out|timeout")
    prefilter = Prefilter([both, either])
    assert not prefilter.screen("the deploy went fine").may(both, None)  # one of the two: cannot match
    screen = prefilter.screen("deploy\nfailed")  # both strings occur: it runs (and finds nothing, a newline between)
    assert screen.may(both, None) and not both.search("deploy\nfailed")
    assert prefilter.screen("request timeout").may(either, None) and not prefilter.screen("slow").may(either, None)
    assert prefilter.screen("un café → là").may(either, None) is False


def test_a_pattern_with_nothing_it_needs_always_runs():
    digits, caseless = re.compile(r"\d+%"), re.compile("Restart", re.IGNORECASE)
    prefilter = Prefilter([digits, caseless])
    for text in ("no numbers", "restart now", ""):
        screen = prefilter.screen(text)
        assert screen.may(digits, None) and screen.may(caseless, None)


def test_the_matches_hyperscan_once_missed_are_screened_in():
    # three matches the hyperscan prefilter this module replaced did not report (dev124, sessions 16-17, dev155)
    cases = [
        (r"\bunrelated\b|\b(database|db|datastore) (is |was |stays |stayed )?unaffected\b",
         "other services on crew-db unaffected"),
        (r"(exit ?code:?[ \t]*137|sigkill)[\s\S]{0,300}\b(no|not|without) (an? )?oom",
         "exit code 137 at 04:12 and the kernel log shows no oom kill"),
        (r"\b(restarted|retried)\b[^\n]{0,80}\b(hangs?|hung) (again )?at the same\b",
         "restarted the pod at 18:20 and 18:41: both runs hang at the same step"),
    ]
    for pattern, text in cases:
        regex = re.compile(pattern)
        assert regex.search(text) and Prefilter([regex]).screen(text).may(regex, None), pattern


def test_the_branches_that_may_match_find_what_the_whole_alternation_finds():
    branches = (re.compile(r"b+"), re.compile(r"ab"), re.compile(r"an a"))
    whole = Alternation(re.compile("|".join(f"(?:{b.pattern})" for b in branches)), branches)
    for text in ("xxabbb", "bbb ab", "a", "none", "ab"):
        found, narrowed = whole.search(text), Branches(branches).search(text)
        assert (found and found.span()) == (narrowed and narrowed.span()), text
    # at one position the branch listed first wins, as in the alternation: "ab" before "a"
    assert Branches(branches).search("ab").group() == "ab"
    screen = Prefilter([whole]).screen("only an a here")  # "b+" has no string it needs: it always runs
    assert screen.may(whole, None) and [b.pattern for b in screen.narrowed(whole).branches] == ["b+", "an a"]


def test_a_text_asked_about_again_gets_the_same_screen_and_another_text_its_own():
    regex = re.compile("disk full")
    prefilter = Prefilter([regex])
    first = prefilter.screen("disk full on /var")
    assert prefilter.screen("disk full on /var") is first and first.may(regex, None)
    assert not prefilter.screen("disk fine").may(regex, None)


def test_a_regex_is_cut_at_its_top_level_bars_only():
    assert top_level_branches(r"a(b|c)|[|x]|\||d") == ["a(b|c)", "[|x]", r"\|", "d"]
    assert top_level_branches(r"[]|]|[^]|]|x") == ["[]|]", "[^]|]", "x"]  # a "]" first in a class is a member
    assert top_level_branches("plain") == ["plain"]
    for unbalanced in ("a(b|c", "a[bc|d", "a)|b"):
        with pytest.raises(ValueError, match="unbalanced"):
            top_level_branches(unbalanced)
    split = Alternation.split(r"(\d+)x|y(z)")
    assert [b.pattern for b in split.branches] == [r"(\d+)x", "y(z)"] and split.search("a 3x").group(1) == "3"
    assert split.search("aaa 3x", 0, 4) is None  # endpos bounds the whole alternation as it bounds a regex


@pytest.mark.timeout(900)
def test_a_reading_led_by_a_deploy_word_finds_the_same_matches_and_groups_branch_by_branch():
    """_DEPLOY_AT, _DEPLOY_THEN_AGE and _DEPLOY_AGO_WORDS run one branch per deploy alternative (readings.py): on every
    corpus text the branches the screen lets through give the whole regex's matches, with the same groups."""
    from services.analyst.diagnosis import readings

    led = (readings._DEPLOY_AT, readings._DEPLOY_THEN_AGE, readings._DEPLOY_AGO_WORDS)
    compared = 0
    for text in _texts():
        screen = readings.prefilter().screen(text)
        for pattern in led:
            whole = list(pattern.whole.finditer(text))
            narrowed = list(screen.narrowed(pattern).finditer(text)) if screen.may(pattern, None) else []
            assert [m.span() for m in narrowed] == [m.span() for m in whole], text[:120]
            for one, other in zip(narrowed, whole, strict=True):
                named = {k: v for k, v in other.groupdict().items() if v is not None}
                assert {k: v for k, v in one.groupdict().items() if v is not None} == named, text[:120]
                if pattern is not readings._DEPLOY_AT:  # one regex cut up: every group keeps its number
                    assert one.groups() == other.groups(), text[:120]
            compared += len(whole)
    assert compared > 1000
