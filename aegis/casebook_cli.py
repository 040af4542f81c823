"""`aegis casebook`: fit the casebook into its cache now, so no analyst waits for it.

The analyst fits the casebook (docs/judgment.md, "The casebook") at its first start on a machine and keeps the fit in
`casebook_cache_dir`; with ~15k references that takes minutes, during which its first incidents wait. `make up` and
`make test` run this first, so the wait happens once, here, with a message, and never inside a service."""

from __future__ import annotations

import argparse
import time

from aegis.output import console
from shared.config import load_settings


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("casebook", help="fit the casebook of labeled reference incidents into its cache now "
                                        "(otherwise the analyst's first start on a machine does it)")
    p.add_argument("--config", help="settings file (casebook, casebook_dir, casebook_cache_dir)")


def casebook_command(args: argparse.Namespace) -> int:
    """Exit 0 when the casebook is fitted and cached (or turned off), 2 on bad settings or reference files."""
    from services.analyst.diagnosis.casebook import cache_path, load_references
    from services.analyst.offline import casebook_for, casebook_location

    settings = load_settings(args.config)
    out = console(stderr=True)
    if not settings.casebook:
        out.print("casebook: turned off in the settings (casebook = false); nothing to fit")
        return 0
    directory, cache = casebook_location(settings)
    references = load_references(directory)  # ConfigError (exit 2) names a malformed file and line
    if not references:
        out.print(f"casebook: no reference cases in {directory}; the analyst will decide from the signatures alone")
        return 0
    path = cache_path(references, cache)
    cached = path.is_file()
    if not cached:
        out.print(f"casebook: fitting {len(references):,} references from {directory} (the first time on this "
                  "machine for these references: minutes) …")
    started = time.perf_counter()
    casebook_for(settings)
    took = time.perf_counter() - started
    verb = "read from" if cached else "fitted and kept in"
    out.print(f"casebook: {len(references):,} references {verb} {path} ({took:.1f} s)")
    return 0
