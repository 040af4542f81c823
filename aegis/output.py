"""How CLI commands print: rich tables for people, `--json` for scripts, progress bars for long work."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

STATUS_STYLE = {"RESOLVED": "green", "FAILED": "red", "AWAITING_APPROVAL": "yellow", "HELD": "yellow",
                "APPROVED": "green", "REJECTED": "red", "running": "green", "healthy": "green",
                "unhealthy": "red", "degraded": "yellow"}


def console(stderr: bool = False) -> Console:
    """Rich output; piped or captured (no terminal), lines are not cut at 80 columns."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=None if stream.isatty() else 200)


def emit_json(data: Any) -> None:
    """--json: exactly one JSON document on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def styled(value: Any) -> str:
    text = "" if value is None else str(value)
    style = STATUS_STYLE.get(text)
    return f"[{style}]{text}[/]" if style else text.replace("[", r"\[")


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    out = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        out.add_column(column, overflow="fold")
    for row in rows:
        out.add_row(*(styled(v) for v in row))
    return out


def progress() -> Progress:
    """A progress bar on stderr (stdout stays clean for --json)."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console(stderr=True), transient=True)
