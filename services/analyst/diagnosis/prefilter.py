"""The prefilter: one pass over a text tells which regexes may match it, so only those run.

Hyperscan compiles a set of regexes (the signatures' and knowledge readings', the numeric readings' in readings.py,
the reference markers and dismissals in references.py: one database each) in *prefilter* mode: for each regex it
matches a superset of what the Python regex matches (constructs it cannot run, such as look-behind negations, are
widened, never narrowed; a bounded repeat is compiled open). A regex the scan does not report cannot match, and is
not run; a reported one still decides by itself, so the prefilter never changes an answer, only how many scans are
made. One scan of a 2 kB text takes ~30 µs against ~3 ms for the regexes it spares (bench/notes/judgment.md).

The database works on bytes without UTF-8 mode (compiling with it takes several times longer), so the scan reads an
ASCII stand-in of the text: each other character becomes one that every pattern element matching the original also
matches — `_` for a word character (`\w`, `\b` and `.` agree), \x01 for any other (`.`, `\W`, `\S`, negated
classes) — and a pattern's own characters beyond ASCII are compiled as the same stand-ins ("→" as \x01: every other
symbol matches it too). A regex whose negated class holds `_` or \x01 is not decided by the scan; a text with a
non-ASCII digit or space (Python's `\d`/`\s` match those, hyperscan's do not), or with \x1c-\x1f (Python's `\s`
matches those too), is not scanned. Whatever is not decided by the scan is screened by its anchors (anchors.py), as
is everything when hyperscan is not installed.
`tests/test_prefilter.py` checks that no regex match is ever screened out, on every corpus text and example; an
outcome that acts or closes an incident is decided again with the scan off (`scans_off`, engine.diagnose), since
hyperscan has missed real matches on texts no test had seen."""

from __future__ import annotations

import re
import re._parser as sre
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from services.analyst.diagnosis.anchors import may_match

try:  # an optional speed-up: without it every group is screened by its anchors
    import hyperscan
except ImportError:  # pragma: no cover - the analyst extra installs it
    hyperscan = None

SCANNING = hyperscan is not None  # False: every regex is screened by its anchors (no scan to check)
_FLAGS = 0 if hyperscan is None else hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_SINGLEMATCH | \
    hyperscan.HS_FLAG_ALLOWEMPTY

WORD_STAND_IN, OTHER_STAND_IN = "_", "\x01"

# Set while a diagnosis is checked without the scan (engine.diagnose): every regex is then screened by its anchors.
_SCANS_OFF: ContextVar[bool] = ContextVar("aegis_prefilter_scans_off", default=False)


@contextmanager
def scans_off() -> Iterator[None]:
    """Within this block no hyperscan database is consulted: every regex is screened by its anchors alone."""
    token = _SCANS_OFF.set(True)
    try:
        yield
    finally:
        _SCANS_OFF.reset(token)


_NOT_ASCII = re.compile("[^\x00-\x7f]")
# characters Python's `\s` matches and hyperscan's does not (str.isspace() is true for them): such a text is not scanned
_PY_ONLY_SPACE = re.compile("[\x1c-\x1f]")
_WORD, _DIGIT_OR_SPACE = re.compile(r"\w"), re.compile(r"[\d\s]")


# A backreference (`\1` … `\99`). Hyperscan reads `\8` and above as an octal escape, not as one: for the scan, which
# only has to find a superset of the matches, a backreference becomes "anything" (catalog.py renumbers them too).
BACKREFERENCE = re.compile(r"(?<!\\)\\([1-9]\d?)")


# x{0,60} is scanned as x{0,}: wider, and the database compiles in about two thirds of the time
_BOUNDED = re.compile(r"(?<!\\)\{(\d*),\d+\}\??")


# A gap of any characters, `[\s\S]{0,300}`: hyperscan (python-hyperscan 0.9.1, exact and prefilter mode alike)
# reports no match for `(exit ?code:?[ \t]*137|sigkill)[\s\S]*\b(no|not|without) (an? )?oom` on a text Python's
# regex matches (found twice, sessions 16 and 17, by tests/test_prefilter.py): such a regex is screened by its anchors.
_ANY_GAP = re.compile(r"\[\\s\\S\]|\[\\S\\s\]")


# Every `\b`: hyperscan's prefilter mode (python-hyperscan 0.9.1)
# reports no match for `\b(database|db|datastore) (is |was |stays |stayed )?unaffected\b` on "other services on
# crew-db unaffected" while it does on "services on crew-db unaffected" (found by tests/test_prefilter.py on a dev124
# text), and dropping only the leading ones made it miss `\b(clean|fine|…)\b|…` on another. The scan drops them all:
# assertions fewer only widen what the scan reports, never narrow it.
_WORD_BOUNDARY = re.compile(r"((?<!\\)(?:\\\\)*)\\b")


def _scannable(pattern: str) -> str | None:
    """The pattern the scan compiles, or None when the scan cannot decide it: a backreference becomes "anything", a
    character beyond ASCII the stand-in the scanned text has for it (a superset: "×" matches every other symbol)."""
    if _ANY_GAP.search(pattern):
        return None
    scan = _NOT_ASCII.sub(lambda m: WORD_STAND_IN if _WORD.match(m.group()) else r"\x01",
                          BACKREFERENCE.sub(lambda _: r"(?:[\s\S]*)", pattern))
    scan = _BOUNDED.sub(lambda m: f"{{{m.group(1) or 0},}}", scan)
    scan = _WORD_BOUNDARY.sub(r"\1", scan)
    try:
        re.compile(scan)  # a range between two stand-ins can come out reversed
    except re.error:
        return None
    return None if _negated_classes_hold_stand_ins(scan) else scan


class _NotScannable(Exception):
    pass


def _stand_in(match: re.Match[str]) -> str:
    char = match.group()
    if _DIGIT_OR_SPACE.match(char):
        raise _NotScannable
    return WORD_STAND_IN if _WORD.match(char) else OTHER_STAND_IN


def ascii_stand_in(lowered: str) -> str | None:
    """The text the scan reads, or None when it cannot stand in for this one."""
    if _PY_ONLY_SPACE.search(lowered):
        return None
    if lowered.isascii():
        return lowered
    try:
        return _NOT_ASCII.sub(_stand_in, lowered)
    except _NotScannable:
        return None


def _negated_classes_hold_stand_ins(pattern: str) -> bool:
    """True when some negated class of `pattern` excludes a stand-in character (the original might not be excluded)."""
    stand_ins = (ord(WORD_STAND_IN), ord(OTHER_STAND_IN))

    def walk(items: sre.SubPattern | list) -> bool:
        for op, av in items:
            if op is sre.NOT_LITERAL and av in stand_ins:  # `[^_]` parses to this
                return True
            if op is sre.IN and av and av[0][0] is sre.NEGATE:
                for kind, value in av[1:]:
                    if kind is sre.LITERAL and value in stand_ins:
                        return True
                    if kind is sre.RANGE and any(value[0] <= c <= value[1] for c in stand_ins):
                        return True
            elif op is sre.SUBPATTERN and walk(av[-1]):
                return True
            elif op is sre.BRANCH and any(walk(b) for b in av[1]):
                return True
            elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and walk(av[2]):
                return True
            elif op in (sre.ASSERT, sre.ASSERT_NOT) and walk(av[1]):
                return True
        return False

    return walk(sre.parse(pattern))


class Alternation:
    """A regex written as a list of branches (a signature's or reading's `any`/`unless`), joined into one alternation
    and also kept branch by branch: the scan screens each branch, so a text runs only the branches it reports. Run
    whole, a 99-branch alternation costs ~1 ms on a 2 kB text that one of its branches matches; the one or two
    reported branches cost µs. `search` behaves as the joined regex does (`Branches.search`); its match's groups are
    the branch's own."""

    __slots__ = ("whole", "branches")

    def __init__(self, whole: re.Pattern[str], branches: tuple[re.Pattern[str], ...]) -> None:
        self.whole, self.branches = whole, branches

    @property
    def pattern(self) -> str:
        return self.whole.pattern

    def search(self, text: str, pos: int = 0) -> re.Match[str] | None:
        return self.whole.search(text, pos)


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


Screenable = re.Pattern[str] | Alternation


@dataclass(frozen=True)
class Screen:
    """For one lowered text: may this regex match it? The scan decides the regexes it covered; any other (not ASCII,
    a text it could not scan, no hyperscan) is screened by its anchors. Regexes are known here by `id()`: hashing a
    compiled regex hashes its whole program (µs for a large alternation, ~100 lookups per diagnosis), and every one
    screened lives as long as the Prefilter that holds it."""

    lowered: str
    found: frozenset[int] = frozenset()  # id() of each regex the scan reported (of an Alternation: any branch)
    covered: frozenset[int] = frozenset()  # id() of each regex the scan decides
    branches: dict[int, tuple[int, ...]] = field(default_factory=dict)  # per reported Alternation: its branches

    def may(self, pattern: Screenable, anchor_set: tuple[str, ...] | None) -> bool:
        if id(pattern) in self.covered:
            return id(pattern) in self.found
        return may_match(anchor_set, self.lowered)

    def narrowed(self, pattern: Screenable) -> Screenable | Branches:
        """What to run on this text: of an Alternation the scan decided, only the branches it reported."""
        if isinstance(pattern, Alternation) and id(pattern) in self.covered:
            return Branches(tuple(pattern.branches[i] for i in self.branches.get(id(pattern), ())))
        return pattern


class Prefilter:
    """One hyperscan database over compiled regexes (an Alternation's branches each on its own); `screen(lowered)`
    per text."""

    def __init__(self, patterns: Iterable[Screenable]) -> None:
        scans: dict[Screenable, list[str]] = {}
        for p in dict.fromkeys(patterns):
            parts = p.branches if isinstance(p, Alternation) else (p,)
            scanned = [_scannable(part.pattern) for part in parts]
            if parts and None not in scanned:  # an Alternation with a branch the scan cannot decide goes by anchors
                scans[p] = scanned  # type: ignore[assignment]
        self._patterns = list(scans)
        self.screened = frozenset(self._patterns)  # what the scan decides; any other regex is screened by its anchors
        # each database entry: (the screened regex's id, the branch's index or -1 for a plain regex)
        self._entries = [(id(p), i if isinstance(p, Alternation) else -1)
                         for p, parts in scans.items() for i in range(len(parts))]
        self._covered = frozenset(id(p) for p in self._patterns)
        self._db = None
        self._local = threading.local()  # hyperscan scratch space is per thread
        if hyperscan is not None and self._entries:
            expressions = [scan.encode() for parts in scans.values() for scan in parts]
            self._db = hyperscan.Database()
            self._db.compile(expressions=expressions, ids=list(range(len(expressions))),
                             flags=[_FLAGS] * len(expressions))

    @property
    def active(self) -> bool:
        return self._db is not None

    def screen(self, lowered: str) -> Screen:
        if self._db is None or _SCANS_OFF.get():
            return Screen(lowered)
        last = getattr(self._local, "last", None)
        if last is not None and last.lowered == lowered:  # a diagnosis asks twice about a text it did not change
            return last
        scanned = ascii_stand_in(lowered)
        if scanned is None:
            return Screen(lowered)
        hits: set[int] = set()
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = hyperscan.Scratch(self._db)
        self._db.scan(scanned.encode(), match_event_handler=_collect, context=hits, scratch=scratch)
        found: set[int] = set()
        branches: dict[int, list[int]] = {}
        for entry in sorted(hits):
            pattern_id, branch = self._entries[entry]
            found.add(pattern_id)
            if branch >= 0:
                branches.setdefault(pattern_id, []).append(branch)
        self._local.last = screen = Screen(lowered, frozenset(found), self._covered,
                                           {k: tuple(v) for k, v in branches.items()})
        return screen


def _collect(pattern_id: int, start: int, end: int, flags: int, hits: set[int]) -> None:
    hits.add(pattern_id)
