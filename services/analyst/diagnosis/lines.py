"""Where a match's line begins and ends: readings judge a figure or a phrase by the rest of its line."""

from __future__ import annotations


def line_span(text: str, start: int, end: int | None = None) -> tuple[int, int]:
    """The bounds of the line holding text[start:end] (from `start` to the next newline after `end`), newlines
    excluded; the text's last line ends at the text's end."""
    stop = text.find("\n", start if end is None else end)
    return text.rfind("\n", 0, start) + 1, len(text) if stop < 0 else stop


def line_of(text: str, start: int, end: int | None = None) -> str:
    """The line holding text[start:end]."""
    first, last = line_span(text, start, end)
    return text[first:last]
