"""`python -m bench.cli`: what `aegis bench` runs — the bench/ scripts (each as `python -m bench.<name>`), their
figures, and the report (BENCHMARKS.md with docs/bench/). Lives in bench/ so the shipped `aegis` package never imports
benchmark code: `aegis bench` starts this module as a process."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from aegis.output import console, emit_json, progress, table
from bench.report import SectionRuns, machine_facts, plot, render
from bench.suite import SECTIONS, section
from shared.errors import AegisError, ValidationError

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
NOT_SCRIPTS = {"__init__", "cli", "common", "suite", "report", "baseline_analyzer", "paraphrases"}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="aegis bench",
                                description="run benchmark scripts and print their figures, or write BENCHMARKS.md")
    p.add_argument("names", nargs="*", help="scripts to run (default: all); see --list")
    p.add_argument("--list", action="store_true", help="list the scripts")
    p.add_argument("--runs", type=int, help="runs per script (default: as bench/suite.py says, 1 without --report)")
    p.add_argument("--report", metavar="FILE", help="write the Markdown report (plots and results.json go to "
                                                   "docs/bench/ beside it; scripts not run keep their last figures)")
    p.add_argument("--render", metavar="FILE", help="only rewrite the report from docs/bench/results.json beside it "
                                                   "(after editing bench/notes or bench/suite.py; plots are kept)")
    p.add_argument("--json", action="store_true", help="print JSON")
    return p


def scripts() -> list[str]:
    """The bench scripts beside this module (every bench/*.py that is not a helper)."""
    return sorted(p.stem for p in BENCH_DIR.glob("*.py") if p.stem not in NOT_SCRIPTS)


def run_script(name: str, args: tuple[str, ...] = ()) -> dict:
    """One script as `python -m bench.<name> ARGS`: its last stdout line is its JSON figures."""
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", f"bench.{name}", *args], cwd=ROOT, capture_output=True, text=True)
    lines = proc.stdout.strip().splitlines()
    try:
        figures = json.loads(lines[-1]) if proc.returncode == 0 and lines else None
    except json.JSONDecodeError:
        figures = None
    return {"script": name, "ok": figures is not None, "seconds": round(time.monotonic() - started, 1),
            "figures": figures, "error": None if figures is not None else (proc.stderr.strip()[-500:] or "no JSON")}


def bench_command(args: argparse.Namespace) -> int:
    available = scripts()
    if args.render:
        render_again(Path(args.render))
        return 0
    if args.list:
        print("\n".join(available))
        return 0
    unknown = [n for n in args.names if n not in available]
    if unknown:
        raise ValidationError(f"unknown bench script(s) {', '.join(unknown)}; available: {', '.join(available)}")
    if args.runs is not None and args.runs < 1:
        raise ValidationError("--runs must be at least 1")
    names = args.names or available
    plan = [(section(n), args.runs or (section(n).runs if args.report else 1)) for n in names]
    results: dict[str, list[dict]] = {n: [] for n in names}
    with progress() as bar:
        task = bar.add_task("benchmarks", total=sum(runs for _, runs in plan))
        for spec, runs in plan:
            for number in range(1, runs + 1):
                bar.update(task, description=f"bench {spec.script} (run {number} of {runs})")
                results[spec.script].append(run_script(spec.script, spec.args))
                bar.advance(task)
    if args.report:
        write_report(Path(args.report), plan, results)
    flat = [r for n in names for r in results[n]]
    if args.json:
        emit_json([{k: v for k, v in r.items() if k != "figures"} | {"figures": _without_samples(r["figures"])}
                   for r in flat])
    else:
        console().print(table("Benchmarks", ["script", "ok", "seconds", "figures / error"],
                              [(r["script"], r["ok"], r["seconds"], json.dumps(_without_samples(r["figures"]))[:300]
                                if r["ok"] else r["error"]) for r in flat]))
    return 0 if all(r["ok"] for r in flat) else 1


def write_report(path: Path, plan: list, results: dict[str, list[dict]]) -> None:
    """Fold these runs into docs/bench/results.json (sections not run keep their last figures), draw their
    plots, and rewrite the report from it."""
    raw_file = path.parent / "docs" / "bench" / "results.json"
    raw_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        raw = json.loads(raw_file.read_text())
    except (OSError, ValueError):
        raw = {}
    machine = machine_facts()
    raw["machine"] = machine
    for key in ("runs", "errors", "measured"):
        raw.setdefault(key, {})
    for spec, _ in plan:
        ok = [r["figures"] for r in results[spec.script] if r["ok"]]
        raw["runs"][spec.script] = [_without_samples(r) for r in ok]
        raw["errors"][spec.script] = [r["error"] for r in results[spec.script] if not r["ok"]]
        raw["measured"][spec.script] = machine["date"]
        plot(spec, ok, raw_file.parent / f"{spec.script}.png")
    raw_file.write_text(json.dumps(raw, indent=1, sort_keys=True) + "\n")
    render_again(path)


def render_again(path: Path) -> None:
    """The report from docs/bench/results.json, without running anything."""
    raw_file = path.parent / "docs" / "bench" / "results.json"
    try:
        raw = json.loads(raw_file.read_text())
    except (OSError, ValueError) as exc:
        raise ValidationError(f"cannot read {raw_file} ({exc}); run `aegis bench --report {path}` first") from None
    errors, measured = raw.get("errors", {}), raw.get("measured", {})
    runs = [SectionRuns(s, raw["runs"][s.script], errors.get(s.script, []), measured.get(s.script, ""))
            for s in SECTIONS if s.script in raw["runs"]]
    plots = {s.script: f"docs/bench/{s.script}.png" for s in SECTIONS if (raw_file.parent / f"{s.script}.png").exists()}
    path.write_text(render(raw["machine"], runs, raw["machine"]["date"], plots))
    print(f"wrote {path} from {raw_file}", file=sys.stderr)


def _without_samples(figures: dict | None) -> dict | None:
    return {k: v for k, v in figures.items() if k != "samples"} if figures else figures


def main(argv: list[str] | None = None) -> int:
    try:
        return bench_command(parser().parse_args(argv))
    except AegisError as exc:
        print(f"aegis: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
