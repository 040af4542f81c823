"""Error rates read per side of a change: when the old side of a release fails about as often as its new side
("5xx by pod-template-hash: stable 4.8 %, canary 5.1 %"; "flag-on cohort 4.1% vs flag-off 3.5%"), the change did not
cause the failures, and rolling it back leaves them where they are.

A figure stated before and after the change ("error rate 0.11% before / 0.10% after", "p95 210ms before / 204ms
after") that did not rise clears the change the same way.

The same holds across services: a count of one error by service ("stats count by service") in which services we did
not deploy log about as many as ours says the cause is shared, not our release.

Pure: one pass over the lowered text's lines, no I/O."""

from __future__ import annotations

import re

from services.analyst.diagnosis.lines import line_span

# the side a label names; blue/green say nothing of which one is new
_NEW = r"canary|new (?:version|pods?|replicas?|image|build|release|revision|replicaset)|flag[- ]on|treatment"
_OLD = (r"stable|(?:old|previous|prior) (?:version|pods?|replicas?|image|build|release|revision|replicaset)|"
        r"flag[- ]off|control|baseline")
_SIDE = re.compile(rf"\b(?:(?P<new>{_NEW})|(?P<old>{_OLD}))\b")
_RATE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s?%")
# a percentage of traffic, not of failures: "canary at 20 %", "setweight 20%", "shifted to 50%"
_SHARE_BEFORE = re.compile(r"\b(?:at|to|weight|setweight|traffic|share|split|serving|receives?|gets?)\W{0,3}$")
_SHARE_AFTER = re.compile(r"\s*(?:of (?:the )?(?:traffic|requests|users|load|hosts|pods|fleet))")
_FAILURES = re.compile(r"\b(?:5\d\d|5xx|4xx|errors?|error[ _]rate|failures?|failed|fail|exceptions?|timeouts?|"
                       r"crash\w*)\b")
_REACH = 50  # a side's rate follows its label within this many characters
_HEADER_REACH = 4  # a table's rows are read under a header line about failures this many lines up
SAME_WITHIN = 1.5  # the new side at most this multiple of the old: both fail alike
OLD_FAILS_FROM = 0.5  # the old side's rate (percent) must itself be a failure rate worth the name


def _rate_after(line: str, end: int) -> float | None:
    """The first failure percentage within reach after a side's label that is no share of traffic, else None."""
    for m in _RATE.finditer(line, end, end + _REACH):
        if _SIDE.search(line, end, m.start()):
            return None  # another side's label comes first: this one states no rate of its own
        if _SHARE_BEFORE.search(line, max(end, m.start() - 14), m.start()) or _SHARE_AFTER.match(line, m.end()):
            continue
        return float(m.group(1))
    return None


def _about_failures(lines: list[str], i: int) -> bool:
    """Whether line i speaks of failures itself or sits under a header line that does ("5xx by version:")."""
    if _FAILURES.search(lines[i]):
        return True
    for j in range(i - 1, max(-1, i - 1 - _HEADER_REACH), -1):
        header = lines[j].rstrip()
        if header.endswith(":"):
            return _FAILURES.search(header) is not None
    return False


def versions_fail_alike(lowered: str) -> str:
    """The line where the old side of a change fails about as often as the new side (the new at most SAME_WITHIN
    times the old, the old at OLD_FAILS_FROM % or more), or ''."""
    lines = lowered.split("\n")
    new: list[tuple[float, str]] = []
    old: list[tuple[float, str]] = []
    for i, line in enumerate(lines):
        if not _SIDE.search(line) or not _about_failures(lines, i):
            continue
        for m in _SIDE.finditer(line):
            rate = _rate_after(line, m.end())
            if rate is not None:
                (new if m.group("new") else old).append((rate, line.strip()))
    if not new or not old:
        return ""
    (worst_new, new_line), (worst_old, old_line) = max(new), max(old)
    if worst_old < OLD_FAILS_FROM or worst_new > SAME_WITHIN * worst_old:
        return ""
    return new_line if new_line == old_line else f"{new_line} / {old_line}"


# a breakdown by service: a header naming the grouping, then one "name  count" row per line
_BY_SERVICE = re.compile(r"\bby (?:service|app|application|container|deployment|workload|source|job|component)\b")
_ROW = re.compile(r"^\s*([a-z][\w.-]*[a-z0-9])\s*[:=|]?\s+(\d[\d,]*)\s*$")
_ROWS_AT_MOST = 20
OTHERS_AT_LEAST = 2  # services beside ours counting ...
OTHERS_SHARE = 0.25  # ... at least this share of our count


def services_fail_alike(lowered: str, service: str) -> str:
    """The breakdown by service in which OTHERS_AT_LEAST other services log at least OTHERS_SHARE of our count of the
    same error, or ''."""
    ours = service.lower()
    if not ours or not _BY_SERVICE.search(lowered):
        return ""
    lines = lowered.split("\n")
    for i, header in enumerate(lines):
        if not _BY_SERVICE.search(header):
            continue
        counts: dict[str, int] = {}
        for line in lines[i + 1:i + 1 + _ROWS_AT_MOST]:
            row = _ROW.match(line)
            if row is None:
                break
            counts[row.group(1)] = int(row.group(2).replace(",", ""))
        if ours not in counts or not counts[ours]:
            continue
        others = [name for name, n in counts.items() if name != ours and n >= OTHERS_SHARE * counts[ours]]
        if len(others) >= OTHERS_AT_LEAST:
            return f"{header.strip()}: {ours} {counts[ours]}, " + ", ".join(f"{o} {counts[o]}" for o in others[:3])
    return ""


# "error rate 0.11% before / 0.10% after", "p95 210ms before / 204ms after": one figure on each side of a change
_BEFORE_AFTER = re.compile(r"(?<![\d.])(?P<before>\d+(?:\.\d+)?)\s?(%|ms|s)\s*before\s*(?:/|,|->|→|vs\.?|and)\s*"
                           r"(?P<after>\d+(?:\.\d+)?)\s?\2\s*after\b")
# "after deploy: error 0.05% (before 0.06%), p95 120 ms (before 118 ms)": the figure now, the earlier one in brackets,
# on a line that says it is measured after the change
_NOW_THEN_BEFORE = re.compile(r"(?<![\d.])(?P<after>\d+(?:\.\d+)?)\s?(%|ms|s)\s*"
                              r"\((?:before|pre-deploy|previously|was)\b:?\s*(?P<before>\d+(?:\.\d+)?)\s?\2\)")
_AFTER_THE_CHANGE = re.compile(r"\b(?:after|since|post)[- ](?:the )?"
                               r"(?:deploy|deployment|release|rollout|roll-out|change|upgrade|v\d)")
# each form, and whether its line must name the change (a bracketed earlier figure says nothing of what changed)
_BEFORE_AFTER_FORMS = ((_BEFORE_AFTER, False), (_NOW_THEN_BEFORE, True))
_BEFORE_AFTER_ABOUT = re.compile(r"\b(?:5\d\d|5xx|4xx|errors?|error[ _]rate|failures?|latency|p\d{2,3}|timeouts?)\b")
LEVEL_WITHIN = 1.2  # the after-figure at most this multiple of the before-figure: no worse after the change


def before_after_alike(lowered: str) -> str:
    """The line where an error rate or latency stated before and after a change is no worse after it, or ''."""
    for pattern, names_the_change in _BEFORE_AFTER_FORMS:
        for m in pattern.finditer(lowered):
            first, last = line_span(lowered, m.start(), m.end())
            if not _BEFORE_AFTER_ABOUT.search(lowered, max(first, m.start() - 30), m.start()):
                continue
            if names_the_change and not _AFTER_THE_CHANGE.search(lowered, first, m.start()):
                continue
            if float(m.group("after")) <= LEVEL_WITHIN * float(m.group("before")):
                return lowered[first:last].strip()
    return ""
