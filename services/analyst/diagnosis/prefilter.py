"""The prefilter: one pass over a text tells which regexes may match it, so only those run.

Every regex given to a Prefilter (each branch of an Alternation on its own) has *requirements* (anchors.py): sets of
literal strings that a text it matches must meet together, each set by one of its strings — `deploy[^\n]*failed`
needs "deploy" and "failed", `timed out|timeout` needs one of "timed out", "timeout". One Aho-Corasick pass
(pyahocorasick) over the lowered text finds which of all those strings occur; a regex whose requirements are not all
met cannot match and is not run, and of an alternation only the branches that may match run. A regex with no
literal it needs (`\d+%`), or one that ignores case, is always run.

Sound by construction, with no second engine to trust: the strings are read from each regex's own parse tree by the
stdlib's parser, and the automaton matches exact strings. (Until session 35 a hyperscan prefilter-mode database did
this; it missed real matches three times on texts no test had seen, and re-deciding every action without it cost
more than it saved: bench/notes/judgment.md.) `tests/test_prefilter.py` checks on every corpus text and example, and
on texts generated from the shipped patterns, that no match is ever screened out."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import ahocorasick

from services.analyst.diagnosis.anchors import alternatives, may_match


class Alternation:
    """A regex written as a list of branches (a signature's or reading's `any`/`unless`), joined into one alternation
    and also kept branch by branch: the prefilter screens each branch, so a text runs only the branches that may
    match it. Run whole, a 99-branch alternation costs ~1 ms on a 2 kB text that one of its branches matches; the
    one or two that may match cost µs. `search` behaves as the joined regex does (`Branches.search`); its match's
    groups are the branch's own."""

    __slots__ = ("whole", "branches")

    def __init__(self, whole: re.Pattern[str], branches: tuple[re.Pattern[str], ...]) -> None:
        self.whole, self.branches = whole, branches

    @classmethod
    def of(cls, *branches: str) -> Alternation:
        """The alternation of these branches (each its own group numbering: read a match's groups by branch)."""
        return cls(re.compile("|".join(f"(?:{b})" for b in branches)), tuple(re.compile(b) for b in branches))

    @classmethod
    def split(cls, pattern: str) -> Alternation:
        """A regex written as one string, cut at its top-level `|` into the branches of an Alternation (the same
        matches; on a screened text only the branches whose strings occur run, each from its own literal start,
        where the whole alternation is tried at every position of the text)."""
        return cls.of(*top_level_branches(pattern))

    @property
    def pattern(self) -> str:
        return self.whole.pattern

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> re.Match[str] | None:
        return self.whole.search(text, pos) if endpos is None else self.whole.search(text, pos, endpos)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.whole.finditer(text)


def top_level_branches(pattern: str) -> list[str]:
    """The pattern's top-level alternatives as written (`a(b|c)|d` → `a(b|c)`, `d`): a `|` inside a group, a
    character class or after a backslash is no cut."""
    branches, start, depth, in_class, i = [], 0, 0, False, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if pattern[i + 1:i + 2] == "^":
                i += 1
            if pattern[i + 1:i + 2] == "]":  # a "]" first in a class is a member
                i += 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            branches.append(pattern[start:i])
            start = i + 1
        i += 1
    if depth or in_class:
        raise ValueError(f"unbalanced regex: {pattern[:60]!r}")
    return [*branches, pattern[start:]]


@dataclass(frozen=True)
class Branches:
    """Some branches of an Alternation, searched as their alternation would be: the leftmost match, and at one
    position the branch listed first (an alternation tries its branches in order at each position)."""

    branches: tuple[re.Pattern[str], ...]

    def search(self, text: str, pos: int = 0) -> re.Match[str] | None:
        best = None
        for branch in self.branches:
            m = branch.search(text, pos)
            if m is not None and (best is None or m.start() < best.start()):
                best = m
        return best

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """The matches the alternation's `finditer` gives, for branches that never match an empty string."""
        pos = 0
        while (m := self.search(text, pos)) is not None:
            yield m
            pos = max(m.end(), m.start() + 1)


Screenable = re.Pattern[str] | Alternation


@dataclass(frozen=True)
class Screen:
    """For one lowered text: may this regex match it? The Prefilter's pass decides the regexes it was given (`met`:
    per regex whose requirements the text meets, the branches that meet theirs); any other is screened by the anchors
    passed with it. Regexes are known here by `id()`: hashing a compiled regex hashes its whole program (µs for a large
    alternation, ~100 lookups per diagnosis), and every one screened lives as long as the Prefilter that holds it."""

    lowered: str
    met: dict[int, list[int]] = field(default_factory=dict)
    prefilter: Prefilter | None = None

    def may(self, pattern: Screenable, anchor_set: tuple[str, ...] | None) -> bool:
        prefilter = self.prefilter
        if prefilter is not None and (key := id(pattern)) in prefilter.given:
            return key in self.met or key in prefilter.always
        return may_match(anchor_set, self.lowered)

    def narrowed(self, pattern: Screenable) -> Screenable | Branches:
        """What to run on this text: of an Alternation the pass decided, only the branches that may match."""
        if isinstance(pattern, Alternation) and self.prefilter is not None and id(pattern) in self.prefilter.given:
            return Branches(tuple(pattern.branches[i] for i in self.prefilter.branches_met(pattern, self.met)))
        return pattern


class Prefilter:
    """One automaton over every string the regexes need (an Alternation's branches each on its own, a regex written
    as an alternation one entry per alternative: anchors.alternatives); `screen(lowered)` per text.

    Each entry (a regex's or branch's alternative) needs some requirement sets met, each by one of its strings. A
    screen finds the strings present, the sets they meet, and from those sets only the entries keyed to them: an
    entry that needs one set under it, an entry that needs several under the one of them least likely to be met (its
    shortest string the longest), so a text meeting ~160 common sets checks a few hundred of the ~26,000 entries."""

    def __init__(self, patterns: Iterable[Screenable]) -> None:
        self._patterns = list(dict.fromkeys(patterns))
        self.screened = frozenset(self._patterns)  # every regex given: the screen decides each of them
        self.given = frozenset(id(p) for p in self._patterns)
        self._entry: list[tuple[int, int]] = []  # per entry: (id() of its regex, the branch's index or -1)
        always: dict[int, set[int]] = {}  # id() of a regex → its branches with an entry that needs nothing
        self._needs: list[frozenset[int]] = []  # per entry: the ids of the requirement sets it needs met
        sets_of: dict[int, list[int]] = {}  # string id → the requirement sets it meets
        strings: dict[str, int] = {}
        set_ids: dict[frozenset[int], int] = {}
        keyed: dict[int, list[int]] = {}  # requirement set id → the entries to check when it is met
        for p in self._patterns:
            parts = p.branches if isinstance(p, Alternation) else (p,)
            for i, part in enumerate(parts):
                branch = i if isinstance(p, Alternation) else -1
                for alternative in alternatives(part):  # the part may match when one alternative's needs are met
                    self._entry.append((id(p), branch))
                    needed = []
                    for requirement in alternative:
                        members = frozenset(strings.setdefault(a, len(strings)) for a in requirement)
                        if members not in set_ids:
                            set_ids[members] = len(set_ids)
                            for string in members:
                                sets_of.setdefault(string, []).append(set_ids[members])
                        needed.append(set_ids[members])
                    self._needs.append(frozenset(needed))
                    if needed:
                        keyed.setdefault(needed[0], []).append(len(self._entry) - 1)
                    else:
                        always.setdefault(id(p), set()).add(branch)
        self._keyed = {set_id: tuple(entries) for set_id, entries in keyed.items()}
        self.always = {key: sorted(branches) for key, branches in always.items()}  # entries with no requirement
        self._sets_of = {string: tuple(ids) for string, ids in sets_of.items()}
        self._automaton = ahocorasick.Automaton() if strings else None
        if self._automaton is not None:
            for string, number in strings.items():
                self._automaton.add_word(string, number)
            self._automaton.make_automaton()
        self._local = threading.local()

    def branches_met(self, pattern: Alternation, met: dict[int, list[int]]) -> list[int]:
        """The indices of the Alternation's branches that may match, in the list's order."""
        key = id(pattern)
        found, always = met.get(key), self.always.get(key)
        if found is None:
            return always or []
        return sorted({*found, *always}) if always else sorted(set(found))

    def screen(self, lowered: str) -> Screen:
        last = getattr(self._local, "last", None)
        if last is not None and last.lowered == lowered:  # a diagnosis asks twice about a text it did not change
            return last
        met_sets: set[int] = set()  # the requirement sets the text meets
        if self._automaton is not None:
            sets_of = self._sets_of
            for string in {n for _, n in self._automaton.iter(lowered)}:
                met_sets.update(sets_of[string])
        met: dict[int, list[int]] = {}
        keyed, needs, entry_of = self._keyed, self._needs, self._entry
        for set_id in met_sets:
            for entry in keyed.get(set_id, ()):
                if needs[entry] <= met_sets:
                    key, branch = entry_of[entry]
                    if (branches := met.get(key)) is None:
                        met[key] = [branch]
                    else:
                        branches.append(branch)
        self._local.last = screen = Screen(lowered, met, self)
        return screen
