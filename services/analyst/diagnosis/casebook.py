"""The casebook: labeled reference incidents as a learned second opinion beside the signatures.

Signatures recognise what they were written for; real alerts say the same thing in words nobody wrote a pattern
for ("Private Bytes 6.8 GB (Monday: 612 MB)", a py-spy profile pinned in one function). The casebook reads the
reference incidents in `corpus/judgment/dev*.jsonl` (reviewed data, labeled with their situation; the held-out
`test*.jsonl` splits are never in it) and learns character n-grams → situation with a multinomial logistic
regression. Deterministic (same files → same model → same opinion, so replay and what-if agree), explainable (the
opinion names the reference case most like the incident among those of the situation it names: a precedent for the
verdict, found in a twelfth of the references; the nearest of all cost ~60% of an opinion and only ever reached the
justification), pure once built.

The engine uses the opinion as one more piece of evidence, never as the decision on its own: see engine.rank."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections import Counter
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

import numpy as np

from services.analyst.diagnosis.ngrams import NgramIndex
from shared.errors import ConfigError

log = logging.getLogger(__name__)

REFERENCE_DIR = Path(__file__).resolve().parents[3] / "corpus" / "judgment"
REFERENCE_GLOB = "dev*.jsonl"
DEFAULT_CACHE_DIR = Path.home() / ".cache" / "aegisops" / "casebook"
CACHE_KEPT = 4  # fitted casebooks kept in a cache dir (checkouts or installs with other references share it)
MAX_CHARS = 4000  # what the opinion reads of one incident (the analyst truncates logs before this anyway)
SITUATION_ALIASES = {"unknown": "unknown_errors"}  # the corpora's name → the knowledge's name
ANALYZER = {"analyzer": "char_wb", "ngram_range": (3, 5), "sublinear_tf": True}  # the TF-IDF features
C = 20.0  # the logistic regression's inverse regularisation
TOL = 1e-6  # L-BFGS's stopping tolerance (scikit-learn's default 1e-4 left probabilities up to 0.02 from the optimum)
CACHE_FORMAT = 4  # bump when what `save` writes changes


@dataclass(frozen=True)
class Reference:
    """One labeled reference incident."""

    id: str
    situation: str
    text: str


@dataclass(frozen=True)
class Opinion:
    """The casebook's view of one incident: the likeliest situation, its probability, and the closest reference
    case of that situation (`nearest_situation` is always `situation`, kept for the line and its readers)."""

    situation: str
    probability: float
    runner_up: str
    runner_up_probability: float
    nearest_id: str
    nearest_situation: str
    nearest_similarity: float
    distribution: tuple[tuple[str, float], ...] = ()  # every situation at 1% or more, likeliest first

    def share(self, situations: set[str] | frozenset[str]) -> float:
        """The casebook's probability that the incident is one of `situations` (only its top two without the
        distribution)."""
        shown = self.distribution or ((self.situation, self.probability), (self.runner_up, self.runner_up_probability))
        return sum(p for s, p in shown if s in situations)

    def line(self) -> str:
        """The evidence line shown in the justification."""
        return (f"casebook: {self.probability:.0%} {self.situation} (closest reference {self.nearest_id}, "
                f"{self.nearest_situation}, {self.nearest_similarity:.0%} similar)")


def reference_text(alert_type: str, logs: str, labels: dict[str, str] | None = None) -> str:
    """What the casebook reads of an incident: the alert name, its labels and its logs, lower case."""
    shown = " ".join(f"{k}={v}" for k, v in sorted((labels or {}).items()))
    return f"{alert_type}\n{shown}\n{logs}".lower()


def load_references(directory: Path = REFERENCE_DIR, pattern: str = REFERENCE_GLOB) -> list[Reference]:
    """Every labeled case in the reference files; ConfigError naming the file and line when one is malformed."""
    out: list[Reference] = []
    for path in sorted(directory.glob(pattern)):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                logs = row["logs"] if isinstance(row["logs"], str) else "\n".join(row["logs"])
                situation = SITUATION_ALIASES.get(str(row["situation"]), str(row["situation"]))
                out.append(Reference(str(row["id"]), situation,
                                     reference_text(str(row["alert_type"]), logs, row.get("labels") or {})))
            except (ValueError, KeyError, TypeError) as exc:
                raise ConfigError(f"{path.name}:{number}: not a reference case ({exc})") from None
    return out


def _distinct_rows(matrix) -> tuple[np.ndarray, np.ndarray]:
    """(the first row of each distinct row of a CSR matrix, each row's index among those): identical references
    (the same text) are one direction of the span."""
    first: dict[bytes, int] = {}
    kept: list[int] = []
    of = np.empty(matrix.shape[0], dtype=np.int64)
    for i in range(matrix.shape[0]):
        start, end = matrix.indptr[i], matrix.indptr[i + 1]
        key = matrix.indices[start:end].tobytes() + matrix.data[start:end].tobytes()
        if key not in first:
            first[key] = len(kept)
            kept.append(i)
        of[i] = first[key]
    return np.asarray(kept, dtype=np.int64), of


def one_blas_thread():
    """A context in which BLAS/LAPACK runs on one thread. numpy's OpenBLAS (0.3.31 here) kills the whole process with
    SIGSEGV in its threaded Cholesky once the Gram matrix passes ~15.5k rows (measured on this machine: 15,500 rows
    factor, 16,000 crash with two threads; 15,634 references crashed the shipped casebook's fit, session 45); one
    thread factors the same matrices (checked to 22,000 rows) for ~20% more time. The eigenbasis fallback is run the
    same way."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def fit_in_reference_span(matrix, labels: list[str]) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """scikit-learn's L2-penalised multinomial logistic regression of `labels` on `matrix` (references × features,
    sparse), fitted in the span of the references instead of over the ~750k n-gram features: (weights as
    features × situations, intercept, situations).

    The same model, found faster: with an L2 penalty the optimal weights are a combination of the references'
    vectors. With D the distinct references and their Gram matrix D·Dᵀ = L·Lᵀ (Cholesky), weights = Dᵀ·L⁻ᵀ·β turn
    the problem into one over β with the penalty |β|² and, for each reference, the features of its row of L: the
    same optimum, mapped back by Dᵀ·L⁻ᵀ. (Until session 41 the basis came from the Gram matrix's eigendecomposition,
    U·√S: the same problem turned by a rotation, ~13× slower to find — 343 s against 26 s at 14,514 references.)
    L-BFGS from zero takes the same steps in any rotated basis, but its stopping test (the largest gradient
    component) is not rotation-invariant, so each fit stops somewhere within its tolerance of that optimum: with TOL
    the probabilities are within ~7e-4 of the eigenbasis fit's (14,514 references). Distinct references that are
    still linearly dependent (never seen: the n-grams run to ~750k) leave no Cholesky factor; they fall back to the
    eigenbasis, which drops such directions."""
    from scipy.linalg import solve_triangular
    from sklearn.linear_model import LogisticRegression

    rows, of = _distinct_rows(matrix)
    distinct = matrix[rows]
    gram = (distinct @ distinct.T).toarray()
    try:
        with one_blas_thread():
            factor = np.linalg.cholesky(gram)
    except np.linalg.LinAlgError:
        factor = None
    if factor is not None and np.diag(factor).min() > np.sqrt(np.diag(gram).max() * 1e-10):
        coordinates = factor
        def back(coef: np.ndarray) -> np.ndarray:
            return solve_triangular(factor, coef.T, lower=True, trans="T")
    else:
        with one_blas_thread():
            eigenvalues, eigenvectors = np.linalg.eigh(gram)
        kept = eigenvalues > eigenvalues.max() * 1e-10
        eigenvalues, eigenvectors = eigenvalues[kept], eigenvectors[:, kept]
        coordinates = eigenvectors * np.sqrt(eigenvalues)
        def back(coef: np.ndarray) -> np.ndarray:
            return (eigenvectors / np.sqrt(eigenvalues)) @ coef.T
    model = LogisticRegression(C=C, max_iter=20000, tol=TOL).fit(coordinates[of], labels)
    combination = back(model.coef_)
    weights = distinct.T @ combination
    return np.asarray(weights), model.intercept_, tuple(str(c) for c in model.classes_)


class Casebook:
    """Character n-gram TF-IDF + logistic regression over the reference cases."""

    def __init__(self, references: list[Reference]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        if len({r.situation for r in references}) < 2:
            raise ConfigError("the casebook needs reference cases of at least two situations")
        self.references = references
        vectorizer = TfidfVectorizer(**ANALYZER)
        matrix = vectorizer.fit_transform([r.text for r in references])  # references × features, rows l2-normalised
        self._split_by_situation(matrix.T.tocsr().astype(np.float32))
        # the fitted parameters, applied directly in `opinion`: sklearn's per-call input validation cost 3× the maths
        self._analyzer = vectorizer.build_analyzer()
        self._vocabulary: dict[str, int] = vectorizer.vocabulary_
        self._ngrams = NgramIndex.build(self._terms())
        self._idf = vectorizer.idf_
        weights, self._intercept, situations = fit_in_reference_span(matrix, [r.situation for r in references])
        self._weights = np.ascontiguousarray(weights)  # features × situations
        self.situations: tuple[str, ...] = situations

    def _split_by_situation(self, by_feature) -> None:
        """features × references (single precision: the nearest is the same, each opinion reads half the bytes), one
        matrix per situation with the references' positions: an opinion reads the rows of its n-grams in one of them
        (~40k entries on average, measured in session 17, against ~340k over all references)."""
        labels = np.array([r.situation for r in self.references])
        self._nearest_in = {str(s): (columns, by_feature[:, columns].tocsr())
                            for s in np.unique(labels) for columns in [np.flatnonzero(labels == s)]}

    def _by_feature(self):
        """The whole features × references matrix, as `save` writes it."""
        from scipy.sparse import hstack

        columns = np.concatenate([c for c, _ in self._nearest_in.values()])
        return hstack([m for _, m in self._nearest_in.values()], format="csc")[:, np.argsort(columns)].tocsr()

    def _terms(self) -> list[str]:
        """The vocabulary's n-grams in feature order."""
        return sorted(self._vocabulary, key=self._vocabulary.__getitem__)

    def save(self, path: Path) -> None:
        """The fitted parameters as one .npz (arrays only: loading runs no code), written atomically."""
        terms, by_feature = self._terms(), self._by_feature()
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # processes starting together never share one
        with tmp.open("wb") as out:
            np.savez(out, terms=np.array(terms), idf=self._idf, weights=self._weights, intercept=self._intercept,
                     situations=np.array(self.situations), ids=np.array([r.id for r in self.references]),
                     data=by_feature.data, indices=by_feature.indices, indptr=by_feature.indptr)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, references: list[Reference]) -> Casebook:
        """A casebook `save` wrote for exactly these references; ValueError when the file does not fit them."""
        from scipy.sparse import csr_matrix
        from sklearn.feature_extraction.text import TfidfVectorizer

        with np.load(path, allow_pickle=False) as saved:
            if saved["ids"].tolist() != [r.id for r in references]:
                raise ValueError(f"{path} was saved for other reference cases")
            book = cls.__new__(cls)
            book.references = references
            book._analyzer = TfidfVectorizer(**ANALYZER).build_analyzer()  # char n-grams: nothing to fit
            terms = saved["terms"].tolist()
            book._vocabulary = {term: i for i, term in enumerate(terms)}
            book._ngrams = NgramIndex.build(terms)
            book._idf, book._weights, book._intercept = saved["idf"], saved["weights"], saved["intercept"]
            book.situations = tuple(saved["situations"].tolist())
            book._split_by_situation(csr_matrix((saved["data"].astype(np.float32, copy=False), saved["indices"],
                                                 saved["indptr"]), shape=(len(book._vocabulary), len(references))))
        return book

    def without(self, ids: set[str]) -> Casebook:
        """The same casebook without the given reference cases (an evaluation must not find its own cases here)."""
        kept = [r for r in self.references if r.id not in ids]
        return self if len(kept) == len(self.references) else Casebook(kept)

    def _vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The text's TF-IDF vector as (feature indices, values): what the fitted vectorizer's transform gives
        (sublinear tf × idf, l2-normalised), without its per-call validation."""
        if self._ngrams is not None:
            features, tf = self._ngrams.count(text)
        else:  # a vocabulary NgramIndex cannot key: the analyzer's strings, counted and looked up in C
            counts = Counter(self._analyzer(text))
            ids = np.fromiter(map(self._vocabulary.get, counts, repeat(-1)), dtype=np.int64, count=len(counts))
            known = ids >= 0
            features = ids[known]
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))[known]
        values = (1.0 + np.log(tf)) * self._idf[features]
        norm = np.linalg.norm(values)
        return features, values / norm if norm else values

    def opinion(self, text: str) -> Opinion:
        """The casebook's opinion of one incident's text (as `reference_text` builds it)."""
        features, values = self._vector(text[:MAX_CHARS])
        logits = values @ self._weights[features] + self._intercept  # multinomial: softmax of the decision function
        probabilities = np.exp(logits - logits.max())
        probabilities /= probabilities.sum()
        order = probabilities.argsort()[::-1]
        best, second = int(order[0]), int(order[1])
        columns, by_feature = self._nearest_in[str(self.situations[best])]
        similarities = values.astype(np.float32) @ by_feature[features]  # cosine: both are l2-normalised
        at = int(similarities.argmax())
        nearest = int(columns[at])
        distribution = tuple((str(self.situations[i]), round(float(probabilities[i]), 4)) for i in order
                             if probabilities[i] >= 0.01)
        return Opinion(str(self.situations[best]), float(probabilities[best]), str(self.situations[second]),
                       float(probabilities[second]), self.references[nearest].id,
                       self.references[nearest].situation, float(similarities[at]), distribution)


_BUILT: dict[Path, Casebook | None] = {}
_LOCK = threading.Lock()


def cache_key(references: list[Reference]) -> str:
    """What the fitted casebook depends on: the reference cases, the model's settings and the scikit-learn release."""
    import sklearn

    digest = hashlib.sha256(f"{CACHE_FORMAT}|{sklearn.__version__}|{ANALYZER}|C={C}|tol={TOL}".encode())
    for r in references:
        digest.update(f"\0{r.id}\0{r.situation}\0{r.text}".encode())
    return digest.hexdigest()[:20]


def _used(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # removed meanwhile by another process
        return 0.0


def cache_path(references: list[Reference], cache_dir: Path) -> Path:
    """Where the casebook fitted on `references` is kept in `cache_dir`."""
    return cache_dir / f"casebook-{cache_key(references)}.npz"


def _fitted(references: list[Reference], cache_dir: Path | None) -> Casebook:
    """Loaded from `cache_dir` when fitted before on the same references (fitting takes seconds), else fitted and
    saved there; a cache that cannot be read or written only costs the fit."""
    if cache_dir is None:
        return Casebook(references)
    path = cache_path(references, cache_dir)
    try:
        book = Casebook.load(path, references)
        os.utime(path)  # recently used: the last to be evicted
        return book
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError) as exc:
        log.warning("casebook: cannot read %s (%s); fitting again", path, exc)
    book = Casebook(references)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        book.save(path)
        # fitted on references that have changed since, or used by another checkout: the least recently used go
        for stale in sorted(cache_dir.glob("casebook-*.npz"), key=_used, reverse=True)[CACHE_KEPT:]:
            stale.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("casebook: cannot save %s (%s)", path, exc)
    return book


def shipped_casebook(directory: Path = REFERENCE_DIR, cache_dir: Path | None = None) -> Casebook | None:
    """The casebook of the reference cases in `directory`, once per process (fitting takes ~15 s with 3,034 cases;
    with `cache_dir`, only the first start pays it); None, with a warning in the log, where no reference files are
    installed (the diagnosis then stands on the signatures alone)."""
    with _LOCK:
        if directory not in _BUILT:
            references = load_references(directory)
            if not references:
                log.warning("casebook: no reference cases in %s; diagnosing from the signatures alone", directory)
            _BUILT[directory] = _fitted(references, cache_dir) if references else None
        return _BUILT[directory]
