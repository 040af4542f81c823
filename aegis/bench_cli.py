"""`aegis bench`: run the bench/ scripts (from a source checkout) and show the figures each reports."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from aegis.output import console, emit_json, progress, table
from shared.errors import NotFoundError, ValidationError

BENCH_DIR = Path(__file__).resolve().parent.parent / "bench"
NOT_SCRIPTS = {"__init__", "common"}


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("bench", help="run benchmark scripts and print their figures")
    p.add_argument("names", nargs="*", help="scripts to run (default: all); see --list")
    p.add_argument("--list", action="store_true", help="list the scripts")
    p.add_argument("--json", action="store_true", help="print JSON")


def scripts() -> list[str]:
    if not BENCH_DIR.is_dir():
        raise NotFoundError(f"no bench/ directory next to the aegis package ({BENCH_DIR}); run from a checkout")
    return sorted(p.stem for p in BENCH_DIR.glob("*.py") if p.stem not in NOT_SCRIPTS)


def run_script(name: str) -> dict:
    """One script as `python -m bench.<name>`: its last stdout line is its JSON figures."""
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", f"bench.{name}"], cwd=BENCH_DIR.parent, capture_output=True,
                          text=True)
    lines = proc.stdout.strip().splitlines()
    try:
        figures = json.loads(lines[-1]) if proc.returncode == 0 and lines else None
    except json.JSONDecodeError:
        figures = None
    return {"script": name, "ok": figures is not None, "seconds": round(time.monotonic() - started, 1),
            "figures": figures, "error": None if figures is not None else (proc.stderr.strip()[-500:] or "no JSON")}


def bench_command(args: argparse.Namespace) -> int:
    available = scripts()
    if args.list:
        print("\n".join(available))
        return 0
    unknown = [n for n in args.names if n not in available]
    if unknown:
        raise ValidationError(f"unknown bench script(s) {', '.join(unknown)}; available: {', '.join(available)}")
    results = []
    with progress() as bar:
        task = bar.add_task("benchmarks", total=len(args.names or available))
        for name in args.names or available:
            bar.update(task, description=f"bench {name}")
            results.append(run_script(name))
            bar.advance(task)
    if args.json:
        emit_json(results)
    else:
        console().print(table("Benchmarks", ["script", "ok", "seconds", "figures / error"],
                              [(r["script"], r["ok"], r["seconds"], json.dumps(r["figures"])[:300] if r["ok"]
                                else r["error"]) for r in results]))
    return 0 if all(r["ok"] for r in results) else 1
