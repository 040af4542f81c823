"""The knowledge files, loaded and checked: situations (the policy per situation) and failure signatures.

A malformed file fails start-up with the file, the line and the reason (ConfigError)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from services.analyst.diagnosis.anchors import anchors
from services.analyst.diagnosis.prefilter import Alternation, Prefilter, Screen
from shared.errors import ConfigError
from shared.events.models import ACTIONS

HERE = Path(__file__).parent
SITUATIONS_FILE = HERE / "situations.toml"
SIGNATURES_FILE = HERE / "signatures.toml"
OUTCOMES = ("act", "benign", "human")
FEATURES = frozenset({
    "high_memory", "low_memory", "high_cpu", "low_cpu", "many_replicas", "traffic_rising", "traffic_up_some",
    "traffic_flat", "low_utilisation", "long_window", "recent_deploy", "old_deploy", "trouble", "one_caller",
    "pool_held_elsewhere", "back_to_normal", "memory_tracks_uptime", "backlog_draining",
    "limit_lowered", "autoscaler_has_room", "unit_time_up", "traffic_falling", "memory_levelled", "memory_climbs",
    "versions_fail_alike", "sidecar_alert", "others_fail_alike",
    # from the platform itself (evidence.py)
    "probe_down", "probe_slow", "probe_healthy", "version_changed", "restarts_recent",
})
_ESCAPE = re.compile(r"\\.")
_SITUATION_KEYS = {"action", "outcome", "root_cause", "remedy", "overrides", "precheck", "requires", "kept_by",
                   "refuted_by", "ruled_out_by"}
_READING_KEYS = {"name", "any", "unless", "unless_features", "in_references", "examples", "counter_examples"}
_SIGNATURE_KEYS = {"name", "situation", "weight", "any", "features", "unless", "unless_features", "examples",
                   "counter_examples"}


@dataclass(frozen=True)
class Situation:
    """What a situation calls for, by the product's policy."""

    name: str
    action: str
    outcome: str
    root_cause: str
    remedy: str
    overrides: tuple[str, ...]
    precheck: bool = False  # its symptom is a failing health check: a passing one right before acting means recovered
    requires: tuple[str, ...] = ()  # one of these readings must hold before resemblance alone may name it
    kept_by: tuple[str, ...] = ()  # readings that keep its full score against another situation's override
    refuted_by: tuple[str, ...] = ()  # readings under which resemblance alone may not name it
    ruled_out_by: tuple[str, ...] = ()  # readings that rule its remedy out: no hypothesis of it at all


@dataclass(frozen=True)
class Signature:
    """One way a situation shows itself in text and readings."""

    name: str
    situation: str
    weight: float
    any: Alternation | None
    features: frozenset[str]
    unless: Alternation | None
    unless_features: frozenset[str]
    examples: tuple[str, ...]
    counter_examples: tuple[str, ...]
    any_anchors: tuple[str, ...] | None = None  # anchors.py: when none occurs in a text, `any` cannot match it
    unless_anchors: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Reading:
    """A yes/no fact read from the text, defined as data ([[reading]]): signatures use it like a numeric reading."""

    name: str
    any: Alternation
    unless: Alternation | None
    examples: tuple[str, ...]
    counter_examples: tuple[str, ...]
    any_anchors: tuple[str, ...] | None = None
    unless_anchors: tuple[str, ...] | None = None
    unless_features: frozenset[str] = frozenset()  # other readings that cancel it (one level: see engine._said)
    # also said inside a runbook or wiki excerpt (references.py), which is no observation of a symptom but is the
    # owners' word on how the service is meant to run ("this cache is meant to sit at maxmemory")
    in_references: bool = False

    def holds(self, lowered: str) -> bool:
        """True when the text says it (and nothing in its own `unless` cancels it; `unless_features` are the
        engine's to apply, beside the other readings)."""
        return self.find(Screen(lowered)) is not None

    def find(self, screen: Screen, evidence: Screen | None = None) -> re.Match[str] | None:
        """Where the screened text says it, or None (also when something cancels it). `evidence`: the same text
        with the statements it dismisses blanked (references.py), where the reading's own words are looked for."""
        said = evidence or screen
        match = said.narrowed(self.any).search(said.lowered) if said.may(self.any, self.any_anchors) else None
        if match is None or (self.unless and screen.may(self.unless, self.unless_anchors)
                             and screen.narrowed(self.unless).search(screen.lowered)):
            return None
        return match


@dataclass(frozen=True)
class Knowledge:
    """Both files, cross-checked."""

    situations: dict[str, Situation]
    signatures: tuple[Signature, ...]
    readings: tuple[Reading, ...] = ()

    @cached_property
    def prefilter(self) -> Prefilter:
        """Built on first use (~0.5 s for the shipped files): a loaded file that is never diagnosed with costs none."""
        return Prefilter(p for item in (*self.signatures, *self.readings) for p in (item.any, item.unless)
                         if p is not None)

    @cached_property
    def references_read(self) -> bool:
        """Whether any reading also looks inside references (`in_references`): only then is a text with a runbook
        or wiki excerpt screened a second time, whole."""
        return any(r.in_references for r in self.readings)

    def screen(self, lowered: str) -> Screen:
        """Which signature and reading patterns may match this lowered text (prefilter.py)."""
        return self.prefilter.screen(lowered)


def _line_of(text: str, needle: str) -> int:
    for n, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return n
    return 0


def _fail(path: Path, text: str, needle: str, reason: str) -> ConfigError:
    line = _line_of(text, needle)
    where = f"{path}:{line}" if line else str(path)
    return ConfigError(f"{where}: {reason}", path=str(path), line=line)


def _parse(path: Path) -> tuple[dict, str]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}", path=str(path)) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        line = getattr(exc, "lineno", None) or (int(found.group(1)) if found else 0)
        raise ConfigError(f"{path}:{line}: not valid TOML: {exc}", path=str(path), line=line) from None


def _union(patterns: object, path: Path, text: str, where: str) -> Alternation | None:
    if patterns is None:
        return None
    if not isinstance(patterns, list) or not all(isinstance(p, str) and p for p in patterns):
        raise _fail(path, text, where, f"{where}: expected a list of non-empty regex strings")
    for p in patterns:
        try:
            re.compile(p)
        except re.error as exc:
            raise _fail(path, text, p[:40], f"{where}: bad regex {p!r}: {exc}") from None
        if _ESCAPE.sub("", p) != _ESCAPE.sub("", p).lower():
            raise _fail(path, text, p[:40], f"{where}: write {p!r} in lower case (text is lowered once before "
                                            "matching, which is 3× faster than case-insensitive regexes)")
    if not patterns:
        return None
    try:
        whole = re.compile("|".join(f"(?:{p})" for p in _renumbered(patterns)))
    except re.error as exc:
        raise _fail(path, text, where, f"{where}: {exc}") from None
    return Alternation(whole, tuple(re.compile(p) for p in patterns))


BACKREFERENCE = re.compile(r"(?<!\\)\\([1-9]\d?)")  # `\1` … `\99`


def _shifted(group: int) -> str:
    if group > 99:
        raise re.error(f"a backreference would be group {group}: Python names only the first 99; move the pattern "
                       "nearer the start of its list")
    return f"\\{group}"


def _renumbered(patterns: list[str]) -> list[str]:
    """The patterns with their backreferences shifted past the groups of the patterns before them, so that `\\1`
    still names the pattern's own first group once all are joined into one alternation."""
    out, before = [], 0
    for p in patterns:
        out.append(BACKREFERENCE.sub(lambda m, n=before: _shifted(int(m.group(1)) + n), p) if before else p)
        before += re.compile(p).groups
    return out


def load_situations(path: Path = SITUATIONS_FILE, known: frozenset[str] = FEATURES) -> dict[str, Situation]:
    """situations.toml → situations by name."""
    raw, text = _parse(path)
    out: dict[str, Situation] = {}
    for name, body in raw.items():
        where = f"[{name}]"
        if not isinstance(body, dict):
            raise _fail(path, text, name, f"{name}: expected a table")
        unknown = set(body) - _SITUATION_KEYS
        if unknown:
            raise _fail(path, text, where, f"{where}: unknown field(s) {sorted(unknown)}")
        missing = {"action", "outcome", "root_cause", "remedy"} - set(body)
        if missing:
            raise _fail(path, text, where, f"{where}: missing field(s) {sorted(missing)}")
        if body["action"] not in ACTIONS:
            raise _fail(path, text, where, f"{where}: action {body['action']!r} is not one of {', '.join(ACTIONS)}")
        if body["outcome"] not in OUTCOMES:
            raise _fail(path, text, where, f"{where}: outcome {body['outcome']!r} is not one of {', '.join(OUTCOMES)}")
        if (body["outcome"] == "act") == (body["action"] == "NOOP"):
            raise _fail(path, text, where, f"{where}: outcome 'act' needs an action and NOOP needs benign/human")
        named = {key: tuple(body.get(key, ())) for key in ("requires", "kept_by", "refuted_by", "ruled_out_by")}
        for key, readings in named.items():
            if set(readings) - known:
                raise _fail(path, text, where, f"{where}: {key} unknown reading(s) {sorted(set(readings) - known)}")
        out[name] = Situation(name, body["action"], body["outcome"], body["root_cause"], body["remedy"],
                              tuple(body.get("overrides", ())), bool(body.get("precheck", False)), **named)
    for s in out.values():
        unknown = set(s.overrides) - set(out)
        if unknown:
            raise _fail(path, text, f"[{s.name}]", f"[{s.name}]: overrides unknown situation(s) {sorted(unknown)}")
    return out


def load_readings(raw: dict, path: Path, text: str) -> tuple[Reading, ...]:
    """The [[reading]] tables of signatures.toml."""
    out = []
    for item in raw.get("reading", []):
        name = item.get("name")
        where = f'name = "{name}"'
        if not isinstance(name, str) or not name or name in FEATURES:
            raise _fail(path, text, "[[reading]]", f"reading {name!r}: needs a name that is not a built-in reading")
        unknown = set(item) - _READING_KEYS
        if unknown:
            raise _fail(path, text, where, f"reading {name}: unknown field(s) {sorted(unknown)}")
        pattern = _union(item.get("any", []), path, text, where)
        if pattern is None:
            raise _fail(path, text, where, f"reading {name}: needs `any` patterns")
        if not isinstance(item.get("in_references", False), bool):
            raise _fail(path, text, where, f"reading {name}: in_references must be true or false")
        out.append(Reading(name, pattern, _union(item.get("unless", []), path, text, where),
                           tuple(item.get("examples", ())), tuple(item.get("counter_examples", ())),
                           anchors(item.get("any") or []), anchors(item.get("unless") or []),
                           frozenset(item.get("unless_features", ())), item.get("in_references", False)))
    known = FEATURES | {r.name for r in out}
    for r in out:
        bad = r.unless_features - known
        if bad or r.name in r.unless_features:
            raise _fail(path, text, f'name = "{r.name}"',
                        f"reading {r.name}: unless_features names unknown reading(s) {sorted(bad or {r.name})}")
    return tuple(out)


def load_signatures(situations: dict[str, Situation], path: Path = SIGNATURES_FILE,
                    readings: tuple[Reading, ...] | None = None) -> tuple[Signature, ...]:
    """signatures.toml → signatures, each checked against the situations and the known readings."""
    raw, text = _parse(path)
    known = FEATURES | {r.name for r in (readings if readings is not None else load_readings(raw, path, text))}
    items = raw.get("signature")
    if not isinstance(items, list) or not items:
        raise ConfigError(f"{path}: expected [[signature]] tables", path=str(path))
    out, seen = [], set()
    for item in items:
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise _fail(path, text, "[[signature]]", "a signature without a name")
        where = f'name = "{name}"'
        unknown = set(item) - _SIGNATURE_KEYS
        if unknown:
            raise _fail(path, text, where, f"signature {name}: unknown field(s) {sorted(unknown)}")
        if name in seen:
            raise _fail(path, text, where, f"signature {name}: defined twice")
        seen.add(name)
        if item.get("situation") not in situations:
            raise _fail(path, text, where, f"signature {name}: unknown situation {item.get('situation')!r}")
        weight = item.get("weight")
        if not isinstance(weight, (int, float)) or not 0 < weight <= 1:
            raise _fail(path, text, where, f"signature {name}: weight must be a number in (0, 1]")
        features = frozenset(item.get("features", ()))
        unless_features = frozenset(item.get("unless_features", ()))
        bad = (features | unless_features) - known
        if bad:
            raise _fail(path, text, where, f"signature {name}: unknown reading(s) {sorted(bad)}")
        pattern = _union(item.get("any", []), path, text, where)
        if pattern is None and not features:
            raise _fail(path, text, where, f"signature {name}: needs `any` patterns or `features`")
        out.append(Signature(name, item["situation"], float(weight), pattern, features,
                             _union(item.get("unless", []), path, text, where), unless_features,
                             tuple(item.get("examples", ())), tuple(item.get("counter_examples", ())),
                             anchors(item.get("any") or []), anchors(item.get("unless") or [])))
    return tuple(out)


def load(situations_file: Path = SITUATIONS_FILE, signatures_file: Path = SIGNATURES_FILE) -> Knowledge:
    """Both files; ConfigError naming the file and line when either is malformed."""
    raw, text = _parse(signatures_file)
    readings = load_readings(raw, signatures_file, text)
    # a situation may name the readings signatures.toml defines as well as the built-in ones
    situations = load_situations(situations_file, FEATURES | {r.name for r in readings})
    return Knowledge(situations, load_signatures(situations, signatures_file, readings), readings)


@lru_cache(maxsize=1)
def shipped() -> Knowledge:
    """The files shipped with the package, loaded once per process."""
    return load()
