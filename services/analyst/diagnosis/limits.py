"""Limits read from the text and compared: a memory limit a change lowered ("JAVA_OPTS '-Xmx2g' -> '-Xmx512m'",
"limits.memory: 2Gi -> 512Mi", "--max-old-space-size=4096 to 1536", Nomad's 'MemoryMB: "2048" => "512"'), and an
autoscaler below its maximum.

Out of memory right after the limit was cut is the change's doing: the old limit is the fix, and a restart meets the
same limit again. The figures are read and compared (a raise, "512m -> 2g", is no cut), in the units each is written
in; a figure without a unit takes the other's.

Only names that denote a limit count — a heap's maximum, a container's memory limit, Node's old-space size, Go's
GOMEMLIMIT — not a usage figure ("memory 3.1 -> 2.0 GB" is memory falling).

An autoscaler that scaled out and is still below its maximum ("HPA web: 8 -> 18 replicas, max 40") is already adding
the replicas the demand needs: scaling up by hand adds nothing it would not."""

from __future__ import annotations

import re

from services.analyst.diagnosis.lines import line_of

_LIMIT_NAME = (r"(?:-xmx|\bxmx|\bmax[_ -]?heap(?:[_ -]?size)?|\bheap[_ -]?(?:size[_ -]?)?(?:limit|max(?:imum)?)|"
               r"\bmemory[_ -]limit|\blimits\.memory|\bmem[_ -]?limit|--max-old-space-size|\bgomemlimit|"
               r"\bmemory limit|\bmemory_?mb\b|\bmemory_?max\b|--memory\b)")  # Nomad's MemoryMB, systemd's MemoryMax
_SIZE = r"(\d+(?:\.\d+)?)\s?([kmgt]i?b?)?"
_LOWERED = re.compile(rf"{_LIMIT_NAME}[\"'=: ]{{0,4}}{_SIZE}[\"']?\s*(?:->|→|=>|\bto\b)\s*[\"']?(?:-xmx)?{_SIZE}"
                      r"(?![\w.])")
_MEGABYTES = {"k": 1 / 1024, "m": 1.0, "g": 1024.0, "t": 1024.0 ** 2}
CUT_BY = 0.9  # the new limit at most this share of the old


def _megabytes(number: str, unit: str) -> float:
    return float(number) * _MEGABYTES.get(unit[:1], 1.0)


def lowered_limit(lowered: str) -> str | None:
    """The first phrase of the lowered text that cuts a memory limit, or None."""
    for m in _LOWERED.finditer(lowered):
        old_unit, new_unit = m.group(2) or m.group(4) or "", m.group(4) or m.group(2) or ""
        if _megabytes(m.group(3), new_unit) <= CUT_BY * _megabytes(m.group(1), old_unit):
            return m.group(0)
    return None


# "HPA eshop-web: 8 -> 18 replicas between 10:01 and 10:06, max 40", "HPA web: 4 -> 9 replicas (min 4, max 20)"
_AUTOSCALED = re.compile(r"\b(?:hpa|autoscaler|horizontalpodautoscaler|auto ?scaling group|asg)\b[^\n]{0,60}?"
                         r"(?<![\d.])(\d+)\s?(?:->|→|=>|to)\s?(\d+)(?: replicas| pods| instances| tasks)?\b"
                         r"[^\n]{0,60}?\bmax(?:imum)?(?: replicas)?[ :=]*(\d+)\b")


# "HPA pos-api: current replicas 9, desired 9, min 4, max 20, CPU target 60%, current 54%": where it stands, well
# below its maximum
_AUTOSCALER_AT = re.compile(r"\b(?:hpa|autoscaler|horizontalpodautoscaler|auto ?scaling group|asg)\b[^\n]{0,60}?"
                            r"\b(?:current(?: replicas)?|replicas|desired)[ :=]*(\d+)\b[^\n]{0,60}?"
                            r"\bmax(?:imum)?(?: replicas)?[ :=]*(\d+)\b")
_CANNOT_SCALE = re.compile(r"\b(?:pending|unschedulable|failedscheduling|insufficient|quota|failed|unable)\b")
# and its own metric below its target ("TARGETS 54%/60%", "CPU target 60%, current 54%"): it does not need more yet
_BELOW_TARGET = re.compile(r"(?<![\d.])(\d+)\s?%\s?/\s?(\d+)\s?%|"
                           r"\btarget\b[^\n]{0,15}?(\d+)\s?%[^\n]{0,30}?\bcurrent\b\D{0,10}?(\d+)\s?%")
ROOM_BELOW = 0.75  # at most this share of its maximum: room the autoscaler has not needed


def autoscaler_room(lowered: str) -> str | None:
    """The phrase of an autoscaler that scaled out and is still below its maximum (it is adding replicas itself, so
    there is nothing to add by hand), or that stands well below its maximum with its own metric under its target and
    nothing keeping it from scaling, or None."""
    for m in _AUTOSCALED.finditer(lowered):
        before, after, most = (int(g) for g in m.groups())
        if before < after < most:
            return m.group(0)
    for m in _AUTOSCALER_AT.finditer(lowered):
        line = line_of(lowered, m.start(), m.end())
        target = _BELOW_TARGET.search(line)
        below = target is not None and (int(target.group(1)) < int(target.group(2)) if target.group(1)
                                        else int(target.group(4)) < int(target.group(3)))
        if int(m.group(1)) <= ROOM_BELOW * int(m.group(2)) and below and not _CANNOT_SCALE.search(line):
            return m.group(0)
    return None
