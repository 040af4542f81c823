"""Scoring the LLM's diagnosis of a finished incident, pure: was it supported, or hallucinated?

Only analyses written by the LLM (`analyzer` starting with ``llm:``) of terminal incidents are scored.
Every figure is in [0, 1] and explainable from `reasons`:

* **grounding** — the root cause's *salient terms* found in the incident's evidence (its logs, alert
  type and target name), weighted: specific terms (numbers of two or more digits, error and exception
  names, ALL-CAPS codes, identifiers with ``. _ - : /``, digits or inner capitals) count 2, other
  content words of four or more letters count 1; generic diagnosis words ("caused", "issue",
  "application"…) are not salient. A term is grounded when it (or its stem, or a known alias such as
  OOM ↔ "out of memory") occurs in the evidence; numbers must occur as numbers (``1,500`` = ``1500``).
  A root cause with no salient term counts as half grounded (nothing can be checked).
* **semantic_drift** = 1 − grounding: how far the stated cause drifts from what the logs say.
* **uncertainty** = 1 − the analysis' own confidence.
* **outcome support**: the proposed action ran and the incident RESOLVED (verified healthy) → 1.0;
  resolved with NOOP → 0.7; RECOVERED on its own before any action → 0.5 (no evidence either way);
  FAILED before any action (council or human rejected it) → 0.25; FAILED after the action → 0.0.
* **factual_support** = 0.6 × outcome support + 0.4 × grounding.
* **hallucination_probability** = noisy-OR of independent risks: action outside the policy's allowed
  actions for the target 0.6; an action on a target the inventory does not know 0.6 (NOOP needs no
  target); unsupported cause 0.7 × (1 − grounding); bad outcome 0.4 × (1 − outcome support).
* **hallucinated** = hallucination_probability ≥ 0.5.

An answer the analyst *rejected* (invalid action for the target, say) is scored the same way once
the incident is over, with the rejection as its outcome (support 0) — proposing RESTART for a target
the inventory does not know is exactly the hallucination this is meant to catch.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass

from shared.events.knowledge import EvaluationScored
from shared.projections.incident import IncidentState

HALLUCINATION_THRESHOLD = 0.5
OUT_OF_POLICY_RISK = 0.6
UNKNOWN_TARGET_RISK = 0.6
UNGROUNDED_RISK = 0.7
BAD_OUTCOME_RISK = 0.4
MAX_TERMS = 12  # terms listed in reasons and events

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[A-Za-z_][A-Za-z0-9_]*(?:[.:/-][A-Za-z0-9_]+)*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SUFFIXES = ("ations", "ation", "ions", "ion", "ing", "ed", "es", "s")
GENERIC = frozenset("""
    about above after again against also because been before being below between both cause caused causes
    causing could does doing down due during each from further have having here into issue issues itself
    likely more most much other over possible possibly probably problem problems same should some such than
    that their them then there these they this those through under until very were what when where which
    while will with would resulting result results leading leads occurred occurring appears seems
    application applications service services system systems server process instance app error errors
    failure failures failed failing incident root alert unknown running run
""".split())
ALIASES: dict[str, tuple[str, ...]] = {
    "oom": ("out of memory", "outofmemory", "oomkilled", "memory"),
    "outofmemoryerror": ("out of memory", "oom"),
    "leak": ("memory usage", "object count", "heap"),
    "crash": ("exited", "killed", "sigkill", "segfault", "died", "terminated", "not running"),
    "crashed": ("exited", "killed", "sigkill", "segfault", "died", "terminated", "not running"),
    "cpu": ("processor",),
    "latency": ("slow", "took", "timeout", "timed out"),
    "timeout": ("timed out", "deadline exceeded"),
    "econnrefused": ("connection refused",),
    "disk": ("no space left", "storage", "filesystem"),
    "overload": ("too many requests", "429", "request rate"),
    "deploy": ("deployed", "deployment", "release", "version"),
}


@dataclass(frozen=True)
class Term:
    """A salient term of the root cause and how much it weighs."""

    text: str
    weight: int


@dataclass(frozen=True)
class Grounding:
    """Which salient terms the evidence supports, and the weighted fraction."""

    grounded: tuple[str, ...]
    unsupported: tuple[str, ...]
    fraction: float


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4 and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


def _number(text: str) -> str:
    return text.replace(",", "")


def _specific(token: str) -> bool:
    return (any(c in token for c in "._-:/") or any(c.isdigit() for c in token)
            or (len(token) >= 2 and token.isupper()) or any(c.isupper() for c in token[1:])
            or (token.endswith(("Error", "Exception")) and token not in ("Error", "Exception")))


def salient_terms(root_cause: str) -> list[Term]:
    """The checkable claims of a root cause, in order, without repeats."""
    seen: set[str] = set()
    terms: list[Term] = []
    for token in _TOKEN.findall(root_cause):
        if _NUMBER.fullmatch(token):
            if len(_number(token).replace(".", "")) < 2:
                continue
            term = Term(_number(token), 2)
        elif _specific(token):
            term = Term(token, 2)
        elif len(token) >= 4 and token.lower() not in GENERIC:
            term = Term(token.lower(), 1)
        else:
            continue
        if term.text.lower() not in seen:
            seen.add(term.text.lower())
            terms.append(term)
    return terms


def _is_grounded(term: Term, evidence: str, numbers: frozenset[str]) -> bool:
    if _NUMBER.fullmatch(term.text):
        return term.text in numbers
    text = term.text.lower()
    if text in evidence or _stem(text) in evidence:
        return True
    last = re.split(r"[.:/]", text)[-1]  # java.lang.OutOfMemoryError → outofmemoryerror
    if len(last) >= 4 and last in evidence:
        return True
    return any(alias in evidence for alias in ALIASES.get(text, ()) + ALIASES.get(last, ()))


def ground(root_cause: str, evidence: str) -> Grounding:
    """How much of the root cause the evidence supports (see the module docstring)."""
    terms = salient_terms(root_cause)
    if not terms:
        return Grounding((), (), 0.5)
    lowered = evidence.lower()
    numbers = frozenset(_number(n) for n in _NUMBER.findall(evidence))
    grounded = [t for t in terms if _is_grounded(t, lowered, numbers)]
    unsupported = [t for t in terms if t not in grounded]
    fraction = sum(t.weight for t in grounded) / sum(t.weight for t in terms)
    return Grounding(tuple(t.text for t in grounded), tuple(t.text for t in unsupported), fraction)


def _outcome(state: IncidentState) -> tuple[str, float, str]:
    action = state.analysis.action if state.analysis else "?"
    if state.status == "RESOLVED":
        if state.action is not None:
            return "RESOLVED", 1.0, f"the proposed {state.action} ran and the incident resolved after verification"
        if action == "NOOP":
            return "RESOLVED", 0.7, "resolved with NOOP: nothing contradicts the diagnosis, no action confirmed it"
        return "RECOVERED", 0.5, (f"recovered before the proposed {action} ran: the outcome neither confirms "
                                  "nor refutes the diagnosis")
    if state.action is not None:
        return "FAILED", 0.0, f"the incident failed after {state.action}: {state.error or 'no reason given'}"
    return "FAILED", 0.25, f"the incident failed before any action: {state.error or 'no reason given'}"


def _listed(terms: Collection[str]) -> str:
    shown = ", ".join(repr(t) for t in list(terms)[:MAX_TERMS])
    return shown + (f" and {len(terms) - MAX_TERMS} more" if len(terms) > MAX_TERMS else "")


def score(state: IncidentState | None, allowed_actions: Collection[str], target_known: bool) -> EvaluationScored | None:
    """The evaluation of a terminal incident's LLM analysis; None when there is nothing to score."""
    if (state is None or not state.terminal or state.analysis is None
            or not (state.analyzer or "").startswith("llm:")):
        return None
    a = state.analysis
    return _evaluate(state, a.root_cause, a.action, a.confidence, _outcome(state), allowed_actions, target_known,
                     state.analyzer or "")


def score_rejected(state: IncidentState | None, call_id: str, model: str, response: str, error: str,
                   allowed_actions: Collection[str], target_known: bool) -> EvaluationScored | None:
    """An LLM answer the analyst refused (e.g. an action on a target it does not know), scored once the
    incident is over: the refusal is its outcome. None when the answer names no cause and action."""
    if state is None or not state.terminal:
        return None
    try:
        answer = json.loads(response)
        root_cause, action = str(answer["root_cause"]), str(answer["action"]).upper()
        confidence = float(answer.get("confidence", 0.0))
    except (ValueError, TypeError, KeyError, AttributeError):
        return None  # not an answer at all: unusable, but nothing in it to call a hallucination
    outcome = ("REJECTED", 0.0, f"the analyst rejected this answer: {error}")
    return _evaluate(state, root_cause, action, confidence, outcome, allowed_actions, target_known,
                     f"llm:{model}", call=call_id)


def _evaluate(state: IncidentState, root_cause: str, action: str, confidence: float,
              outcome: tuple[str, float, str], allowed_actions: Collection[str], target_known: bool,
              analyzer: str, call: str = "") -> EvaluationScored:
    reasons: list[str] = []
    risks: list[float] = []
    if action not in allowed_actions:
        risks.append(OUT_OF_POLICY_RISK)
        reasons.append(f"action {action} is not allowed by policy for {state.container_name or 'this target'} "
                       f"(allowed: {', '.join(allowed_actions) or 'none'})")
    if action != "NOOP" and not target_known:
        risks.append(UNKNOWN_TARGET_RISK)
        reasons.append(f"target {state.container_name!r} is not in the inventory")
    evidence = "\n".join(x for x in (state.alert_type, state.container_name or "", state.logs) if x)
    g = ground(root_cause, evidence)
    risks.append(UNGROUNDED_RISK * (1.0 - g.fraction))
    if g.unsupported:
        reasons.append(f"root cause terms not found in the logs: {_listed(g.unsupported)}")
    if g.grounded:
        reasons.append(f"root cause terms found in the logs: {_listed(g.grounded)}")
    if not g.grounded and not g.unsupported:
        reasons.append("the root cause names nothing that can be checked against the logs")
    label, support, why = outcome
    risks.append(BAD_OUTCOME_RISK * (1.0 - support))
    reasons.append(why)
    keep = 1.0
    for risk in risks:
        keep *= 1.0 - risk
    probability = round(1.0 - keep, 4)
    return EvaluationScored(
        incident=state.incident_id, analyzer=analyzer, action=action, outcome=label,
        factual_support=round(0.6 * support + 0.4 * g.fraction, 4), hallucination_probability=probability,
        hallucinated=probability >= HALLUCINATION_THRESHOLD, semantic_drift=round(1.0 - g.fraction, 4),
        uncertainty=round(min(max(1.0 - confidence, 0.0), 1.0), 4), reasons=reasons,
        grounded_terms=list(g.grounded[:MAX_TERMS]), unsupported_terms=list(g.unsupported[:MAX_TERMS]), call=call)
