"""References are not observations: a runbook's steps, a wiki excerpt, a linked or suggested past incident, a
resolved ticket, a postmortem. "Runbook: 1. check for OOMKilled pods" is no OOM, and "related: INC-1180
'CrashLoopBackOff after deploy' (2 months ago, resolved)" is no crash now. From such a marker to the end of its
line, the text is blanked before signatures and readings look at it — with spaces, so every evidence snippet keeps
its place. What the line says before the marker still counts ("OOMKilled 3 times; related INC-12 resolved")."""

from __future__ import annotations

import re

_MARKERS = re.compile("|".join((
    r"\b(runbook|playbook|wiki|kb article|knowledge base|sop)\b[^\n]{0,30}?(:|\bexcerpt\b|\bsays\b|\bsteps?\b)",
    r"\b(related|similar|linked|auto-?linked|suggested|previous|past|earlier)\b[^\n]{0,30}?"
    r"\b(incidents?|tickets?|issues?|postmortems?|outages?)\b",
    r"\b(tickets?|incidents?|issues?)\b[^\n]{0,10}?\b(auto-?linked|linked)\b",
    r"\b(ticket|incident|alert) history\b",
    r"\b(postmortem|post-mortem|retrospective|incident review)\b",
    r"\b(ops|inc|jira|sre|ticket|chg)[- ]?\d+\b[^\n]{0,120}?\b(resolved|closed|fixed|done)\b",
    r"\(\d+ (days?|weeks?|months?|years?) ago[^)\n]{0,30}\b(resolved|closed|fixed)\b",
)))


def reference_spans(lowered: str) -> list[tuple[int, int]]:
    """(start, end) of every reference: from its marker to the end of the line."""
    spans: list[tuple[int, int]] = []
    for match in _MARKERS.finditer(lowered):
        if spans and match.start() < spans[-1][1]:
            continue  # inside a span already blanked
        end = lowered.find("\n", match.start())
        spans.append((match.start(), end if end >= 0 else len(lowered)))
    return spans


def blank(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with those spans replaced by spaces (same length)."""
    if not spans:
        return text
    parts, at = [], 0
    for start, end in spans:
        parts += [text[at:start], " " * (end - start)]
        at = end
    parts.append(text[at:])
    return "".join(parts)
