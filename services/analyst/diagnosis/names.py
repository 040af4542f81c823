"""Service names compared: which words a name is made of, and whether two names belong to one service."""

from __future__ import annotations

import re

GENERIC = frozenset({"svc", "api", "app", "service", "prod"})


def tokens(name: str) -> set[str]:
    """A service name's words, less the short and generic ones."""
    return {t for t in re.split(r"[-_.]", name) if len(t) > 2 and t not in GENERIC}


def related(name: str, ours: str) -> bool:
    """Two service names share their stem: a word of both that leads one of them ("payments-api" and
    "payments-worker"; not "dr-event-dispatcher" and "outage-event-correlator", which only share a middle word), or
    they lead with the same short word and share another ("mm-function-0.9.4", a Helm chart, and
    "mm-function-ranked")."""
    shared = tokens(name) & tokens(ours)
    return bool(shared) and (stem(name) in shared or stem(ours) in shared or stem(name) == stem(ours))


def stem(name: str) -> str:
    """A name's leading word, however short ("dr" of "dr-event-dispatcher"), past a generic one ("api-gateway")."""
    return next((t for t in re.split(r"[-_.]", name) if t and t not in GENERIC), "")
