"""`aegis bench`: runs bench/cli.py from a source checkout as a process (the shipped package imports no bench code)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from shared.errors import NotFoundError

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Listed in `aegis -h`; `aegis bench ARGS` goes to bench/cli.py before this parser sees it."""
    sub.add_parser("bench", help="run benchmark scripts and print their figures, or write BENCHMARKS.md "
                                 "(aegis bench -h)")


def bench_command(argv: list[str]) -> int:
    """`python -m bench.cli ARGV` in the checkout, with this terminal; its exit status."""
    if not (BENCH_DIR / "cli.py").is_file():
        raise NotFoundError(f"no bench/ directory next to the aegis package ({BENCH_DIR}); run from a checkout")
    return subprocess.run([sys.executable, "-m", "bench.cli", *argv], cwd=ROOT).returncode
