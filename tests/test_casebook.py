"""The casebook: the labeled reference incidents as a learned second opinion — what it is built from, what it says,
how the engine weighs it, and that an evaluation never finds its own cases in it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aegis.judgment import Case, casebook_without, evaluate
from services.analyst.diagnosis import Evidence, diagnose, shipped
from services.analyst.diagnosis.casebook import (
    ANALYZER,
    REFERENCE_DIR,
    TOL,
    C,
    Casebook,
    Opinion,
    Reference,
    cache_key,
    load_references,
    reference_text,
    shipped_casebook,
)
from services.analyst.offline import DEFAULT_CACHE_DIR, casebook_for
from shared.config import Settings
from shared.errors import ConfigError

CASEBOOK = shipped_casebook(cache_dir=DEFAULT_CACHE_DIR)  # `make test` fitted it there first (aegis casebook)


def test_the_casebook_is_built_from_the_tuning_splits_only():
    ids = {r.id for r in CASEBOOK.references}
    assert ids and not any(i.startswith("test") for i in ids)  # the held-out splits stay held out
    held_out = {json.loads(line)["id"] for p in REFERENCE_DIR.glob("test*.jsonl") for line in p.read_text().splitlines()
                if line.strip()}
    assert held_out and not ids & held_out


def test_every_reference_situation_is_a_known_situation():
    assert {r.situation for r in CASEBOOK.references} <= set(shipped().situations)


def test_a_malformed_reference_file_names_the_file_and_line(tmp_path):
    (tmp_path / "dev-x.jsonl").write_text('{"id": "a", "situation": "crash", "alert_type": "x", "logs": "y"}\n'
                                          '{"id": "b", "situation": "crash"}\n')
    with pytest.raises(ConfigError, match=r"dev-x.jsonl:2: not a reference case"):
        load_references(tmp_path)
    with pytest.raises(ConfigError, match="at least two situations"):
        Casebook([Reference("a", "crash", "x"), Reference("b", "crash", "y")])


# a sample of the references for the fits a test makes itself (~1,500 whatever the corpus grows to): the direct fit
# over every n-gram feature is the slow one, and under load one of ~2,000 took longer than the default 120 s guard
_SAMPLE_STRIDE = max(7, len(CASEBOOK.references) // 1500)


@pytest.mark.timeout(600)  # two fits of the sample
def test_the_opinion_is_deterministic_and_names_the_closest_reference():
    text = reference_text("RSSHigh", "tracemalloc: size=2.1 GiB (+310 MiB since last snapshot); RSS keeps growing")
    # the same references fitted twice give the same model (a sample: a fit of all 16k takes minutes)
    sample = load_references()[::_SAMPLE_STRIDE]
    assert Casebook(sample).opinion(text) == Casebook(sample).opinion(text)
    first = CASEBOOK.opinion(text)
    assert first.situation == "memory_leak" and first.probability > first.runner_up_probability
    assert first.nearest_id in {r.id for r in CASEBOOK.references} and "casebook:" in first.line()


@pytest.mark.timeout(600)  # the first case pays both fits of the sample
@pytest.mark.parametrize("text", [
    reference_text("KubePodCrashLooping", "Back-off restarting failed container; exit code 137"),
    reference_text("Ünïcödé ☃", "İstanbul ß ﬁ " * 50),  # lower case longer than the text itself
    "", "zzzz qqqq",  # nothing the vocabulary knows: the model's prior, no similarity
])
def test_the_opinion_is_what_scikit_learns_own_fit_over_every_feature_says(text):
    """The casebook fits in the span of its references (fit_in_reference_span); the oracle here is the plain
    scikit-learn pipeline fitted over all n-gram features on the same references: same probabilities, same cosine."""
    import numpy as np

    references = CASEBOOK.references[::_SAMPLE_STRIDE]
    vectorizer, model = _direct_fit(references)
    matrix = vectorizer.transform([r.text for r in references])
    vector = vectorizer.transform([text[:4000]])
    expected = model.predict_proba(vector)[0]
    opinion = _sampled_casebook(references).opinion(text)
    best = int(expected.argmax())
    assert opinion.situation == model.classes_[best]
    # both stop within the solver's tolerance of one optimum (fit_in_reference_span): measured ≤ 5e-4 apart
    assert opinion.probability == pytest.approx(float(expected[best]), abs=2e-3)
    similarities = (vector @ matrix.T).toarray().ravel()
    # the closest reference among those of the situation it names; single precision: the same cosine to ~1e-7
    same = np.array([r.situation == opinion.situation for r in references])
    assert opinion.nearest_situation == opinion.situation
    assert opinion.nearest_similarity == pytest.approx(float(np.max(similarities[same])), abs=1e-6)
    if similarities[same].max() > 0:
        assert opinion.nearest_id == references[int(np.flatnonzero(same)[similarities[same].argmax()])].id


_DIRECT: dict[int, tuple] = {}


def _direct_fit(references: list[Reference]) -> tuple:
    """scikit-learn's own pipeline over every n-gram feature, once per sample."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    if len(references) not in _DIRECT:
        vectorizer = TfidfVectorizer(**ANALYZER)
        matrix = vectorizer.fit_transform([r.text for r in references])
        model = LogisticRegression(C=C, max_iter=20000, tol=TOL).fit(matrix, [r.situation for r in references])
        _DIRECT[len(references)] = (vectorizer, model)
    return _DIRECT[len(references)]


_SAMPLED: dict[int, Casebook] = {}


def _sampled_casebook(references: list[Reference]) -> Casebook:
    if len(references) not in _SAMPLED:
        _SAMPLED[len(references)] = Casebook(references)
    return _SAMPLED[len(references)]


@pytest.mark.timeout(600)  # one fit of the sample
def test_a_fitted_casebook_is_kept_in_the_cache_and_read_back_unchanged(tmp_path, monkeypatch, caplog):
    import os

    from services.analyst.diagnosis import casebook as module

    references = CASEBOOK.references[::_SAMPLE_STRIDE]
    first = module._fitted(references, tmp_path)
    [saved] = tmp_path.glob("casebook-*.npz")
    others = [tmp_path / f"casebook-000{n}.npz" for n in range(module.CACHE_KEPT)]  # other checkouts' fits
    for age, other in enumerate(others, 1):
        other.write_bytes(b"fitted on other references")
        os.utime(other, (1_000_000 - age, 1_000_000 - age))  # the last one is the least recently used
    texts = [r.text for r in references[::10]] + [reference_text("OOMKilled", "exit code 137"), ""]

    def no_fit(self, refs):  # the second start must read the file, not fit
        raise AssertionError("fitted again")
    with monkeypatch.context() as patch:
        patch.setattr(Casebook, "__init__", no_fit)
        second = module._fitted(references, tmp_path)
    assert [second.opinion(t) for t in texts] == [first.opinion(t) for t in texts]

    saved.write_bytes(b"not an npz file")  # a damaged cache costs a fit and a warning, nothing else
    with caplog.at_level("WARNING"):
        third = module._fitted(references, tmp_path)
    assert "fitting again" in caplog.text and third.opinion(texts[0]) == first.opinion(texts[0])
    kept = {p.name for p in tmp_path.glob("casebook-*.npz")}  # rewritten; the least recently used one is gone
    assert kept == {saved.name, *(o.name for o in others[:-1])} and len(kept) == module.CACHE_KEPT


def test_the_casebook_is_cached_once_for_the_machine_unless_told_where(tmp_path, monkeypatch):
    from services.analyst import offline
    from services.analyst.diagnosis.casebook import DEFAULT_CACHE_DIR

    seen = []
    monkeypatch.setattr(offline, "shipped_casebook", lambda directory, cache: seen.append(cache))
    offline.casebook_for(Settings(data_dir=str(tmp_path)))
    offline.casebook_for(Settings(casebook_cache_dir=str(tmp_path / "c")))
    assert seen == [DEFAULT_CACHE_DIR, tmp_path / "c"]
    assert offline.casebook_for(Settings(casebook=False)) is None and len(seen) == 2


def test_the_cache_key_follows_the_references_and_a_file_for_others_is_refused(tmp_path):
    references = CASEBOOK.references
    changed = [Reference(references[0].id, "crash" if references[0].situation != "crash" else "hang",
                         references[0].text), *references[1:]]
    assert cache_key(references) != cache_key(changed) and cache_key(references) == cache_key(list(references))
    CASEBOOK.save(tmp_path / "book.npz")
    with pytest.raises(ValueError, match="other reference cases"):
        Casebook.load(tmp_path / "book.npz", references[1:])


def _opinion(situation: str, probability: float) -> Opinion:
    return Opinion(situation, probability, "crash", 0.05, "dev-001", situation, 0.4)


def test_a_clear_opinion_carries_an_alert_no_signature_matched():
    evidence = Evidence(
        "PerfCounterThreshold", "ResidentBytes 6,812,004,352 (Monday 612,331,520), files/hour unchanged"
    )
    assert diagnose(evidence).outcome == "human"  # nothing matched: a human
    d = diagnose(evidence, opinion=_opinion("memory_leak", 0.9))
    assert (d.action, d.outcome) == ("RESTART", "act") and any(e.startswith("casebook:") for e in d.evidence)


def test_a_weak_opinion_is_not_evidence():
    evidence = Evidence("PerfCounterThreshold", "ResidentBytes 6,812,004,352 (Monday 612,331,520)")
    d = diagnose(evidence, opinion=_opinion("memory_leak", 0.2))
    assert d.outcome == "human" and not any("casebook" in e for e in d.evidence)


def test_the_opinion_never_overrules_a_signature_that_says_a_human_is_needed():
    evidence = Evidence("CertExpiry", "x509: certificate has expired or is not yet valid")
    d = diagnose(evidence, opinion=_opinion("crash", 0.9))
    assert d.outcome == "human"


def test_an_evaluation_does_not_find_its_own_cases_in_the_casebook(tmp_path):
    # the same path as the shipped casebook's, over two of its files: the whole casebook less one case is a refit of
    # every reference (958 s alone at 14,234), the bench's k-fold runs it at full size
    for name in ("dev10.jsonl", "dev11.jsonl"):
        (tmp_path / name).write_text((REFERENCE_DIR / name).read_text())
    settings = Settings(casebook_dir=str(tmp_path), casebook_cache_dir=str(tmp_path / "cache"))
    reference = casebook_for(settings).references[0]
    case = Case(reference.id, "memory_leak", "RESTART", ("RESTART",), "a", "b")
    without = casebook_without([case], settings)
    assert without is not None and reference.id not in {r.id for r in without.references}
    assert len(without.references) == len(casebook_for(settings).references) - 1
    assert casebook_without([case], Settings(casebook=False)) is None
    assert evaluate([case], Settings(casebook=False))[0].decision == "HUMAN"  # "a" / "b": nothing to go on


def test_the_reference_directory_is_the_shipped_corpus():
    assert REFERENCE_DIR == Path(__file__).resolve().parent.parent / "corpus" / "judgment"


def test_a_missing_reference_directory_leaves_the_signatures_alone(tmp_path, caplog):
    from services.analyst.offline import casebook_for

    assert casebook_for(Settings(casebook_dir=str(tmp_path / "nowhere"))) is None
    assert "no reference cases" in caplog.text
    assert casebook_for(Settings(casebook_dir=str(REFERENCE_DIR))) is not None


def test_resemblance_alone_needs_more_than_resemblance_beside_a_signature():
    nothing_else = Evidence("Sentry", "New issue TypeError: Cannot read properties of undefined (reading 'id')")
    d = diagnose(nothing_else, opinion=_opinion("bad_deploy", 0.55))
    assert d.outcome == "human" and not any("casebook" in e for e in d.evidence)
    beside = Evidence("HighCPU", "cpu 97% on one core since 03:00, requests flat")
    d = diagnose(beside, opinion=_opinion("cpu_runaway", 0.55))
    assert d.situation == "cpu_runaway" and any(e.startswith("casebook:") for e in d.evidence)


@pytest.mark.parametrize("rows", [
    # a reference given twice (the same text): one direction of the span, counted twice by the fit (Cholesky)
    [[1, 0, 0, 2, 0, 1, 0], [0, 3, 1, 0, 0, 0, 1], [1, 0, 0, 2, 0, 1, 0], [0, 0, 2, 1, 1, 0, 0], [2, 1, 0, 0, 0, 2, 1],
     [0, 1, 1, 1, 3, 0, 0]],
    # distinct but linearly dependent (the third is the sum of the first two): no Cholesky factor, the eigenbasis
    [[1, 0, 0, 2, 0, 1, 0], [0, 3, 1, 0, 0, 0, 1], [1, 3, 1, 2, 0, 1, 1], [0, 0, 2, 1, 1, 0, 0], [2, 1, 0, 0, 0, 2, 1],
     [0, 1, 1, 1, 3, 0, 0]],
])
def test_the_fit_in_the_span_is_scikit_learns_fit_over_the_features(rows):
    """fit_in_reference_span finds the model scikit-learn fits over every feature, whatever basis of the span it
    takes (Cholesky over the distinct references, or the eigenbasis when they are linearly dependent)."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    from services.analyst.diagnosis.casebook import fit_in_reference_span

    matrix = csr_matrix(np.array(rows, dtype=float))
    labels = ["crash", "hang", "crash", "benign", "hang", "benign"]
    weights, intercept, situations = fit_in_reference_span(matrix, labels)
    direct = LogisticRegression(C=C, max_iter=20000, tol=1e-10).fit(matrix, labels)
    logits = matrix @ weights + intercept
    ours = np.exp(logits - logits.max(axis=1, keepdims=True))
    ours /= ours.sum(axis=1, keepdims=True)
    assert situations == tuple(direct.classes_)
    assert ours == pytest.approx(direct.predict_proba(matrix), abs=2e-3)


def test_aegis_casebook_fits_into_the_cache_once_and_bad_input_exits_2(tmp_path, monkeypatch, capsys):
    """`aegis casebook` (run by `make up` and `make test` before anything else) fits the casebook into its cache,
    reads it back the next time, names a malformed reference file with exit 2, and does nothing when turned off."""
    from aegis.cli import main

    references, cache = tmp_path / "refs", tmp_path / "cache"
    references.mkdir()
    for name in ("dev10.jsonl", "dev11.jsonl"):
        (references / name).write_text((REFERENCE_DIR / name).read_text())
    monkeypatch.setenv("AEGIS_CASEBOOK_DIR", str(references))
    monkeypatch.setenv("AEGIS_CASEBOOK_CACHE_DIR", str(cache))
    assert main(["casebook"]) == 0
    assert "fitted and kept in" in capsys.readouterr().err and len(list(cache.glob("casebook-*.npz"))) == 1
    assert main(["casebook"]) == 0
    assert "read from" in capsys.readouterr().err
    (references / "dev12.jsonl").write_text('{"id": "z", "situation": "crash"}\n')
    assert main(["casebook"]) == 2
    assert "dev12.jsonl:1: not a reference case" in capsys.readouterr().err
    assert len(list(cache.glob("casebook-*.npz"))) == 1  # nothing half-written
    monkeypatch.setenv("AEGIS_CASEBOOK", "false")
    assert main(["casebook"]) == 0
    assert "turned off" in capsys.readouterr().err


def test_the_span_is_factored_on_one_blas_thread(monkeypatch):
    """The Cholesky (and its eigenbasis fallback) run on one BLAS thread: the threaded factorisation of numpy's
    OpenBLAS kills the process past ~15.5k references (see the next test)."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from threadpoolctl import threadpool_info

    from services.analyst.diagnosis.casebook import fit_in_reference_span

    seen: list[int] = []
    cholesky, eigh = np.linalg.cholesky, np.linalg.eigh

    def blas_threads() -> int:
        return max(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")

    def recorded(real):
        def call(*args, **kwargs):
            seen.append(blas_threads())
            return real(*args, **kwargs)
        return call

    monkeypatch.setattr(np.linalg, "cholesky", recorded(cholesky))
    monkeypatch.setattr(np.linalg, "eigh", recorded(eigh))
    dependent = [[1, 0, 2], [0, 1, 1], [1, 1, 3], [2, 0, 1]]  # the third row is the sum of the first two: eigh too
    fit_in_reference_span(csr_matrix(np.array(dependent, dtype=float)), ["crash", "hang", "crash", "hang"])
    assert seen == [1, 1]


def test_a_gram_matrix_past_the_threaded_openblas_crash_is_factored():
    """16,000 references' Gram matrix: numpy's threaded Cholesky died with SIGSEGV on it here (session 45: 15,634
    shipped references crashed every analyst start); under one_blas_thread it is factored. A subprocess, so a crash
    fails this test instead of the test run (~35 s, and 4 GiB)."""
    import subprocess
    import sys

    script = ("import numpy as np\n"
              "from services.analyst.diagnosis.casebook import one_blas_thread\n"
              "rows = np.random.default_rng(7).random((16000, 40))\n"
              "gram = rows @ rows.T\n"
              "gram[np.diag_indices(16000)] += 16000\n"
              "with one_blas_thread():\n"
              "    factor = np.linalg.cholesky(gram)\n"
              "print(bool(np.isfinite(factor).all()))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "True"
