"""The one compat module for nats-py internals: a faster, behaviour-identical header parser.

Every stored event carries its append headers (Nats-Msg-Id and the two expected-sequence headers), so
replay parses ~90 header-name characters per message. nats-py checks names with a per-character
generator, which dominated projection rebuilds in bench/event_store.py; a compiled regex does the same check.

Upstream: nats-py 2.15 moved header parsing into `Client._parse_header_lines` (a static method; earlier releases
parsed headers inline with `email.parser`). The patch replaces that method only when the installed nats-py has it
and is at least NATS_PY_MIN; otherwise nats-py's own parser stays and a warning says why. pyproject's floor is the
same version (tests/test_dependencies.py checks both).
"""

from __future__ import annotations

import logging
import re
from importlib.metadata import version

from nats.aio.client import Client

log = logging.getLogger(__name__)
NATS_PY_MIN = (2, 15)  # the release that introduced Client._parse_header_lines
NATS_PY_PARSER = Client.__dict__.get("_parse_header_lines")  # kept for the equivalence test


def _installed() -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version("nats-py"))[:2])
_CRLF = b"\r\n"
_WHITESPACE = re.compile(r"\s")


def _parse_header_lines(raw: bytes) -> dict[str, str]:
    """Name: Value per line; names with whitespace or non-ASCII bytes are skipped, as nats-py does."""
    out: dict[str, str] = {}
    for line in raw.split(_CRLF):
        name, sep, value = line.partition(b":")
        if not sep:
            continue
        try:
            key = name.strip().decode("ascii")
        except UnicodeDecodeError:
            continue
        if _WHITESPACE.search(key) is None:
            out[key] = value.strip().decode("utf-8", "replace")
    return out


def stream_seq_and_pending(reply: str) -> tuple[int, int] | None:
    """(stream sequence, pending) from a v1 JetStream ack subject, without building Metadata objects."""
    parts = reply.split(".")
    if len(parts) != 9:
        return None
    return int(parts[5]), int(parts[8])


def install() -> bool:
    """Swap in the faster parser (idempotent); False, with a warning, where this nats-py has no such method."""
    if NATS_PY_PARSER is None or _installed() < NATS_PY_MIN:
        log.warning("nats-py %s: no Client._parse_header_lines to replace (needs >= %s); using nats-py's own parser",
                    version("nats-py"), ".".join(map(str, NATS_PY_MIN)))
        return False
    Client._parse_header_lines = staticmethod(_parse_header_lines)  # type: ignore[method-assign]
    return True
