"""Anchors: for a list of regexes, literal strings of which at least one must occur in any text one of them matches.

A signature whose anchors are all absent from a text cannot match it, so its regex is not run: a substring test in C
is far cheaper than a scan of a large alternation, and most signatures are absent from most texts. Derived from the
patterns themselves (their parse tree), so the knowledge file stays the only place a pattern is written; a pattern
with no literal that must occur (e.g. `\\d+%`) gives no anchors, and its signature is always run."""

from __future__ import annotations

import re
import re._parser as sre
from collections.abc import Iterable  # the stdlib's own regex parser: the tree `re.compile` builds from the same text

MIN_ANCHOR = 2  # a single ASCII character occurs everywhere and would not spare a scan


def _anchor(run: list[str]) -> bool:
    """Whether a run of literal characters is worth an anchor: two or more, or one that is not ASCII ("→", "×": rare
    in most texts, and a regex that needs one is spared on all the others)."""
    return len(run) >= MIN_ANCHOR or (len(run) == 1 and not run[0].isascii())

_LITERAL = sre.LITERAL
_SUBPATTERN = sre.SUBPATTERN
_BRANCH = sre.BRANCH
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", sre.MAX_REPEAT))
_IGNORECASE = sre.SRE_FLAG_IGNORECASE


def _caseless(op: object, av: tuple) -> bool:
    """A group that ignores case (`(?i:...)`): its literals as written need not occur in the text."""
    return op is _SUBPATTERN and bool(av[1] & _IGNORECASE)


def _selectivity(anchor_set: frozenset[str]) -> tuple[int, int]:
    """Higher is more selective: the longer shortest anchor, then fewer anchors."""
    return min(len(a) for a in anchor_set), -len(anchor_set)


def _required(items: sre.SubPattern | list) -> frozenset[str] | None:
    """Strings at least one of which every match of this sequence contains (its most selective anchor set), or None
    if none is known."""
    return max(_all_required(items), key=_selectivity, default=None)


def _ordered(sets: Iterable[frozenset[str]]) -> tuple[frozenset[str], ...]:
    """Distinct anchor sets, most selective first (ties in a fixed order)."""
    return tuple(sorted(set(sets), key=lambda s: (-_selectivity(s)[0], -_selectivity(s)[1], sorted(s))))


def _parsed(pattern: str | re.Pattern[str]) -> sre.SubPattern | None:
    """The parse tree, or None for a regex that ignores case throughout (its literals need not occur as written)."""
    text, flags = (pattern.pattern, pattern.flags) if isinstance(pattern, re.Pattern) else (pattern, 0)
    tree = sre.parse(text, flags)
    return None if tree.state.flags & _IGNORECASE else tree


def anchors(patterns: list[str]) -> tuple[str, ...] | None:
    """Anchors of the union of `patterns` (one of them occurs in every text any pattern matches), or None."""
    found: set[str] = set()
    for pattern in patterns:
        tree = _parsed(pattern)
        required = None if tree is None else _required(tree)
        if required is None:
            return None
        found |= required
    return tuple(sorted(found)) if found else None


def _all_required(items: sre.SubPattern | list) -> list[frozenset[str]]:
    """Every anchor set this sequence needs at once: "deploy[^\\n]*failed" needs "deploy" and "failed"; a group
    or repeat adds its own sets, an alternation one set (the best of each branch, joined)."""
    needed: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        if _anchor(run):
            needed.append(frozenset({"".join(run)}))
        run.clear()

    for op, av in items:
        if op is _LITERAL:
            run.append(chr(av))
            continue
        flush()
        if _caseless(op, av):
            continue
        if op is _SUBPATTERN:
            needed += _all_required(av[-1])
        elif op is _BRANCH:
            branches = [_required(b) for b in av[1]]
            if all(b is not None for b in branches):
                needed.append(frozenset().union(*branches))  # type: ignore[arg-type]
        elif op in _REPEATS and av[0] >= 1:
            needed += _all_required(av[2])
    flush()
    return needed


def requirements(pattern: str | re.Pattern[str]) -> tuple[frozenset[str], ...]:
    """The anchor sets a text must meet together for the regex to match it, most selective first (each set: one of
    its strings occurs), or () when nothing is known (the regex is always run)."""
    tree = _parsed(pattern)
    if tree is None:
        return ()
    return _ordered(_all_required(tree))


MAX_ALTERNATIVES = 256  # past this, only a regex's own top-level alternation is spelled out


def _spelled_out(items: list, deep: bool = True) -> list[list] | None:
    """The sequence as alternatives of plain sequences: its first top-level alternation (also inside a plain group)
    spelled out, the text around it joined to each branch, and (`deep`) so on within each; None when `deep` would
    pass MAX_ALTERNATIVES."""
    for i, (op, av) in enumerate(items):
        if op is _SUBPATTERN and not _caseless(op, av):
            return _spelled_out(items[:i] + list(av[-1]) + items[i + 1:], deep)
        if op is _BRANCH:
            joined = [items[:i] + list(branch) + items[i + 1:] for branch in av[1]]
            if not deep:
                return joined
            out: list[list] = []
            for alternative in joined:
                spelled = _spelled_out(alternative)
                if spelled is None or len(out) + len(spelled) > MAX_ALTERNATIVES:
                    return None
                out += spelled
            return out
    return [items]


def alternatives(pattern: str | re.Pattern[str]) -> tuple[tuple[frozenset[str], ...], ...]:
    """The regex can match a text only if the text meets all the requirements of one of these (each as
    `requirements` gives them): `deploy.{0,80}(failed|rolled back)|rollout stuck` gives ("deploy", "failed"),
    ("deploy", "rolled back"), ("rollout stuck",). Finer than `requirements` for a regex written as an alternation of
    long phrases, where one set joining every branch's best string is met by almost any text."""
    tree = _parsed(pattern)
    if tree is None:
        return ((),)
    spelled = _spelled_out(list(tree)) or _spelled_out(list(tree), deep=False)
    return tuple(dict.fromkeys(_ordered(_all_required(items)) for items in spelled))


def may_match(anchor_set: tuple[str, ...] | None, lowered: str) -> bool:
    """False only when the text cannot match (no anchor occurs in it)."""
    return anchor_set is None or any(a in lowered for a in anchor_set)
