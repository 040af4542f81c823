"""`aegis eval [--corpus FILE] [--json]`: measure the offline judgment on a labeled corpus (no services needed)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from aegis.judgment import DECISIONS, DEFAULT_CORPUS, evaluate, load_corpus, report
from aegis.output import console, emit_json, table
from shared.config import load_settings


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("eval", help="run the offline diagnosis and council over a labeled corpus; print accuracy "
                                    "per situation, the confusion matrix and unsafe choices")
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                   help=f"JSONL of labeled incidents (default: the held-out split, {DEFAULT_CORPUS.name})")
    p.add_argument("--config", help="settings file (min_confidence, policy_file, …)")
    p.add_argument("--misses", action="store_true", help="list every case decided unacceptably")
    p.add_argument("--json", action="store_true", help="print JSON")


def eval_command(args: argparse.Namespace) -> int:
    """Exit 0 when no choice was unsafe, 1 otherwise (a bad corpus file: 2, with the line and reason)."""
    from shared.policy import load_policy

    settings = load_settings(args.config)
    cases = load_corpus(args.corpus)
    started = time.perf_counter()
    outcomes = evaluate(cases, settings, load_policy(settings.policy_file, settings.max_replicas))
    result = report(outcomes) | {"corpus": str(args.corpus), "seconds": round(time.perf_counter() - started, 3)}
    if args.json:
        emit_json(result)
        return 1 if result["unsafe"] else 0
    out = console()
    out.print(f"{args.corpus}: {result['acceptable']}/{result['cases']} acceptable ({result['accuracy']:.1%}), "
              f"unsafe {result['unsafe']}, NOOP-closed wrongly {result['silently_closed']}, "
              f"held for approval {result['held_for_approval']}")
    out.print(table("Per situation", ["situation", "cases", "acceptable", "accuracy"],
                    [[name, v["cases"], v["acceptable"], f"{v['accuracy']:.0%}"]
                     for name, v in result["per_situation"].items()]))
    decided = [d for d in DECISIONS if any(d in row for row in result["confusion"].values())]
    out.print(table("Confusion (rows: expected, columns: decided)", ["expected", *decided],
                    [[exp, *[row.get(d, "") for d in decided]] for exp, row in result["confusion"].items()]))
    if args.misses:
        out.print(table("Misses", ["id", "situation", "expected", "decided", "diagnosed", "confidence", "unsafe"],
                        [[m["id"], m["situation"], m["expected"], m["decided"], m["diagnosed"], m["confidence"],
                          "UNSAFE" if m["unsafe"] else ""] for m in result["misses"]]))
    return 1 if result["unsafe"] else 0
