"""The `aegis` command line."""

from __future__ import annotations

import argparse
import asyncio
import sys

from aegis import bench_cli, casebook_cli, eval_cli, history_cli, read_cli, report_cli, silence_cli
from aegis.client import add_gateway_args, add_nats_args, auth_headers, call, nats_settings
from aegis.output import console, emit_json, table
from aegis.replay import checked_id
from shared.config import load_settings
from shared.errors import AegisError, RemoteError, ValidationError


def _up_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("up", help="start NATS, every service under the supervisor, and the gateway")
    p.add_argument("--config", help="TOML config file (env AEGIS_CONFIG)")
    p.add_argument("--data-dir", help="where JetStream and logs live (env AEGIS_DATA_DIR, default ./.aegis)")
    p.add_argument("--port", type=int, help="gateway port (env AEGIS_PORT, default 8001)")
    p.add_argument("--nats-port", type=int, help="embedded NATS port (env AEGIS_NATS_PORT, default 4222)")
    p.add_argument("--nats-url", help="use this NATS instead of starting one (env AEGIS_NATS_URL)")
    p.add_argument("--demo", action="store_true", default=None,
                   help="also start and monitor the demo targets (env AEGIS_DEMO)")
    p.add_argument("--executors", type=int, help="executors on this node (env AEGIS_EXECUTORS, default 1; 0: none)")
    p.add_argument("--services", help="comma-separated services to run here, e.g. gateway,prober (env AEGIS_SERVICES,"
                                      " default all)")
    p.add_argument("--no-auth", action="store_true",
                   help="turn authentication off, for local experiments only (warns on every start)")


def _setup_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("setup", help="create the streams, register targets and issue the admin key, then exit "
                                     "(for one-container-per-service deployments)")
    p.add_argument("--config", help="TOML config file (env AEGIS_CONFIG)")
    p.add_argument("--data-dir", help="where the admin key is written (env AEGIS_DATA_DIR)")
    p.add_argument("--nats-url", help="NATS, comma-separated for a cluster (env AEGIS_NATS_URL)")


def _notify_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("notify", help="review notification drafts: list, approve, reject, edit")
    verbs = p.add_subparsers(dest="notify_command", required=True)
    listing = verbs.add_parser("list", help="drafts awaiting review")
    listing.add_argument("--json", action="store_true", help="print JSON")
    add_gateway_args(listing)
    for verb in ("approve", "reject", "edit"):
        q = verbs.add_parser(verb)
        q.add_argument("incident_id")
        q.add_argument("draft_id", help="e.g. alert-email, recovery-webhook")
        q.add_argument("--by", help="who decides (only without auth; signed in, your key's name is recorded)")
        add_gateway_args(q)
        if verb == "reject":
            q.add_argument("--comment", "-m", default="")
        if verb == "edit":
            q.add_argument("--subject")
            q.add_argument("--body")


def _notify(args: argparse.Namespace) -> int:
    import getpass

    if args.notify_command == "list":
        drafts = call(args, "GET", "/notifications", params={"status": "drafted"})
        if args.json:
            emit_json(drafts)
        else:
            console().print(table(f"Drafts awaiting review ({len(drafts)})", ["incident", "draft", "subject"],
                                  [(n["incident_id"], n["draft_id"], n["subject"]) for n in drafts]))
        return 0
    body: dict = {"by": args.by or getpass.getuser()}
    if args.notify_command == "reject":
        body["comment"] = args.comment
    if args.notify_command == "edit":
        body.update({k: v for k, v in (("subject", args.subject), ("body", args.body)) if v})
    call(args, "POST", f"/notifications/{checked_id(args.incident_id)}/{checked_id(args.draft_id)}/"
                       f"{args.notify_command}", json=body)
    print(f"{args.incident_id} {args.draft_id}: {args.notify_command} recorded")
    return 0


def _chaos_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from aegis.chaos import ALERT_MIX

    p = sub.add_parser("chaos", help="fire fake alerts and report how many reached a terminal state, how fast")
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--rate", type=float, default=20.0, help="alerts per second")
    p.add_argument("--via", choices=("nats", "webhook"), default="nats",
                   help="NATS subject intake.alerts, or POST /webhook")
    p.add_argument("--targets", default="", help="comma-separated target names (default: random unknown ones)")
    p.add_argument("--types", default=",".join(ALERT_MIX), help="comma-separated alert types to mix")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for terminal states")
    p.add_argument("--nats-url", help="env AEGIS_NATS_URL")
    p.add_argument("--credentials", help="an alert producer's NATS credentials file (default: the data dir's "
                                         "nats/intake.creds; env AEGIS_NATS_CREDENTIALS)")
    add_gateway_args(p)  # for --via webhook


def _chaos(args: argparse.Namespace) -> int:
    import os

    from aegis.chaos import run_chaos

    if args.count < 1 or args.rate <= 0:
        print("aegis: --count must be ≥ 1 and --rate > 0", file=sys.stderr)
        return 2
    settings = load_settings(nats_url=args.nats_url, data_dir=getattr(args, "data_dir", None),
                             nats_credentials=args.credentials)
    url = args.url or os.environ.get("AEGIS_URL") or f"http://127.0.0.1:{settings.port}"
    targets = [t for t in args.targets.split(",") if t]
    types = [t for t in args.types.split(",") if t]
    return asyncio.run(run_chaos(settings.nats_servers, url, args.count, args.rate, args.via, targets, types,
                                 args.timeout, auth_headers(args), settings.nats_credentials_for("intake")))


def _executor_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("executor", help="run a node agent: it acts on its node's targets (docs/fleet.md)")
    p.add_argument("--node", required=True, help="this node's name: the agent acts only on targets placed on it")
    p.add_argument("--instance", default="", help="tells apart several agents of one node (default: none)")
    # --config: its [[targets]] are registered here, on this node (those that name another node are refused);
    # on another machine: --credentials, a copy of the platform's executor.creds
    add_nats_args(p, "executor")


def _runbook_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("runbook", help="import or export curated runbook entries")
    actions = p.add_subparsers(dest="runbook_command", required=True)
    imp = actions.add_parser("import", help="append entries from a JSON file (validated; idempotent)")
    imp.add_argument("file")
    exp = actions.add_parser("export", help="write the runbook as JSON")
    exp.add_argument("--output", "-o", help="file to write (default: standard output)")
    for q in (imp, exp):
        add_nats_args(q, "admin")


def _runbook(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from aegis.runbook_cli import export_runbook, import_runbook

    settings = nats_settings(args)
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


def _approval_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    for verb in ("approve", "reject"):
        p = sub.add_parser(verb, help=f"{verb} an action held for human approval")
        p.add_argument("incident_id")
        p.add_argument("--comment", "-m", default="", help="why (recorded in the timeline)")
        p.add_argument("--by", help="who decides, only without auth (signed in, your key's name is recorded)")
        add_gateway_args(p)


def _decide(args: argparse.Namespace) -> int:
    import getpass

    body = {"comment": args.comment, "by": args.by or getpass.getuser()}
    result = call(args, "POST", f"/incidents/{checked_id(args.incident_id)}/{args.command}", json=body)
    print(f"{result['incident_id']}: {result['status']} — {result['timeline'][-1]['message']}")
    return 0


def _executor(args: argparse.Namespace) -> int:
    from services.executor.__main__ import build
    from shared.config import NODE_PATTERN
    from shared.service import run, serve

    if not NODE_PATTERN.match(args.node):
        raise ValidationError(f"invalid node name {args.node!r}: must match {NODE_PATTERN.pattern}")
    if args.instance and not NODE_PATTERN.match(args.instance):
        raise ValidationError(f"invalid instance {args.instance!r}: must match {NODE_PATTERN.pattern}")
    settings = nats_settings(args, node=args.node, instance=args.instance)
    elsewhere = [t.name for t in settings.targets if t.node and t.node != args.node]
    if elsewhere:
        raise ValidationError(f"the config places {', '.join(elsewhere)} on another node than {args.node}: a node "
                              "agent registers only its own targets")
    run(serve("executor", build, settings))
    return 0


def _up(args: argparse.Namespace) -> int:
    from aegis.up import run_up

    services = [s.strip() for s in args.services.split(",") if s.strip()] if args.services else None
    settings = load_settings(args.config, data_dir=args.data_dir, port=args.port, executors=args.executors,
                             nats_port=args.nats_port, nats_url=args.nats_url, demo=args.demo, services=services,
                             auth=False if args.no_auth else None)
    return asyncio.run(run_up(settings, args.config))


def _setup(args: argparse.Namespace) -> int:
    from aegis.up import run_setup

    return asyncio.run(run_setup(load_settings(args.config, data_dir=args.data_dir, nats_url=args.nats_url)))


COMMANDS = {
    "up": _up, "setup": _setup, "executor": _executor, "runbook": _runbook, "approve": _decide, "reject": _decide,
    "notify": _notify, "chaos": _chaos, "status": read_cli.status, "incidents": read_cli.incidents,
    "show": read_cli.show, "postmortem": report_cli.postmortem, "report": report_cli.report,
    "replay": history_cli.replay_command, "whatif": history_cli.whatif_command,
    "eval": eval_cli.eval_command, "silence": silence_cli.silence_command,
    "casebook": casebook_cli.casebook_command,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `aegis` console script."""
    parser = argparse.ArgumentParser(prog="aegis", description="AegisOps incident auto-remediation")
    sub = parser.add_subparsers(dest="command", required=True)
    _up_parser(sub)
    _setup_parser(sub)
    _runbook_parser(sub)
    _approval_parsers(sub)
    _executor_parser(sub)
    _chaos_parser(sub)
    _notify_parser(sub)
    read_cli.add_parsers(sub)
    report_cli.add_parsers(sub)
    history_cli.add_parsers(sub)
    bench_cli.add_parser(sub)
    eval_cli.add_parser(sub)
    casebook_cli.add_parser(sub)
    silence_cli.add_parser(sub)
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv[:1] == ["bench"]:  # its own parser lives in bench/cli.py (aegis bench -h)
            return bench_cli.bench_command(argv[1:])
        args = parser.parse_args(argv)
        return COMMANDS[args.command](args)
    except RemoteError as exc:  # the gateway answered: it refused, with its reason
        print(f"aegis: {exc.message}", file=sys.stderr)
        return 1
    except AegisError as exc:
        print(f"aegis: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
