"""Memory that tracks uptime across instances: the older an instance, the more memory it holds; and memory that
rose and then levelled off.

Instances of one service that run the same code on the same traffic differ in memory by what they have piled up
since they started. A text that lists them side by side — "pod -2mxl9 uptime 2d19h heap_inuse 6.1GiB | pod -v8r4d
uptime 14h heap_inuse 1.9GiB" — shows a leak in its numbers even when nobody writes "leak": memory rises with
uptime from the youngest instance to the oldest. Each item (a line, or a part of one between `|` or `;`) gives one
(uptime, memory) pair when it states both; disk figures (scratch, ephemeral storage, volumes) are not memory.

A series of one process's memory over time ("memory: 06:00 180Mi · 07:00 640Mi · 08:00 1.18Gi · 09:00 1.50Gi · 09:30
1.50Gi (limit 3Gi)") that climbed and then held level for its last readings, well below any limit the text states,
is a cache or a working set that filled, not a leak: a leak does not stop growing short of its limit. One that never
falls and is still rising at its last reading is memory that climbs with uptime."""

from __future__ import annotations

import re
from collections.abc import Iterator

_ITEM = re.compile(r"[^\n|;]+")
_UNIT_MINUTES = {"w": 10080, "d": 1440, "h": 60, "m": 1}
# "uptime 2d19h", "uptime: 14h", "uptime 9d 4h", "(2d uptime)", "age 5d", "running for 3 days"
_DURATION = (r"(?<![\w.-])(\d+(?:\.\d+)?)\s*(w|wk|weeks?|d|days?|h|hrs?|hours?|m|mins?|minutes?)"
             r"(?:\s*(\d+)\s*(h|hrs?|hours?|m|mins?|minutes?))?(?![a-z])")
_UPTIME = re.compile(rf"\b(?:uptime|age|running for|started)\b[ \t:=]*(?:of\s+)?{_DURATION}|"
                     rf"{_DURATION}[ \t]*(?:of\s+)?(?:uptime|old)\b|\(up[ \t]+{_DURATION}")  # "pod a1 (up 16d) 1.7 GB"
# a memory word, also inside a metric's name ("nodejs_heap_size_used_bytes")
_MEMORY_WORD = re.compile(r"(?<![a-z])(?:heap\w*|rss|mem\w*|working[ _]set|resident|old gen\w*|private bytes)\b")
_DISK_WORD = re.compile(r"\b(?:disk|scratch|ephemeral|storage|volume|emptydir|pvc|/tmp|inodes?|spool)\b")
_SIZE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(gib|gi|gb|g|mib|mi|mb|m)(?![a-z])(?!\s*/\s*s)")
_SIZE_MB = {"g": 1024.0, "gi": 1024.0, "gib": 1024.0, "gb": 1024.0, "m": 1.0, "mi": 1.0, "mib": 1.0, "mb": 1.0}
MIN_UPTIME_RATIO = 2.0  # the oldest instance has run at least this many times as long as the youngest
MIN_MEMORY_RATIO = 1.8  # and holds at least this many times the memory


def _minutes(number: str, unit: str, more: str | None, more_unit: str | None) -> float:
    total = float(number) * _UNIT_MINUTES[unit[0]]
    if more and more_unit:
        total += float(more) * _UNIT_MINUTES[more_unit[0]]
    return total


def _pairs(item: str) -> list[tuple[float, float]]:
    """The (uptime in minutes, memory in MB) pairs an item states. One uptime: with the item's first size. Several
    on one line ("pod a1 (up 16d) 1.71 GB, pod a3 (up 2d) 0.31 GB"): each with the first size after it and before
    the next."""
    if not _MEMORY_WORD.search(item) or _DISK_WORD.search(item):
        return []
    ups = list(_UPTIME.finditer(item))
    if not ups:
        return []
    starts = [0] if len(ups) == 1 else [u.start() for u in ups]
    bounds = list(zip(starts, [*starts[1:], len(item)], strict=True))
    pairs = []
    for up, (start, end) in zip(ups, bounds, strict=False):
        groups = up.groups()
        number, unit, more, more_unit = next(groups[i:i + 4] for i in range(0, len(groups), 4) if groups[i] is not None)
        # the first size that is not a limit ("3.66 GiB / 4 GiB", "of 4Gi limit") nor inside the uptime's own words
        for size in _SIZE.finditer(item, start, end):
            if up.start() <= size.start() < up.end():
                continue
            before = item[max(0, size.start() - 3):size.start()]
            if "/" in before or re.search(r"\b(?:limit|max|of)\s*$", item[:size.start()]):
                continue
            pairs.append((_minutes(number, unit, more, more_unit), float(size.group(1)) * _SIZE_MB[size.group(2)]))
            break
    return pairs


def memory_tracks_uptime(lowered: str) -> str:
    """The items that show memory rising with uptime across instances, joined, or "" when they do not."""
    pairs = []
    for item in _ITEM.finditer(lowered):
        pairs += [(*pair, item.group().strip()) for pair in _pairs(item.group())]
    if len({uptime for uptime, _, _ in pairs}) < 2:
        return ""
    pairs.sort()
    memories = [memory for _, memory, _ in pairs]
    youngest, oldest = pairs[0], pairs[-1]
    if any(b < a for a, b in zip(memories, memories[1:], strict=False)):
        return ""  # an older instance holds less: memory does not follow uptime
    if oldest[0] < MIN_UPTIME_RATIO * youngest[0] or oldest[1] < MIN_MEMORY_RATIO * youngest[1]:
        return ""
    return oldest[2] if oldest[2] == youngest[2] else f"{oldest[2]} vs {youngest[2]}"


# a size the text gives as a limit, not a reading ("(limit 3Gi)", "/ 4Gi", "of 2Gi")
_LIMIT_SIZE = re.compile(r"(?:\b(?:limit|max|of)\W{0,3}|/\s*)(\d+(?:\.\d+)?)\s*(gib|gi|gb|g|mib|mi|mb|m)(?![a-z])")
MIN_SERIES = 5  # readings in a series
LEVEL_READINGS = 3  # the last readings that must agree
LEVEL_TOLERANCE = 0.02  # within 2% of each other
LEVEL_AFTER_RISE = 1.5  # after the series rose to at least 1.5x its first reading
LEVEL_BELOW_LIMIT = 0.9  # and short of 90% of any limit the text states (a leak levels at its limit, then dies)
CLIMB_RATIO = 2.0  # a series that never falls and ends at least this many times its first reading climbs


_STEP = re.compile(r"\s*(?:->|→|=>)\s*")
_BRACKETED = re.compile(r"\([^()\n]*\)")
_BARE_NUMBER = re.compile(r"(?<![\w.:])(\d+(?:\.\d+)?)(?![\w.:])")


def _shared_unit_series(line: str) -> list[float]:
    """The sizes (MB) of a series written with one unit at its end ("0.6 -> 1.9 (Mon 12:00) -> 2.8 -> 3.12 GiB"): the
    first bare number of each step, what brackets say about it left out, each taking the unit of the step that
    names one after it; [] when a step has no number or no unit follows."""
    steps = _STEP.split(_BRACKETED.sub(" ", line))
    if len(steps) < MIN_SERIES:
        return []
    numbers: list[float] = []
    units: list[str | None] = []
    for i, step in enumerate(steps):
        sized = _SIZE.search(step)
        found = _BARE_NUMBER.findall(step)
        if not sized and not found:
            return []
        # the first step's number is its last ("memory since start: 0.6"), every later one's its first
        numbers.append(float(sized.group(1)) if sized else float(found[-1] if i == 0 else found[0]))
        units.append(sized.group(2) if sized else None)
    sizes: list[float] = []
    unit = None
    for number, named in zip(reversed(numbers), reversed(units), strict=True):
        unit = named or unit
        if unit is None:
            return []
        sizes.append(number * _SIZE_MB[unit])
    return sizes[::-1]


def _memory_series(lowered: str) -> Iterator[tuple[str, list[float], list[float]]]:
    """Each series of one process's memory over time (MB) with the limits (MB) the text states: a line of at least
    MIN_SERIES sizes under a memory word, on the line or ending the line before it ("working set since the
    restart:"), no disk figures, a size given as a limit left out."""
    if not _MEMORY_WORD.search(lowered):  # most texts: no memory word, nothing to split and scan line by line
        return
    limits = [float(number) * _SIZE_MB[unit] for number, unit in _LIMIT_SIZE.findall(lowered)]
    previous = ""
    for line in lowered.split("\n"):
        named = _MEMORY_WORD.search(line) or (_MEMORY_WORD.search(previous) and previous.rstrip().endswith(":"))
        previous = line
        if not named or _DISK_WORD.search(line):
            continue
        limit_spans = [m.span() for m in _LIMIT_SIZE.finditer(line)]
        sizes = [float(s.group(1)) * _SIZE_MB[s.group(2)] for s in _SIZE.finditer(line)
                 if not any(a <= s.start() < b for a, b in limit_spans)]
        if len(sizes) < MIN_SERIES:
            sizes = _shared_unit_series(line)
        if len(sizes) >= MIN_SERIES:
            yield line.strip(), sizes, limits


def _levelled(sizes: list[float], limits: list[float]) -> bool:
    last = sizes[-LEVEL_READINGS:]
    return (max(last) <= (1 + LEVEL_TOLERANCE) * min(last) and last[-1] >= LEVEL_AFTER_RISE * sizes[0]
            and all(last[-1] < LEVEL_BELOW_LIMIT * limit for limit in limits))


def _climbing(sizes: list[float]) -> bool:
    return (all(b >= a for a, b in zip(sizes, sizes[1:], strict=False)) and sizes[-1] >= CLIMB_RATIO * sizes[0]
            and sizes[-1] > (1 + LEVEL_TOLERANCE) * sizes[-2])


def memory_shape(lowered: str) -> tuple[str, str]:
    """(the line of a memory series that rose and then held level for its last readings, well below any stated
    limit; the line of one that never falls and is still rising at its end, to at least CLIMB_RATIO times its first
    reading — "private bytes at 08:00 each day: 1.1 GB, 2.0 GB, 2.9 GB, 3.8 GB, 4.9 GB"), "" where there is none;
    a levelled series outweighs a climbing one. One pass over the text's series."""
    climbing = ""
    for line, sizes, limits in _memory_series(lowered):
        if _levelled(sizes, limits):
            return line, ""
        if not climbing and _climbing(sizes):
            climbing = line
    return "", climbing


def memory_levelled(lowered: str) -> str:
    """memory_shape's levelled series."""
    return memory_shape(lowered)[0]


def memory_climbs(lowered: str) -> str:
    """memory_shape's climbing series: memory that grows with uptime and has not stopped."""
    return memory_shape(lowered)[1]
