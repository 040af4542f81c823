"""`aegis silence add|list|expire`: Alertmanager-style silences through the gateway (operator role to change)."""

from __future__ import annotations

import argparse
import re

from aegis.client import add_gateway_args, call
from aegis.output import console, emit_json, table
from shared.errors import ValidationError

_LABEL = re.compile(r"^([a-zA-Z_][a-zA-Z0-9_]*)=(.*)$")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("silence", help="silence alerts (matched alerts are recorded but start nothing)")
    verbs = p.add_subparsers(dest="verb", required=True)
    add = verbs.add_parser("add", help="create a silence")
    add.add_argument("--target", default="*", help="glob on the alert's target, e.g. 'payments-*'")
    add.add_argument("--alert", default="", help="regex searched in the alert type")
    add.add_argument("--label", action="append", default=[], metavar="NAME=REGEX", help="label matcher (repeatable)")
    add.add_argument("--duration", help="how long: 30m, 2h, 1d")
    add.add_argument("--ends-at", help="instead of --duration: an ISO time with a zone")
    add.add_argument("--starts-at", help="ISO time with a zone (default: now)")
    add.add_argument("--comment", required=True, help="why (shown to everyone)")
    listing = verbs.add_parser("list", help="silences, newest first")
    expire = verbs.add_parser("expire", help="end a silence now")
    expire.add_argument("silence_id")
    for q in (add, listing, expire):
        q.add_argument("--json", action="store_true", help="print JSON")
        add_gateway_args(q)


def _labels(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        m = _LABEL.match(pair)
        if not m:
            raise ValidationError(f"--label {pair!r}: use NAME=REGEX")
        out[m.group(1)] = m.group(2)
    return out


def silence_command(args: argparse.Namespace) -> int:
    if args.verb == "add":
        body = {"matchers": {"target": args.target, "alert_name": args.alert, "labels": _labels(args.label)},
                "comment": args.comment}
        for key, value in (("duration", args.duration), ("ends_at", args.ends_at), ("starts_at", args.starts_at)):
            if value:
                body[key] = value
        rows = [call(args, "POST", "/silences", ok=(201,), json=body)]
    elif args.verb == "expire":
        rows = [call(args, "DELETE", f"/silences/{args.silence_id}")]
    else:
        rows = call(args, "GET", "/silences")
    if args.json:
        emit_json(rows if args.verb == "list" else rows[0])
        return 0
    console().print(table("Silences", ["id", "state", "target", "alert", "labels", "ends", "silenced", "by", "comment"],
                          [[s["id"], s["state"], s["matchers"]["target"], s["matchers"]["alert_name"],
                            ",".join(f"{k}={v}" for k, v in s["matchers"]["labels"].items()), s["ends_at"],
                            s["silenced_alerts"], s["created_by"], s["comment"]] for s in rows]))
    return 0
