"""Judgment: the offline diagnosis + council over the labeled corpora (corpus/judgment/), beside the first-match
regex analyzer it replaced, and the time one diagnosis takes with the full signature set.

    python -m bench.judgment [--repeat 20]

The test splits are never tuned on (test2 was written after all tuning and read once); the dev splits are. Prints one JSON line."""

from __future__ import annotations

import argparse
import time

from aegis.judgment import CORPUS_DIR, Case, evaluate, load_corpus, report
from bench import baseline_analyzer
from bench.common import percentile, report as emit
from services.analyst.diagnosis import Evidence, diagnose, shipped
from services.analyst.offline import platform_record  # noqa: F401 - the analyst's import path, warmed like it
from shared.config import Settings
from shared.events.models import AIAnalysis

SPLITS = ("test", "test2", "dev", "dev2", "dev3", "dev4")


def old_analysis(case: Case, logs: str, settings: Settings) -> AIAnalysis:
    return baseline_analyzer.analyze(case.alert_type, logs)


def timing(cases: list[Case], repeat: int) -> dict[str, object]:
    """Milliseconds per diagnosis (signatures, readings, ranking), every case `repeat` times."""
    shipped()  # loading the files is start-up, not a diagnosis
    samples = []
    for _ in range(repeat):
        for c in cases:
            started = time.perf_counter()
            diagnose(Evidence(c.alert_type, c.logs[:2000], c.severity, c.container_name))
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"diagnosis_p50_ms": round(percentile(samples, 50), 3), "diagnosis_p99_ms": round(percentile(samples, 99), 3),
            "diagnosis_max_ms": round(samples[-1], 3),
            "samples": {"diagnosis": [round(s, 3) for s in samples[::max(1, len(samples) // 2000)]]}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    result: dict = {"signatures": len(shipped().signatures)}
    everything: list[Case] = []
    for split in SPLITS:
        path = CORPUS_DIR / f"{split}.jsonl"
        if not path.exists():
            continue
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
