"""Memory that tracks uptime across instances: the older an instance, the more memory it holds.

Instances of one service that run the same code on the same traffic differ in memory by what they have piled up
since they started. A text that lists them side by side — "pod -2mxl9 uptime 2d19h heap_inuse 6.1GiB | pod -v8r4d
uptime 14h heap_inuse 1.9GiB" — shows a leak in its numbers even when nobody writes "leak": memory rises with
uptime from the youngest instance to the oldest. Each item (a line, or a part of one between `|` or `;`) gives one
(uptime, memory) pair when it states both; disk figures (scratch, ephemeral storage, volumes) are not memory."""

from __future__ import annotations

import re

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
