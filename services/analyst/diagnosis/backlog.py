"""A backlog already draining: a queue's or lag's successive readings falling, as "lag 13:35 6.2M -> 14:00 4.1M ->
14:25 2.0M".

A growing backlog is a case for more consumers; one the consumers are already working down is not, whatever its
size or the alert's name. Texts often give the readings as a series and nothing else — no "draining" — so the
numbers are read: on a line about a backlog, the quantities an arrow (`->`, `→`, `=>`) joins, clock times skipped — or
that `|` joins when every part carries its clock time ("lag 00:10 1.2M | 00:20 804k | 00:30 378k"; a part "..." leaves
readings out; the backlog may be named on the line above, ending in ':', as metric dumps print it).
The series drains when every reading is below the one before and the last is at most DRAINED_BY of the first — or,
for a burst that rose first, the same from its peak on, over at least AFTER_PEAK readings; once at its lowest it may
wobble there, within AT_FLOOR of where it fell from.
A series may also run down the lines, one `key=value` (or `key: value`) reading of the same backlog key a line, as
metric dumps print it ("ts=1733004120 lag=5900" … "ts=1733004480 lag=0"): at least LINE_READINGS of them, none above
the one before, the last at most DRAINED_BY of the first."""

from __future__ import annotations

import re

_BACKLOG_WORD = re.compile(r"\b(?:lag|backlog|queue\w*|depth|pending|waiting|unacked|visible|outstanding|"
                           r"behind)\b")
_ARROW = re.compile(r"\s*(?:->|→|=>)\s*")
_BAR = re.compile(r"\s*\|\s*")
_ELIDED = re.compile(r"\s*(?:\.{2,}|…)\s*")
_CLOCK = re.compile(r"(?<![\d:])\d{1,2}:\d{2}(?::\d{2})?(?![\d:])")
# a quantity, not a clock time ("14:25"), a date or a rate ("85k/min")
_QUANTITY = re.compile(r"(?<![\w.:/-])(\d+(?:[.,]\d+)*)\s?([kmb])?(?![\w:/.-]|\.\d|/)")
_OTHER_COUNT = re.compile(r"\s*(?:workers?|pods?|replicas?|consumers?|instances?|nodes?|threads?|partitions?|"
                          r"tasks?|hosts?|servers?|vms?|cores?|cpus?)\b")
_SCALE = {"k": 1e3, "m": 1e6, "b": 1e9}
DRAINED_BY = 0.8  # the last reading at most this share of the first
NEAR = 40  # characters from the backlog's word to the first reading
LINE_READINGS = 3  # readings down the lines that make a series
AT_FLOOR = 0.05  # after its lowest reading a drained series stays at most this share of where it fell from
AFTER_PEAK = 3  # readings from a series' peak on (the peak among them) that show a burst draining
_KEYED = re.compile(r"(?<![\w.-])((?:[\w.-]*_)?(?:lag|backlog|queue_depth|queue_size|queued|depth|pending|unacked|"
                    r"visible|outstanding)(?:_[\w.]*)?)\s?[=:]\s?(\d+(?:,\d{3})*)(?![\d.,:/\w])")


def _value(match: re.Match[str]) -> float:
    number = match.group(1).replace(",", "")
    return float(number) * _SCALE.get(match.group(2) or "", 1.0)


def _names_a_backlog(first: str) -> bool:
    """Whether the series's first reading (the last quantity before the first arrow) is a backlog's: its word comes
    within NEAR characters before it with no other quantity between ("queue 40k, replicas 6 -> 3" is not)."""
    quantities = list(_QUANTITY.finditer(first))
    if not quantities:
        return False
    reading = quantities[-1]
    words = [w for w in _BACKLOG_WORD.finditer(first, 0, reading.start()) if reading.start() - w.end() <= NEAR]
    return bool(words) and not any(q.start() >= words[-1].end() for q in quantities[:-1])


def _draining_down_the_lines(lines: list[str]) -> str:
    """The readings of one backlog key, one a line, falling to DRAINED_BY of the first (see the module's doc)."""
    series: dict[str, list[tuple[float, str]]] = {}
    for line in lines:
        if found := _KEYED.search(line):  # a line's first keyed backlog reading
            series.setdefault(found.group(1), []).append((float(found.group(2).replace(",", "")), line.strip()))
    for readings in series.values():
        values = [v for v, _ in readings]
        if len(values) >= LINE_READINGS and all(b <= a for a, b in zip(values, values[1:], strict=False)) \
                and values[-1] <= DRAINED_BY * values[0]:
            return f"{readings[0][1][:70]} … {readings[-1][1][:70]}"
    return ""


def draining(lowered: str) -> str:
    """The series that shows a backlog falling, or "" when no line shows one."""
    lines = lowered.split("\n")
    for number, line in enumerate(lines):
        parts = _ARROW.split(line)
        header = ""
        if len(parts) < 2:  # "lag samples: 00:10 1,213,400 | 00:20 804,100 | 00:30 377,950": a series stamped by clock
            parts = [part for part in _BAR.split(line) if not _ELIDED.fullmatch(part)]  # "| ... |": readings left out
            if len(parts) < 3 or not all(_CLOCK.search(part) for part in parts):
                continue
            # the metric named on the line above ("rabbitmq_queue_messages_ready{queue=…} (1m step):")
            header = lines[number - 1] if number and lines[number - 1].rstrip().endswith(":") else ""
        if not _names_a_backlog(parts[0]) and not (header and _BACKLOG_WORD.search(header)):
            continue
        readings: list[float] = []
        for i, part in enumerate(parts):
            found = list(_QUANTITY.finditer(part))
            if not found:
                break
            # before an arrow the reading is the part's last quantity; after the last arrow, its first
            quantity = found[-1] if i < len(parts) - 1 else found[0]
            if _OTHER_COUNT.match(part, quantity.end()):  # "queue: 4 -> 0 workers" counts workers
                break
            readings.append(_value(quantity))
        if len(readings) < 2 or len(readings) != len(parts):
            continue
        # a burst that has peaked: from its highest reading on, at least AFTER_PEAK readings, each below the one
        # before ("depth: 00:00 120 -> 00:06 98,200 -> 00:15 41,300 -> 00:31 12"); with no rise, the whole series
        peak = readings.index(max(readings))
        tail = readings[peak:] if len(readings) - peak >= AFTER_PEAK else readings
        # down to its lowest reading, after which it may wobble at the floor ("… 13:05 52 | 13:06 38 | 13:40 41")
        low = tail.index(min(tail))
        falling = low >= 1 and all(b < a for a, b in zip(tail[:low + 1], tail[1:low + 1], strict=False))
        at_floor = all(v <= AT_FLOOR * tail[0] for v in tail[low + 1:])
        if falling and at_floor and tail[-1] <= DRAINED_BY * tail[0]:
            return line.strip()[:160]
    return _draining_down_the_lines(lines)
