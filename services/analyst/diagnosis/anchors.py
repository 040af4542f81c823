"""Anchors: for a list of regexes, literal strings of which at least one must occur in any text one of them matches.

A signature whose anchors are all absent from a text cannot match it, so its regex is not run: a substring test in C
is far cheaper than a scan of a large alternation, and most signatures are absent from most texts. Derived from the
patterns themselves (their parse tree), so the knowledge file stays the only place a pattern is written; a pattern
with no literal that must occur (e.g. `\\d+%`) gives no anchors, and its signature is always run."""

from __future__ import annotations

import re._parser as sre  # the stdlib's own regex parser: the tree `re.compile` builds from the same text

MIN_ANCHOR = 2  # a single character occurs everywhere and would not spare a scan

_LITERAL = sre.LITERAL
_SUBPATTERN = sre.SUBPATTERN
_BRANCH = sre.BRANCH
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", sre.MAX_REPEAT))


def _better(current: frozenset[str] | None, candidate: frozenset[str] | None) -> frozenset[str] | None:
    """The more selective of two anchor sets: the longer shortest anchor, then fewer anchors."""
    if candidate is None:
        return current
    if current is None:
        return candidate
    key = lambda s: (min(len(a) for a in s), -len(s))  # noqa: E731
    return candidate if key(candidate) > key(current) else current


def _required(items: sre.SubPattern | list) -> frozenset[str] | None:
    """Strings at least one of which every match of this sequence contains, or None if none is known."""
    best: frozenset[str] | None = None
    run: list[str] = []

    def flush() -> None:
        nonlocal best
        if len(run) >= MIN_ANCHOR:
            best = _better(best, frozenset({"".join(run)}))
        run.clear()

    for op, av in items:
        if op is _LITERAL:
            run.append(chr(av))
            continue
        flush()
        if op is _SUBPATTERN:
            best = _better(best, _required(av[-1]))
        elif op is _BRANCH:
            branches = [_required(b) for b in av[1]]
            if all(b is not None for b in branches):
                best = _better(best, frozenset().union(*branches))  # type: ignore[arg-type]
        elif op in _REPEATS and av[0] >= 1:
            best = _better(best, _required(av[2]))
    flush()
    return best


def anchors(patterns: list[str]) -> tuple[str, ...] | None:
    """Anchors of the union of `patterns` (one of them occurs in every text any pattern matches), or None."""
    found: set[str] = set()
    for pattern in patterns:
        required = _required(sre.parse(pattern))
        if required is None:
            return None
        found |= required
    return tuple(sorted(found)) if found else None


def may_match(anchor_set: tuple[str, ...] | None, lowered: str) -> bool:
    """False only when the text cannot match (no anchor occurs in it)."""
    return anchor_set is None or any(a in lowered for a in anchor_set)
