"""The benchmark report: every bench script is in the suite, figures are aggregated over runs into median and
spread against their bars, plots are drawn, and `aegis bench --report` writes it all from real runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.cli import ROOT, scripts
from bench.report import SectionRuns, aggregate, plot, render
from bench.suite import SECTIONS, Figure, Section, at, at_least, at_most, section


def test_every_bench_script_is_in_the_suite_and_nothing_else():
    assert sorted(s.script for s in SECTIONS) == scripts()
    for spec in SECTIONS:
        assert spec.runs >= 1 and spec.figures
        assert any(f.meets is not None for f in spec.figures), f"{spec.script} holds nothing to a bar"
    with pytest.raises(KeyError):
        section("nope")


SPEC = Section("demo", "Demo", ("--fast",), 3, (
    Figure("throughput", at("per_s"), "/s", "≥ 100", at_least(100)),
    Figure("p99", at("lat", "p99"), "ms", "≤ 10 ms", at_most(10)),
    Figure("info only", at("info"), "MB"),
    Figure("never reported", at("missing"), "ms", "≤ 1 ms", at_most(1)),
), plot="latency (ms)")


def test_figures_are_the_median_of_the_runs_with_their_spread_and_verdict():
    runs = [{"per_s": 90, "lat": {"p99": 4.0}, "info": 12}, {"per_s": 120, "lat": {"p99": 30.0}},
            {"per_s": 130, "lat": {"p99": 6.0}, "info": True}]  # a bool is not a figure
    rows = {r.label: r for r in aggregate(SPEC, runs)}
    assert rows["throughput"].median == 120 and rows["throughput"].verdict == "met"
    assert rows["p99"].median == 6.0 and rows["p99"].verdict == "met"  # one slow run does not decide alone
    assert rows["info only"].values == [12] and rows["info only"].verdict == ""
    assert rows["never reported"].verdict == "no data"
    slow = {r.label: r for r in aggregate(SPEC, [{"per_s": 50}, {"per_s": 60}])}
    assert slow["throughput"].verdict == "NOT met"


def test_one_run_of_repetitions_shows_their_spread():
    from bench.report import spread
    from bench.suite import repetitions

    spec = Section("one", "One", (), 1, (Figure("kill", at("k", "median_ms"), "ms", "≤ 5 ms", at_most(5),
                                                 repetitions("k", "values_ms")),))
    (row,) = aggregate(spec, [{"k": {"median_ms": 3.0, "values_ms": [1.0, 3.0, 9.0]}}])
    assert row.verdict == "met" and spread(row) == "1 ms – 9 ms over 3"
    (empty,) = aggregate(spec, [{"k": {"median_ms": 3.0}}])
    assert spread(empty) == "one run"


def test_the_report_says_machine_command_spread_bars_failures_and_notes(tmp_path):
    runs = [{"per_s": 90.5, "lat": {"p99": 4.0}}, {"per_s": 1234.4, "lat": {"p99": 30.0}}]
    text = render({"CPU": "test cpu, 2 cores"}, [SectionRuns(SPEC, runs, ["Traceback: boom"])], "2026-11-22",
                  {"demo": "docs/bench/demo.png"})
    assert "| CPU | test cpu, 2 cores |" in text
    assert "`python -m bench.demo --fast` — 2 of 3 run(s) succeeded." in text
    assert "| throughput | 662/s | 90.5/s – 1,234/s | ≥ 100 | met |" in text
    assert "| p99 | 17 ms | 4 ms – 30 ms | ≤ 10 ms | **NOT met** |" in text
    assert "| demo | p99 | 17 ms | ≤ 10 ms | **NOT met** |" in text  # in the summary of every bar
    assert "A run failed: `Traceback: boom`" in text and "![Demo](docs/bench/demo.png)" in text


def test_latency_samples_become_a_png_and_no_samples_no_plot(tmp_path):
    runs = [{"samples": {"a": [1, 2, 3, 50]}}, {"samples": {"a": [2, 4], "b": [10, 20]}}]
    assert plot(SPEC, runs, tmp_path / "demo.png")
    assert (tmp_path / "demo.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not plot(SPEC, [{"per_s": 1}], tmp_path / "none.png") and not (tmp_path / "none.png").exists()


def aegis_bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aegis.cli", "bench", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.integration
def test_aegis_bench_report_runs_the_scripts_and_writes_the_report(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    proc = aegis_bench("event_store", "--runs", "2", "--report", str(out), "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(proc.stdout)
    assert len(results) == 2 and all(r["ok"] and r["figures"]["appends_per_s"] > 0 for r in results)
    text = out.read_text()
    assert "`python -m bench.event_store --incidents 17000` — 2 of 2 run(s) succeeded, 20" in text
    row = next(line for line in text.splitlines() if line.startswith("| appends/s"))
    assert " – " in row  # a spread over the two runs
    raw = json.loads((tmp_path / "docs" / "bench" / "results.json").read_text())
    assert len(raw["runs"]["event_store"]) == 2 and "nats-server" in raw["machine"]
    # notes or bars changed: the report is rewritten from those figures without running anything
    out.write_text("stale")
    again = aegis_bench("--render", str(out))
    assert again.returncode == 0 and out.read_text() == text


def test_a_report_of_some_scripts_keeps_the_last_figures_of_the_others(tmp_path):
    from bench.cli import write_report

    out = tmp_path / "BENCHMARKS.md"
    intake = {"ok": True, "error": None, "figures": {"accepted_per_s": 1600, "p99_ms": 16.0, "errors": 0,
                                                     "samples": {"16 connections": [5.0, 9.0, 16.0]}}}
    write_report(out, [(section("intake"), 1)], {"intake": [intake]})
    failed = {"ok": False, "error": "Traceback: nginx did not answer", "figures": None}
    write_report(out, [(section("prober"), 1)], {"prober": [failed]})
    text = out.read_text()
    assert "| webhooks accepted per second | 1,600/s | one run | ≥ 1,500 | met |" in text  # kept from the first
    assert "`python -m bench.prober --targets 2000 --seconds 20` — 0 of 1 run(s) succeeded, 20" in text
    assert "A run failed: `Traceback: nginx did not answer`" in text
    assert (tmp_path / "docs" / "bench" / "intake.png").exists()
    assert not (tmp_path / "docs" / "bench" / "prober.png").exists()


def test_bad_bench_arguments_are_refused_with_a_reason(tmp_path):
    proc = aegis_bench("--render", str(tmp_path / "BENCHMARKS.md"))
    assert proc.returncode == 2 and "run `aegis bench --report" in proc.stderr
    proc = aegis_bench("--runs", "0")
    assert proc.returncode == 2 and "--runs must be at least 1" in proc.stderr
    proc = aegis_bench("nope")
    assert proc.returncode == 2 and "unknown bench script" in proc.stderr
    assert Path(ROOT / "bench" / "notes").is_dir()


def test_judgment_tuning_folds_deal_every_file_once_and_bad_fold_counts_are_refused(tmp_path):
    from bench.judgment import folds

    paths = [tmp_path / f"dev{i}.jsonl" for i in (3, 1, 2, 10, 5)]
    groups = folds(paths, 2)
    assert groups == [[tmp_path / n for n in ("dev1.jsonl", "dev2.jsonl", "dev5.jsonl")],
                      [tmp_path / n for n in ("dev10.jsonl", "dev3.jsonl")]]
    assert folds(paths[:1], 6) == [[paths[0]]]  # no empty groups: each would cost a refit for nothing
    proc = subprocess.run([sys.executable, "-m", "bench.judgment", "--folds", "1"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2 and "--folds must be at least 2" in proc.stderr
