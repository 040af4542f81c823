"""Limits read from the text and compared: a memory limit a change lowered ("JAVA_OPTS '-Xmx2g' -> '-Xmx512m'",
"limits.memory: 2Gi -> 512Mi", "--max-old-space-size=4096 to 1536"), and an autoscaler below its maximum.

Out of memory right after the limit was cut is the change's doing: the old limit is the fix, and a restart meets the
same limit again. The figures are read and compared (a raise, "512m -> 2g", is no cut), in the units each is written
in; a figure without a unit takes the other's.

Only names that denote a limit count — a heap's maximum, a container's memory limit, Node's old-space size, Go's
GOMEMLIMIT — not a usage figure ("memory 3.1 -> 2.0 GB" is memory falling).

An autoscaler that scaled out and is still below its maximum ("HPA web: 8 -> 18 replicas, max 40") is already adding
the replicas the demand needs: scaling up by hand adds nothing it would not."""

from __future__ import annotations

import re

_LIMIT_NAME = (r"(?:-xmx|\bxmx|\bmax[_ -]?heap(?:[_ -]?size)?|\bheap[_ -]?(?:size[_ -]?)?(?:limit|max(?:imum)?)|"
               r"\bmemory[_ -]limit|\blimits\.memory|\bmem[_ -]?limit|--max-old-space-size|\bgomemlimit|"
               r"\bmemory limit)")
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


def autoscaler_room(lowered: str) -> str | None:
    """The phrase of an autoscaler that scaled out and is still below its maximum (it is adding replicas itself, so
    there is nothing to add by hand), or None."""
    for m in _AUTOSCALED.finditer(lowered):
        before, after, most = (int(g) for g in m.groups())
        if before < after < most:
            return m.group(0)
    return None
