"""`aegis postmortem ID` and `aegis report judgment`: the reports the gateway writes from the record
(docs/reports.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from aegis.client import add_gateway_args, call, respond
from aegis.output import console, emit_json, table
from aegis.replay import checked_id
from shared.errors import ValidationError

POLISH_TIMEOUT = 90.0  # an LLM writes the narrative


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("postmortem", help="one incident's post-incident report (Markdown)")
    p.add_argument("incident_id")
    p.add_argument("-o", "--output", help="write it to this file (default: standard output)")
    p.add_argument("--json", action="store_true", help="the same content as JSON")
    p.add_argument("--polish", action="store_true", help="an LLM's narrative on top (needs llm_model)")
    add_gateway_args(p)
    p = sub.add_parser("report", help="reports on the team's own history")
    kinds = p.add_subparsers(dest="report_kind", required=True)
    q = kinds.add_parser("judgment", help="how AegisOps's decisions fared, per situation and per action")
    q.add_argument("--since", default="30d", help="a period: 30d (default), 12h, 90m, 2w")
    q.add_argument("--json", action="store_true", help="print JSON")
    add_gateway_args(q)


def postmortem(args: argparse.Namespace) -> int:
    iid = checked_id(args.incident_id)
    params = {"format": "json" if args.json else "markdown", "polish": str(args.polish).lower()}
    response = respond(args, "GET", f"/incidents/{iid}/postmortem", params=params,
                       timeout=POLISH_TIMEOUT if args.polish else 30)
    text = response.text if response.text.endswith("\n") else response.text + "\n"
    if args.output:
        target = Path(args.output)
        if target.is_dir():
            raise ValidationError(f"{target} is a directory; give a file name")
        target.write_text(text)
        console().print(f"post-incident report of {iid} written to {target}")
    else:
        print(text, end="")
    return 0


def report(args: argparse.Namespace) -> int:
    body = call(args, "GET", "/reports/judgment", params={"since": args.since})
    if args.json:
        emit_json(body)
        return 0
    out = console()
    out.print(f"Judgment on {body['incidents']} incident(s) received {body['since']} → {body['until']}")
    columns = ["decisions", "resolved_verified", "needed_human", "fix_did_not_hold", "held_for_approval", "overruled",
               "median_seconds_to_resolve"]
    for title, rows in (("By situation", body["by_situation"]), ("By action", body["by_action"])):
        out.print(table(title, ["", "decisions", "resolved", "human", "did not hold", "held", "overruled",
                                "median to resolve"],
                        [(name, *("—" if row[c] is None else row[c] for c in columns)) for name, row in rows.items()]))
    t = body["time"]
    saved = t["estimated_seconds_saved"]
    out.print(f"Held for a human: {t['held_incidents']} (median {t['median_human_seconds_per_held_incident'] or '—'} s "
              f"to decide); resolved without a human: {t['resolved_without_a_human']}; estimated time saved: "
              f"{'—' if saved is None else f'{saved / 60:.1f} min'} ({t['how']})")
    if body["overruled"]:
        out.print(f"Overruled by a human: {', '.join(body['overruled'])}")
    if body["fix_did_not_hold"]:
        out.print(f"Fixes that did not hold: {', '.join(body['fix_did_not_hold'])}")
    return 0
