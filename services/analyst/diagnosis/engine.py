"""The diagnosis, pure: signatures and readings → ranked hypotheses → one outcome (act, benign, or a human).

Deterministic and explainable: every hypothesis carries the evidence lines that support it."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from services.analyst.diagnosis import readings, references
from services.analyst.diagnosis.casebook import Opinion
from services.analyst.diagnosis.catalog import Knowledge, Situation, shipped
from services.analyst.diagnosis.evidence import Evidence
from services.analyst.diagnosis.prefilter import Branches, Screen, Screenable
from services.analyst.diagnosis.readings import demand_ratio, read
from services.analyst.diagnosis.references import blank, dismissed_spans, merged, others_resolved, reference_spans
from shared.events.models import RetrievedIncident

MIN_PRECEDENT_SIMILARITY = 0.6
NOOP_PRECEDENT_SIMILARITY = 0.9  # a learned NOOP only counts when it is nearly the same incident
OVERRIDE_AT = 0.6  # a situation this confident demotes the ones it overrides
AMBIGUOUS_RATIO = 0.9  # a rival with another action this close makes the call a human's
SYMPTOMS_ONLY = frozenset({"unknown_errors"})  # consistent with every cause: never a rival explanation
CASEBOOK_MIN_PROBABILITY = 0.35  # below this the casebook's opinion is no evidence (measured on dev5 + dev6)
CASEBOOK_ALONE = 0.7  # a situation nothing else supports needs this much: resemblance alone is weak evidence
# (per-file leave-one-out over 45 tuning files: casebook-alone decisions at 0.6–0.7 were right 9 of 13 times, 4 unsafe)
CASEBOOK_UNBACKED_NO_ACTION = 0.4  # an act the casebook does not back at all, against a casebook this inclined to no
# action of ours, is a human's call whatever its confidence (840 tuning cases on arrival, before any rule saw them:
# 15 of 52 unsafe choices become a human's, 1 right action too; dev 6-fold, where the rules were tuned: 9 of 23, 46)
UNSURE_WHY_ACT = 0.9  # when the reporters know what fails but not why, acting (or closing) needs this much


@dataclass(frozen=True)
class Hypothesis:
    """One candidate situation with its score and the evidence for it."""

    situation: str
    action: str
    outcome: str
    score: float
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class Diagnosis:
    """The chosen outcome, the ranked alternatives, and why."""

    situation: str
    action: str
    outcome: str  # act | benign | human
    confidence: float
    root_cause: str
    justification: str
    evidence: tuple[str, ...]
    hypotheses: tuple[Hypothesis, ...]
    replica_count: int = 2
    escalation: str = ""  # the remediation ladder's note, when it changed the decision
    precheck: bool = False  # the executor checks the target's health right before acting


def prepare(knowledge: Knowledge | None = None) -> None:
    """Build the one-pass screens a diagnosis uses (the signatures', the readings', the references'; ~0.5 s for the
    shipped files), so the first incident does not wait for them."""
    (knowledge or shipped()).prefilter  # noqa: B018 - a cached property: reading it builds it
    readings.prefilter()
    references.prefilter()


def _noisy_or(weights: Sequence[float]) -> float:
    return 1.0 - math.prod(1.0 - w for w in weights)


def _snippet(text: str, start: int, end: int) -> str:
    return " ".join(text[start:end].split())[:90]


Hits = dict[str, list[tuple[float, str]]]


# words the text denies right before them (readings.DENIED_BEFORE) or right after them are no evidence:
# "OOMKilled: false", "OOMKilled / OutOfMemoryError: none" (a listed pair denied together), "liveness probe failures
# 24h: 0" (a count of none, over a window or not), "oomkilled false"; not a table's column ("SecretSyncedError   False"
# under STATUS / READY, aligned by several blanks), which belongs to the next header, not to the word before it
_DENIED_AFTER = re.compile(r"['\"”’]?(?:[ \t]*/[ \t]*[\w.-]+)*"
                           r"(?:[ \t]?[=:][ \t]?['\"]?(?:false|no|none)|[ \t]false)\b|"
                           r"\w*(?:[ \t]+\(?(?:last |past |in )?\d+ ?(?:h|m|d|hours?|mins?|days?)\)?)?[ \t]*[=:][ \t]*0"
                           r"(?![\w.,:*/-])(?![ \t]+[\d*])")  # not a crontab's "0 2 * * *"
_MAX_DENIED = 8  # denied matches skipped per signature before giving up on it


def _affirmed(pattern: Screenable | Branches, lowered: str) -> re.Match[str] | None:
    """The first match of `pattern` that the text does not deny."""
    m = pattern.search(lowered)
    for _ in range(_MAX_DENIED):
        if m is None or not (readings.DENIED_BEFORE.search(lowered, max(0, m.start() - 40), m.start())
                             or _DENIED_AFTER.match(lowered, m.end())):
            return m
        m = pattern.search(lowered, max(m.end(), m.start() + 1))
    return None


def _said(knowledge: Knowledge, screen: Screen, evidence_screen: Screen,
          built_in: frozenset[str], whole: Screen | None = None) -> dict[str, re.Match[str]]:
    """The [[reading]]s the text says, less those another present reading cancels (`unless_features`; one level:
    a cancelled reading still cancels others, so the file's order does not matter). `whole`: the text with its
    references left in, where the readings that count them (`in_references`) also look."""
    said = {r.name: m for r in knowledge.readings
            if (m := r.find(screen, evidence_screen)) is not None
            or (whole is not None and r.in_references and (m := r.find(screen, whole)) is not None)}
    present = built_in | said.keys()
    return {r.name: said[r.name] for r in knowledge.readings
            if r.name in said and not r.unless_features & present}


def _hits(evidence: Evidence, knowledge: Knowledge) -> tuple[Hits, dict[str, str]]:
    """Each situation's supporting signatures and the readings' lines."""
    text = evidence.text()
    lowered = text.lower()  # signatures are written in lower case: one lowering beats case-insensitive matching
    spans = reference_spans(lowered)  # a runbook's steps, a linked past incident: not observations (references.py)
    whole = knowledge.screen(lowered) if spans and knowledge.references_read else None
    quoted = text if len(text) == len(lowered) else lowered  # a reading found in a reference quotes its own words
    if spans:
        lowered = blank(lowered, spans)
        text = blank(text, spans) if len(text) == len(lowered) else lowered
    platform = evidence.platform
    readings = read(text, platform.deployed_minutes_ago, evidence.container_name or "")
    lines = {**readings.lines, **platform.features()}
    shown = text if len(lowered) == len(text) else lowered
    screen = knowledge.screen(lowered)
    # what the text itself dismisses ("… (unrelated)", "… -- not the crash") is no evidence for anything, though
    # its words may still cancel a signature (an `unless` looks at the whole text)
    dismissed = dismissed_spans(lowered)
    # "[RESOLVED] OtherAlert …", "[Recovered] other-service: …": another alert's recovery, not this one's
    if elsewhere := others_resolved(text, evidence.container_name or ""):
        dismissed = merged(dismissed, elsewhere)
    evidence_screen = knowledge.screen(blank(lowered, dismissed)) if dismissed else screen
    said = _said(knowledge, screen, evidence_screen, frozenset(readings.features) | frozenset(platform.features()),
                 whole)
    lines |= {name: f"the text says {name} (“{_snippet(quoted, m.start(), m.end())}”)" for name, m in said.items()}
    present = frozenset(readings.features) | frozenset(platform.features()) | frozenset(said)
    hits: Hits = {}
    matched: dict[str, list[tuple[int, int, int]]] = {}  # per situation: each match's span and its index in hits
    for sig in knowledge.signatures:
        if not sig.features <= present or sig.unless_features & present:
            continue
        why: list[str] = []
        m = None
        if sig.any is not None:
            m = (_affirmed(evidence_screen.narrowed(sig.any), evidence_screen.lowered)
                 if evidence_screen.may(sig.any, sig.any_anchors) else None)
            if m is None:
                continue
            why.append(f"matched “{_snippet(shown, m.start(), m.end())}”")
        if (sig.unless is not None and screen.may(sig.unless, sig.unless_anchors)
                and screen.narrowed(sig.unless).search(lowered)):
            continue
        why += [lines[f] for f in sorted(sig.features) if f in lines and f != "trouble"]
        found = hits.setdefault(sig.situation, [])
        hit = (sig.weight, f"{sig.name}: " + "; ".join(why))
        # the same words matched by two signatures of one situation are one piece of evidence, at the stronger weight
        same = next((i for a, b, i in matched.get(sig.situation, ())
                     if m is not None and m.start() < b and a < m.end()), None)
        if same is not None:
            (weight, line), (_, other) = (hit, found[same]) if hit[0] > found[same][0] else (found[same], hit)
            names, why_line = line.split(": ", 1)
            found[same] = (weight, f"{names}, {other.split(': ', 1)[0]}: {why_line}")
            continue
        if m is not None:
            matched.setdefault(sig.situation, []).append((m.start(), m.end(), len(found)))
        found.append(hit)
    return hits, lines


def _precedent_votes(precedents: Sequence[RetrievedIncident]) -> dict[str, list[tuple[float, str]]]:
    votes: dict[str, list[tuple[float, str]]] = {}
    for p in precedents:
        floor = NOOP_PRECEDENT_SIMILARITY if p.action == "NOOP" else MIN_PRECEDENT_SIMILARITY
        if p.similarity_score < floor:
            continue
        weight = min(0.8, (p.similarity_score - floor) / (1.0 - floor) * 0.8 + 0.1)
        votes.setdefault(p.action, []).append(
            (weight, f"precedent {p.incident_id} ({p.similarity_score:.0%} similar) was fixed by {p.action}"))
    return votes


def _casebook_vote(hits: Hits, opinion: Opinion | None, k: Knowledge, readings: dict[str, str]) -> None:
    """The casebook's opinion joins the signature hits of its situation as one more piece of evidence, weighted by
    its probability; for a situation no signature supports, only from CASEBOOK_ALONE (a sentry TypeError once
    looked 51% like a bad deploy), and only where the situation's required readings hold (no ROLLBACK without a
    change in evidence: the same TypeError later looked 64% like one)."""
    if opinion is None or opinion.situation not in k.situations:
        return
    alone = opinion.situation not in hits
    situation = k.situations[opinion.situation]
    if alone and situation.requires and not any(r in readings for r in situation.requires):
        return
    if alone and any(r in readings for r in situation.refuted_by):  # "CPU per request doubled": not demand
        return
    floor = CASEBOOK_ALONE if alone else CASEBOOK_MIN_PROBABILITY
    if opinion.probability >= floor:
        hits.setdefault(opinion.situation, []).append((opinion.probability, opinion.line()))


def rank(evidence: Evidence, precedents: Sequence[RetrievedIncident] = (),
         knowledge: Knowledge | None = None, opinion: Opinion | None = None) -> tuple[list[Hypothesis], dict[str, str]]:
    """Every situation with any support, best first, after overrides, the casebook's opinion and precedent votes."""
    k = knowledge or shipped()
    hits, lines = _hits(evidence, k)
    # only what the text itself shows overrides another situation: the casebook's resemblance joins the scores
    # below but never demotes a situation the signatures support
    shown = {name: _noisy_or([w for w, _ in found]) for name, found in hits.items()}
    demoted = {victim for name, score in shown.items() if score >= OVERRIDE_AT
               for victim in k.situations[name].overrides
               if victim != name and not any(r in lines for r in k.situations[victim].kept_by)}
    _casebook_vote(hits, opinion, k, lines)
    scores = {name: _noisy_or([w for w, _ in found]) for name, found in hits.items()}
    hypotheses: list[Hypothesis] = []
    for name, found in hits.items():
        s: Situation = k.situations[name]
        if any(r in lines for r in s.ruled_out_by):  # "restarting won't do anything": not a RESTART situation
            continue
        score = scores[name] * (0.5 if name in demoted else 1.0)
        if name in ("crash", "hang") and ("probe_healthy" in lines or "serving" in lines):
            score *= 0.5 if "serving" in lines else 0.7  # the text shows it answering: stronger than a probe
        hypotheses.append(Hypothesis(name, s.action, s.outcome, score, tuple(why for _, why in found)))
    for action, votes in _precedent_votes(precedents).items():
        same = [h for h in hypotheses if h.action == action and h.score > 0]
        if same:
            best = max(same, key=lambda h: h.score)
            merged = _noisy_or([best.score, *(w for w, _ in votes)])
            hypotheses[hypotheses.index(best)] = replace(best, score=merged,
                                                         evidence=best.evidence + tuple(w for _, w in votes))
        elif action != "NOOP" or all(h.score < OVERRIDE_AT for h in hypotheses):
            outcome = "benign" if action == "NOOP" else "act"
            hypotheses.append(Hypothesis("precedent", action, outcome, _noisy_or([w for w, _ in votes]) * 0.85,
                                         tuple(w for _, w in votes)))
    hypotheses.sort(key=lambda h: (-h.score, h.situation))
    return hypotheses, lines


def _replicas(evidence: Evidence, action: str, precedents: Sequence[RetrievedIncident]) -> int:
    if action == "SCALE_DOWN":
        return 1
    if action != "SCALE_UP":
        return 2
    used = [p.replicas_used for p in precedents if p.action == "SCALE_UP" and p.replicas_used > 0
            and p.similarity_score >= MIN_PRECEDENT_SIMILARITY]
    if used:
        return max(used)  # what fixed a close precedent
    ratio = demand_ratio(evidence.text()) or 2.0  # only for SCALE_UP: one more look at the text
    return 3 if ratio >= 2.5 else 2  # replicas beside the target; more than 3 is held for a human by default


def _human(reason: str, root_cause: str, ranked: list[Hypothesis], confidence: float,
           situation: str = "unknown") -> Diagnosis:
    evidence = ranked[0].evidence if ranked else ()
    return Diagnosis(situation=situation, action="NOOP", outcome="human", confidence=round(confidence, 2),
                     root_cause=root_cause, justification=reason, evidence=evidence, hypotheses=tuple(ranked))


def _prechecked(situation: str, k: Knowledge) -> bool:
    """Whether the executor checks the target's health right before acting on this situation (situations.toml)."""
    known = k.situations.get(situation)
    return known is not None and known.precheck


def _ladder(d: Diagnosis, evidence: Evidence, k: Knowledge) -> Diagnosis:
    """After a fix that did not hold: a RESTART again becomes a ROLLBACK when a version to return to exists, else
    a human's call; a ROLLBACK that did not hold is a human's call. No restart loops."""
    prev = evidence.platform.previous_fix
    if prev is None or d.outcome != "act" or (prev.situation and prev.situation != d.situation):
        return d  # a different failure after a fix is a new problem, not the fix failing
    if evidence.platform.probe == "healthy" and _prechecked(d.situation, k):
        return d  # its symptom is a failing health check and it passes: a stale alert, which the precheck closes
    note = (f"the fix did not hold: {prev.action} in incident {prev.incident_id} {prev.minutes_ago:.0f} min ago "
            f"was verified, and {evidence.container_name or 'the target'} failed again")
    if prev.action == "RESTART" and d.action == "RESTART" and evidence.platform.rollback_available:
        return replace(d, action="ROLLBACK", escalation=note,
                       justification=f"{d.justification} Escalated to ROLLBACK: {note}; a previous version exists.")
    if d.action == prev.action or (prev.action == "ROLLBACK" and d.action == "RESTART"):
        return replace(d, action="NOOP", outcome="human", escalation=note,
                       justification=f"{d.justification} Not repeating {d.action}: {note}; "
                                     f"{'no previous version to roll back to; ' if prev.action == 'RESTART' else ''}"
                                     "a human must look.")
    return d


def _unclear(top: Hypothesis, k: Knowledge, evidence: Evidence) -> str:
    """The root cause of a case left to a human: the best guess, named as a guess."""
    if top.situation in k.situations:
        return f"Unclear: possibly {k.situations[top.situation].root_cause.lower()}"
    return f"Unclear: {evidence.alert_type}"


def _seen_again(h: Hypothesis, k: Knowledge, evidence: Evidence) -> bool:
    """Whether the executor sees it again itself before acting: a situation it prechecks (a passing health check
    right before the action closes it, nothing runs) on a target of this platform, whichever node's executor acts."""
    return _prechecked(h.situation, k) and evidence.platform.known_target


def _beyond_signatures(h: Hypothesis, evidence: Evidence) -> bool:
    """Whether more than signatures over alert text stands behind this hypothesis: past incidents (the casebook's
    opinion joined its situation's hits, or a close precedent was fixed by its action), or the platform's own
    measurement (its prober raised the alert from a sample of an inventory target: no words of others to misread)."""
    return evidence.platform.measured_here or any(e.startswith(("casebook:", "precedent ")) for e in h.evidence)


def _no_action_share(opinion: Opinion | None, k: Knowledge) -> float:
    """The casebook's probability that the incident is one no action of ours fits (benign noise or a human's)."""
    if opinion is None:
        return 0.0
    return opinion.share(frozenset(name for name, s in k.situations.items() if s.outcome != "act"))


def diagnose(evidence: Evidence, precedents: Sequence[RetrievedIncident] = (), min_confidence: float = 0.5,
             knowledge: Knowledge | None = None, opinion: Opinion | None = None) -> Diagnosis:
    """The one outcome for an incident: act on a confident diagnosis, NOOP benign noise, else a human."""
    k = knowledge or shipped()
    ranked, lines = rank(evidence, precedents, k, opinion)
    if not ranked:
        return _human("No failure signature, reading or precedent matched this alert; nothing is run without a "
                      "diagnosis.", f"Unrecognised alert: {evidence.alert_type}", ranked, 0.0)
    top = ranked[0]
    rival = next((h for h in ranked[1:] if h.action != top.action and h.situation not in SYMPTOMS_ONLY), None)
    confidence = top.score * (1.0 - 0.5 * (rival.score / top.score if rival and top.score else 0.0))
    both_act = rival is not None and top.outcome == rival.outcome == "act"
    close_call = rival is not None and (rival.score >= AMBIGUOUS_RATIO * top.score or confidence < min_confidence)
    if top.score < min_confidence:
        return _human(f"Low confidence: the best hypothesis, {top.situation} ({top.score:.2f}"
                      f"{f', against {rival.situation} {rival.score:.2f}' if rival else ''}), is below "
                      f"{min_confidence:.2f}; a human must look.",
                      _unclear(top, k, evidence), ranked, confidence)
    if both_act and rival is not None and confidence < min_confidence:  # two actions fit, neither is confident
        return _human(f"Low confidence: {top.situation} → {top.action} ({top.score:.2f}) and {rival.situation} → "
                      f"{rival.action} ({rival.score:.2f}) both fit, so neither is confident "
                      f"({confidence:.2f} < {min_confidence:.2f}); a human must look.",
                      f"Unclear: {top.situation} or {rival.situation}", ranked, confidence)
    tied = next((h for h in ranked[1:] if h.score >= top.score and h.outcome == "human"), None)
    if top.outcome == "benign" and tied is not None:  # nothing to do and a human's look, equally supported
        return _human(f"Ambiguous: {top.situation} ({top.score:.2f}) and {tied.situation} ({tied.score:.2f}) are "
                      "equally supported; nothing is closed as noise against an equal case for a human's look.",
                      f"Ambiguous between {top.situation} and {tied.situation}", ranked, confidence)
    if close_call and rival is not None and top.outcome != "human":  # two causes, two different remedies
        return _human(f"Ambiguous: {top.situation} → {top.action} ({top.score:.2f}) and {rival.situation} → "
                      f"{rival.action} ({rival.score:.2f}) are both supported; a human must choose.",
                      f"Ambiguous between {top.situation} and {rival.situation}", ranked, confidence)
    no_action = _no_action_share(opinion, k)
    if top.outcome == "act" and no_action >= CASEBOOK_UNBACKED_NO_ACTION and not _beyond_signatures(top, evidence) \
            and not _seen_again(top, k, evidence):
        return _human(f"{top.situation} → {top.action} ({confidence:.2f}) rests on signatures alone: the incidents "
                      f"this resembles do not back it, and {no_action:.0%} of them needed no action of ours "
                      f"({opinion.line()}); acting on signatures against that needs the casebook behind them; "
                      "a human must look.",
                      _unclear(top, k, evidence), ranked, confidence)
    doubt = next((name for name in ("uncertain", "unsure_why") if name in lines), None)
    if top.outcome in ("act", "benign") and doubt and (doubt == "uncertain" or confidence < UNSURE_WHY_ACT):
        needed = ("whatever the evidence" if doubt == "uncertain" else f"≥ {UNSURE_WHY_ACT:.2f} needed to act on it")
        return _human(f"The people reporting this say its cause is unclear ({lines[doubt]}); the best hypothesis, "
                      f"{top.situation} → {top.action} ({confidence:.2f}), is not acted on against that ({needed}); "
                      "a human must look.",
                      _unclear(top, k, evidence), ranked, confidence)
    situation = k.situations.get(top.situation)
    root = situation.root_cause if situation else "Same as a close precedent"
    remedy = situation.remedy if situation else "Follows what fixed a nearly identical past incident."
    first = top.evidence[0].split(": ", 1)[-1] if top.evidence else ""
    justification = f"{remedy} Evidence: " + "; ".join(top.evidence) + "."
    d = Diagnosis(situation=top.situation, action=top.action, outcome=top.outcome, confidence=round(confidence, 2),
                  root_cause=f"{root} ({first})" if first else root, justification=justification,
                  evidence=top.evidence, hypotheses=tuple(ranked),
                  replica_count=_replicas(evidence, top.action, precedents),
                  precheck=bool(situation and situation.precheck))
    return _ladder(d, evidence, k)
