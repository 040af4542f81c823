"""Judgment: the offline diagnosis + council over the labeled corpora (corpus/judgment/), beside the first-match
regex analyzer it replaced, and the time one diagnosis takes with the full signature set.

    python -m bench.judgment [--repeat 20]

The test splits are never tuned on (each was written by a separate author without sight of the repository; test3
after all tuning, read once); the dev splits are tuned on, and each is measured with the casebook built without it.
Prints one JSON line."""

from __future__ import annotations

import argparse
import time

from aegis.judgment import CORPUS_DIR, Case, evaluate, load_corpus, report
from bench import baseline_analyzer
from bench.common import percentile
from bench.common import report as emit
from services.analyst.diagnosis import Evidence, diagnose, prepare, shipped
from services.analyst.diagnosis.casebook import reference_text
from services.analyst.offline import casebook_for
from shared.config import Settings
from shared.events.models import AIAnalysis


def old_analysis(case: Case, logs: str, settings: Settings) -> AIAnalysis:
    return baseline_analyzer.analyze(case.alert_type, logs)


def timing(cases: list[Case], repeat: int) -> dict[str, object]:
    """Milliseconds per diagnosis (the casebook's opinion, signatures, readings, ranking), every case `repeat`
    times."""
    prepare()  # loading the files and compiling the scans is start-up, not a diagnosis
    casebook = casebook_for(Settings())
    samples = []
    for _ in range(repeat):
        for c in cases:
            started = time.perf_counter()
            logs = c.logs[:2000]
            opinion = casebook.opinion(reference_text(c.alert_type, logs)) if casebook else None
            diagnose(Evidence(c.alert_type, logs, c.severity, c.container_name), opinion=opinion)
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "diagnosis_p50_ms": round(percentile(samples, 50), 3),
        "diagnosis_p99_ms": round(percentile(samples, 99), 3),
        "diagnosis_max_ms": round(samples[-1], 3),
        "samples": {"diagnosis": [round(s, 3) for s in samples[:: max(1, len(samples) // 2000)]]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    casebook = casebook_for(Settings())
    result: dict = {
        "signatures": len(shipped().signatures),
        "casebook_references": len(casebook.references) if casebook else 0,
    }
    everything: list[Case] = []
    for path in sorted(CORPUS_DIR.glob("*.jsonl")):  # test*: held out, dev*: tuned on (bench/suite.py pools them)
        split = path.stem
        cases = load_corpus(path)
        everything += cases
        new, old = report(evaluate(cases)), report(evaluate(cases, analyse=old_analysis))
        result[split] = {k: new[k] for k in ("cases", "accuracy", "unsafe", "silently_closed", "held_for_approval")}
        result[split]["per_situation"] = {k: v["accuracy"] for k, v in new["per_situation"].items()}
        result[split]["old"] = {k: old[k] for k in ("accuracy", "unsafe", "silently_closed")}
        result[split]["old"]["per_situation"] = {k: v["accuracy"] for k, v in old["per_situation"].items()}
        if split == "test":
            result[split]["confusion"] = new["confusion"]
    result |= timing(everything, args.repeat)
    emit(result)


if __name__ == "__main__":
    main()
