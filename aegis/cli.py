"""The `aegis` command line."""

from __future__ import annotations

import argparse
import asyncio
import sys

from shared.config import load_settings
from shared.errors import AegisError


def _up_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("up", help="start NATS, every service under the supervisor, and the gateway")
    p.add_argument("--config", help="TOML config file (env AEGIS_CONFIG)")
    p.add_argument("--data-dir", help="where JetStream and logs live (env AEGIS_DATA_DIR, default ./.aegis)")
    p.add_argument("--port", type=int, help="gateway port (env AEGIS_PORT, default 8001)")
    p.add_argument("--nats-port", type=int, help="embedded NATS port (env AEGIS_NATS_PORT, default 4222)")
    p.add_argument("--nats-url", help="use this NATS instead of starting one (env AEGIS_NATS_URL)")
    p.add_argument("--demo", action="store_true", default=None,
                   help="also start and monitor the demo targets (env AEGIS_DEMO)")


def _runbook_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("runbook", help="import or export curated runbook entries")
    actions = p.add_subparsers(dest="runbook_command", required=True)
    imp = actions.add_parser("import", help="append entries from a JSON file (validated; idempotent)")
    imp.add_argument("file")
    exp = actions.add_parser("export", help="write the runbook as JSON")
    exp.add_argument("--output", "-o", help="file to write (default: standard output)")
    for q in (imp, exp):
        q.add_argument("--nats-url", help="NATS of the running platform (env AEGIS_NATS_URL)")
        q.add_argument("--config", help="TOML config file (env AEGIS_CONFIG)")


def _runbook(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from aegis.runbook_cli import export_runbook, import_runbook

    settings = load_settings(args.config, nats_url=args.nats_url)
    if args.runbook_command == "import":
        counts = asyncio.run(import_runbook(settings, Path(args.file)))
        print(f"runbook import: {counts['added']} added, {counts['updated']} updated, "
              f"{counts['unchanged']} unchanged")
        return 0
    text = json.dumps(asyncio.run(export_runbook(settings)), indent=2)
    if args.output:
        Path(args.output).write_text(text + "\n")
        print(f"runbook exported to {args.output}", file=sys.stderr)
    else:
        print(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `aegis` console script."""
    parser = argparse.ArgumentParser(prog="aegis", description="AegisOps incident auto-remediation")
    sub = parser.add_subparsers(dest="command", required=True)
    _up_parser(sub)
    _runbook_parser(sub)
    args = parser.parse_args(argv)
    try:
        if args.command == "runbook":
            return _runbook(args)
        if args.command == "up":
            from aegis.up import run_up

            settings = load_settings(args.config, data_dir=args.data_dir, port=args.port,
                                     nats_port=args.nats_port, nats_url=args.nats_url, demo=args.demo)
            return asyncio.run(run_up(settings, args.config))
    except AegisError as exc:
        print(f"aegis: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
