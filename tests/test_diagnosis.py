"""The offline diagnosis, pure: every signature's examples, the knowledge files' validation, readings of numbers,
honest outcomes, the remediation ladder, and the LLM cross-check."""

from __future__ import annotations

import base64
import re
import shutil
from datetime import UTC
from pathlib import Path

import pytest

from services.analyst.analyzer import cross_check
from services.analyst.diagnosis import Diagnosis, Evidence, Platform, PreviousFix, diagnose, load, shipped
from services.analyst.diagnosis.casebook import Opinion
from services.analyst.diagnosis.catalog import SIGNATURES_FILE, SITUATIONS_FILE
from services.analyst.diagnosis.engine import (
    CASEBOOK_UNBACKED_NO_ACTION,
    _no_action_share,
    rank,
)
from services.analyst.diagnosis.evidence import MAX_RUN, bounded_runs
from services.analyst.diagnosis.limits import autoscaler_room
from services.analyst.diagnosis.readings import deploy_age, read
from services.analyst.diagnosis.references import blank, dismissed_spans, others_resolved, reference_spans
from services.analyst.diagnosis.uptime import memory_climbs, memory_levelled
from services.analyst.offline import analyze
from shared.errors import ConfigError
from shared.events.models import AIAnalysis, RetrievedIncident

KNOWLEDGE = shipped()
EXAMPLES = [(s.name, s.situation, text) for s in KNOWLEDGE.signatures for text in s.examples]
COUNTER_EXAMPLES = [(s.name, text) for s in KNOWLEDGE.signatures for text in s.counter_examples]


def fired(text: str, platform: Platform | None = None) -> set[str]:
    return fired_on(Evidence("alert", text, platform=platform or Platform()))


def fired_on(evidence: Evidence) -> set[str]:
    """The signatures (and casebook or precedent lines) behind every hypothesis of `evidence`."""
    hypotheses, _ = rank(evidence)
    return {name for h in hypotheses for line in h.evidence for name in line.split(": ", 1)[0].split(", ")}


def said(text: str) -> set[str]:
    """The readings (and built-in features) the text says."""
    return set(rank(Evidence("alert", text))[1])


@pytest.mark.parametrize("name, situation, text", EXAMPLES, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(EXAMPLES)])
def test_every_signature_fires_on_its_examples(name, situation, text):
    assert name in fired(text)


@pytest.mark.parametrize("name, text", COUNTER_EXAMPLES, ids=[n for n, _ in COUNTER_EXAMPLES])
def test_no_signature_fires_on_its_counter_examples(name, text):
    assert name not in fired(text)


READING_CASES = [(r.name, text, True) for r in KNOWLEDGE.readings for text in r.examples] + \
    [(r.name, text, False) for r in KNOWLEDGE.readings for text in r.counter_examples]


@pytest.mark.parametrize("name, text, holds", READING_CASES)
def test_readings_defined_as_data_hold_on_their_examples_only(name, text, holds):
    reading = next(r for r in KNOWLEDGE.readings if r.name == name)
    assert reading.holds(text.lower()) is holds


def test_every_situation_has_a_signature_and_every_signature_an_example_or_a_reading():
    assert {s.situation for s in KNOWLEDGE.signatures} == set(KNOWLEDGE.situations)
    assert all(s.examples or s.features for s in KNOWLEDGE.signatures)


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    situations, signatures = tmp_path / "situations.toml", tmp_path / "signatures.toml"
    shutil.copy(SITUATIONS_FILE, situations)
    shutil.copy(SIGNATURES_FILE, signatures)
    return situations, signatures


_RECOVERED_CANCELLED_BY = 'unless_features = ["dependency_recovered", "process_still_down"]'  # the reading's line


@pytest.mark.parametrize("break_it, reason", [
    (lambda t: t.replace("'java heap space'", "'java heap (space'", 1), "bad regex"),
    (lambda t: t.replace('situation = "memory_leak"', 'situation = "moon_phase"', 1), "unknown situation"),
    (lambda t: t.replace('weight = 0.9', 'weight = 1.5', 1), "weight must be a number"),
    (lambda t: t.replace('features = ["high_memory"]', 'features = ["astrology"]', 1), "unknown reading"),
    (lambda t: t.replace('name = "kernel_oom_killer"', 'name = "kernel_oom_killer"\nfavourite = 1', 1),
     "unknown field"),
    (lambda t: t.replace(_RECOVERED_CANCELLED_BY, 'unless_features = ["tarot"]', 1),
     "unless_features names unknown reading"),
    (lambda t: t.replace(_RECOVERED_CANCELLED_BY, 'unless_features = ["recovered"]', 1),
     "unless_features names unknown reading(s) ['recovered']"),  # a reading cancelling itself
    (lambda t: t + "\n[[signature\n", "not valid TOML"),
    (lambda t: t.replace('in_references = true', 'in_references = "yes"', 1), "in_references must be true or false"),
    # joined into one alternation, a late pattern's `\1` would have to name a group beyond Python's 99
    (lambda t: t.replace("any = ['kubehpamaxedout',", "any = [" + "'(a)', " * 99 + "'(b)\\1', 'kubehpamaxedout',", 1),
     "backreference would be group"),
])
def test_a_malformed_signature_file_names_the_file_line_and_reason(tmp_path, break_it, reason):
    situations, signatures = _copy(tmp_path)
    signatures.write_text(break_it(signatures.read_text()))
    with pytest.raises(ConfigError) as err:
        load(situations, signatures)
    message = str(err.value)
    assert reason in message and str(signatures) in message
    assert err.value.fields["line"] > 0 and f":{err.value.fields['line']}:" in message


def test_a_malformed_situation_file_is_refused_with_the_reason(tmp_path):
    situations, signatures = _copy(tmp_path)
    situations.write_text(situations.read_text().replace('action = "ROLLBACK"', 'action = "REBOOT"', 1))
    with pytest.raises(ConfigError, match=r"situations.toml:\d+: \[bad_deploy\]: action 'REBOOT'"):
        load(situations, signatures)
    situations.write_text(situations.read_text().replace('action = "REBOOT"', 'action = "ROLLBACK"', 1)
                          .replace('kept_by = ["traffic_rising"]', 'kept_by = ["astrology"]', 1))
    with pytest.raises(ConfigError, match=r"situations.toml:\d+: \[saturation\]: kept_by unknown reading"):
        load(situations, signatures)
    situations.write_text(situations.read_text().replace('kept_by = ["astrology"]', 'kept_by = ["traffic_rising"]', 1)
                          .replace('refuted_by = ["cost_per_request_up"', 'refuted_by = ["tea_leaves"', 1))
    with pytest.raises(ConfigError, match=r"situations.toml:\d+: \[saturation\]: refuted_by unknown reading"):
        load(situations, signatures)
    situations.write_text(situations.read_text()
                          .replace('refuted_by = ["tea_leaves"', 'refuted_by = ["cost_per_request_up"', 1)
                          .replace('ruled_out_by = ["restart_wont_help"', 'ruled_out_by = ["horoscope"', 1))
    with pytest.raises(ConfigError, match=r"situations.toml:\d+: \[memory_leak\]: ruled_out_by unknown reading"):
        load(situations, signatures)


@pytest.mark.parametrize("text, feature", [
    ("container memory 1.9Gi/2Gi", "high_memory"),
    ("RSS 3.8 GiB of 4 GiB limit", "high_memory"),
    ("top: PID 8812 indexer 398% CPU", "high_cpu"),
    ("cpu usage 3.9 of 4 cores for 5h", "high_cpu"),
    ("rps 5.2k vs 2.1k baseline", "traffic_rising"),
    ("requests +180% vs same hour last week", "traffic_rising"),
    ("traffic is flat at 120 rps", "traffic_flat"),
    ("avg CPU 2% over 14 days across 12 replicas", "low_utilisation"),
    ("image v2.3.1 rolled out 6 minutes ago", "recent_deploy"),
    ("v4.2 went live 14:02; errors from 14:05", "recent_deploy"),
    ("no deploy in 10 days", "old_deploy"),
    ("Memory usage at 55.0% of 80 MB (41.0 MB resident; threshold 50%)", "high_memory"),  # the operator's own bar
    ("CPU at 62% for 5.0s (threshold 60% for 3s)", "high_cpu"),
    ("last deployed 3 weeks ago", "old_deploy"),
    ("request rate 14.2k/s (expected band 4.6k-5.8k)", "traffic_rising"),
    ("catalog-read rps 4.1k -> 11.2k", "traffic_rising"),
    ("deploys: nothing today. so it's just load", "old_deploy"),
    ("hotfix v3.8.3 went out at 12:40, after it started", "old_deploy"),  # the deploy came after the failures
    ("13:52 ships v7.3.1 | 13:55 crash rate identical before and after 13:52", "old_deploy"),
    ("v8.12 has been out since May 28 and it was fine for a week", "old_deploy"),
    ("Activity log 16:05:12Z Swap Web App Slots staging -> production | 5xx since 16:06", "recent_deploy"),
    ("upgrade 15.5 -> 15.6 at 02:00; errors since", "recent_deploy"),  # a version bump
    # a rate beside an unrelated baseline is no 1,578x surge
    ("throughput 1,420 rpm (normal for weekday), error rate 1.8% (baseline 0.9%)", "traffic_flat"),
    ("rps 1,950 vs 7d baseline 820", "traffic_rising"),  # 2.4x, not 1,950 over the 7 of "7d"
    # a rate stamped by clock time or weekday that rises at every step is demand growing
    ("requests: 19:00 45 rps | 19:30 190 | 19:45 410 | 19:55 505 and climbing", "traffic_rising"),
    ("payment-arrangement requests Mon 2.1k, Tue 4.9k, Wed (to 14:00) 6.8k", "traffic_rising"),
])
def test_numbers_and_phrases_become_readings(text, feature):
    assert feature in read(text).features


@pytest.mark.parametrize("text, memory", [
    ("Alarm created by terraform module ecs-service-alarms (new default memory threshold 85%)", None),
    ("container memory alarm threshold = 90%; working set 61% of limit", 61.0),
    ("Memory usage above threshold: 91%", 91.0),  # above its threshold: the figure is the reading
])
def test_an_alerts_threshold_is_no_memory_reading(text, memory):
    assert read(text).memory_pct == memory


@pytest.mark.parametrize("text", ["rps 3.2k -> 10.8k in 4 min", "cpu per pod 0.35 -> 1.9 cores",
                                  "13:52 ships v7.3.1; crash rate identical before and after 13:52"])
def test_rates_moving_or_a_cleared_deploy_are_not_a_recent_deploy(text):
    assert "recent_deploy" not in read(text).features


def test_readings_quote_the_text_in_its_own_case():
    found = read("Container RSS 7.6GiB/8GiB; Image v2.3.1 ROLLED OUT 6 minutes ago")
    assert "“7.6GiB/8GiB (95%)”" in found.lines["high_memory"]
    assert "“Image v2.3.1 ROLLED OUT 6 minutes ago”" in found.lines["recent_deploy"]


@pytest.mark.parametrize("text, feature", [
    # a burst that rose and fell again is no rising series; neither is a memory series on a line that says "rate"
    ("nginx rate: 14:00-14:31 ~85/s | 14:32-14:38 410-460/s | 14:39 onward 80-90/s", "traffic_rising"),
    ("working set rate 06:00 1.5GiB | 06:30 2.1GiB | 07:00 2.9GiB", "traffic_rising"),
    ("sync rate 10:00 120ms | 10:05 340ms | 10:10 900ms", "traffic_rising"),  # a figure is never cut short
    # each session's requests are no demand, flat or not
    ("requests per session 3.1 (normal 3.0)", "traffic_flat"),
    # the garbage collector's share of CPU is no utilisation of the service
    ("GC cpu fraction 0.6% over 6 months, 10 replicas", "low_utilisation"),
    # a lock never released, somebody scaling to zero by hand, a tenant's or the platform's change: no deploy of ours
    ("lock 'batch' acquired 13:17:55, never released; 13:19 waiters 37", "recent_deploy"),
    ("deployment review-transcoder: 0/0 replicas (scaled to 0 at 09:48 by okafor); 10:05 where are the movies",
     "recent_deploy"),
    ("tenant email: we deployed our new CMS plugin v3 at 15:30; 4xx from 15:31", "recent_deploy"),
    ("replicas restarted 06:58 by platform maintenance (environment upgrade), CPU 91% at 07:02", "recent_deploy"),
])
def test_what_only_looks_like_a_reading_is_none(text, feature):
    assert feature not in read(text).features


def test_a_rollout_that_scaled_the_old_replicaset_to_zero_is_still_a_deploy():
    assert "recent_deploy" in read("rollout v1.22.0: old replicaset scaled to 0 at 16:31; 5xx since 16:33").features


def test_a_deploy_of_another_service_is_not_this_ones():
    text = ("error rate 6.3% on trip-history | Deployment driver-onboarding v3.8.0 rolled out 20m ago (team growth); "
            "trip-history: no deploys in 11 days")
    assert "recent_deploy" in read(text).features  # without knowing which service alerted, it reads as recent
    assert "recent_deploy" not in read(text, service="trip-history").features
    assert "old_deploy" in read(text, service="trip-history").features
    own = "Deployment event 09:04: search-suggest:8.3.0 (from 8.2.4); CPU 30% -> 92% starting 09:06"
    assert "recent_deploy" in read(own, service="search-suggest").features
    assert "recent_deploy" in read("checkout v3.2.0 rolled out 6 minutes ago", service="checkout-api").features


def test_an_email_that_went_out_is_not_a_deploy():
    assert "recent_deploy" not in read("rps 9,400 vs 3,000 (summer sale email went out 18:00); p95 640ms at 18:02"
                                       ).features
    assert "recent_deploy" in read("release went out 18:00; 5xx from 18:02").features


def test_the_reporters_uncertainty_needs_strong_evidence_to_act():
    unsure = analyze("Support escalation - customers reporting slowness",
                     '7 tickets: "invoices page hangs / spins forever" | No monitor firing, pods 6/6 Ready | '
                     "could not reproduce from office VPN")
    assert unsure.outcome == "human" and "unclear" in unsure.justification, unsure.justification
    sure = analyze("KubePodCrashLooping", "OOMKilled exit code 137, Out of memory: Killed process 4121 (java); "
                                          "not sure why the heap grows")
    assert (sure.action, sure.outcome) == ("RESTART", "act"), sure.justification  # what fails is clear, not why


def test_when_the_reporters_cannot_tell_which_cause_nothing_runs_however_strong_the_signs():
    both = analyze("KubePodCrashLooping", "CrashLoopBackOff, 7 restarts in 1h | Liveness probe failed: context "
                                          "deadline exceeded | node dmesg: Out of memory: Killed process 23817 (java) "
                                          "| can't tell whether the app stalls on its own or the node is thrashing")
    assert both.outcome == "human" and "whatever the evidence" in both.justification, both.justification
    growth = analyze("ContainerMemoryUsageHigh", "working set 3.4Gi / 4Gi (85%) and still rising; memory leak? the "
                                                 "cache has no max size - growth could be legit warm-up or unbounded")
    assert growth.outcome == "human", growth.justification
    checked = analyze("ContainerMemoryUsageHigh", "working set 3.4Gi / 4Gi (85%) and still rising, memory leak in "
                                                  "the session cache; not sure if a release is planned - checked, none")
    assert checked.outcome == "act", checked.justification  # a doubt the text settles itself is no doubt


def test_a_cloud_provider_event_or_a_lost_backing_service_is_a_humans():
    ebs = analyze("KubeDeploymentReplicasMismatch",
                  "12 new pods stuck in ContainerCreating | Warning FailedAttachVolume AttachVolume.Attach failed | "
                  "AWS Health Dashboard [Operational issue] Amazon EBS: increased API error rates")
    assert ebs.outcome == "human", ebs.justification
    redis = analyze("KubePodCrashLooping", "Error: connect ECONNREFUSED 10.0.4.12:6379 | process exited with code 1 | "
                                           "sentinel: +sdown master sessions; no replica eligible for promotion")
    assert redis.outcome == "human", redis.justification


def test_the_casebooks_resemblance_joins_the_scores_but_never_demotes_what_the_text_shows():
    evidence = Evidence("RabbitMQ queue ready > 10000", "8 consumers connected, ack rate 0/s for 40 min | "
                                                       "publish rate 30/s flat | last log line 41 min ago")
    alike = Opinion("pool_exhaustion", 0.9, "hang", 0.05, "ref-1", "pool_exhaustion", 0.4)
    ranked, _ = rank(evidence, opinion=alike)
    scores = {h.situation: h.score for h in ranked}
    assert scores["hang"] >= 0.8  # not halved (0.4) by the pool's override, which only signatures may trigger
    assert "pool_exhaustion" in scores  # the resemblance is still weighed


def test_a_sure_action_the_casebook_does_not_back_against_its_lean_to_no_action_goes_to_a_human():
    # measured on 840 tuning incidents on arrival (before any rule saw them): 15 of 52 unsafe actions were sure
    # signature readings the casebook did not back while it leaned to no action; 1 right action was lost
    sure = Evidence("KubePodCrashLooping", "checkout-api CrashLoopBackOff\n"
                    "java.lang.OutOfMemoryError: Java heap space\ncontainer memory 99% of limit before each restart",
                    "critical", "checkout-api")
    assert diagnose(sure).action == "RESTART" and diagnose(sure).confidence >= 0.9
    elsewhere = Opinion("external_dependency", 0.3, "crash", 0.25, "x-4", "external_dependency", 0.3,
                        (("external_dependency", 0.3), ("crash", 0.25), ("unknown_errors", 0.15), ("bad_deploy", 0.1)))
    assert _no_action_share(elsewhere, shipped()) == pytest.approx(CASEBOOK_UNBACKED_NO_ACTION + 0.05)
    held = diagnose(sure, opinion=elsewhere)
    assert held.outcome == "human" and held.action == "NOOP", held.justification
    assert "rests on signatures alone" in held.justification and "45% of them needed no action" in held.justification
    # the same lean, with the casebook behind the hypothesis (its situation at CASEBOOK_MIN_PROBABILITY or more)
    behind = Opinion("memory_leak", 0.45, "external_dependency", 0.3, "x-5", "memory_leak", 0.3,
                     (("memory_leak", 0.45), ("external_dependency", 0.3), ("unknown_errors", 0.15)))
    assert diagnose(sure, opinion=behind).action == "RESTART"
    # so does a verified precedent: a close past incident this action fixed is experience behind it, not a signature
    fixed = RetrievedIncident(incident_id="p-1", alert_type="KubePodCrashLooping", root_cause="heap exhausted",
                              action="RESTART", similarity_score=0.9)
    assert diagnose(sure, [fixed], opinion=elsewhere).action == "RESTART"
    # and so does the platform's own measurement: its prober raised the alert from a sample of an inventory target
    probe_text = "ERROR: Memory usage at 50.5% of 80 MB (40.4 MB resident; threshold 50%). OOM imminent."
    assert diagnose(Evidence("Memory Leak", probe_text, platform=Platform(known_target=True)),
                    opinion=elsewhere).outcome == "human"
    measured = diagnose(Evidence("Memory Leak", probe_text, platform=Platform(known_target=True, measured_here=True)),
                        opinion=elsewhere)
    assert measured.action == "RESTART", measured.justification
    # a casebook that leans less than CASEBOOK_UNBACKED_NO_ACTION to no action leaves it too
    other_act = Opinion("bad_deploy", 0.5, "external_dependency", 0.2, "x-6", "bad_deploy", 0.3,
                        (("bad_deploy", 0.5), ("external_dependency", 0.2), ("unknown_errors", 0.15)))
    assert diagnose(sure, opinion=other_act).action == "RESTART"


def test_a_signal_against_a_casebook_sure_no_action_fits_goes_to_a_human():
    # measured: on 560 new incidents outside the casebook, 10 of the 17 unsafe actions stood on one signature line
    # while the casebook read the text as a human's case; it cost one right action there
    evidence = Evidence("Datadog: container memory above 90%", "billing-worker container memory 93% of limit\n"
                                                                 "p95 latency 410 ms since 09:10")
    ranked, _ = rank(evidence)
    assert ranked[0].situation == "memory_leak" and len(ranked[0].evidence) == 1  # one reading, nothing else
    doubting = Opinion("unknown_errors", 0.8, "memory_leak", 0.1, "x-1", "unknown_errors", 0.3)
    held = diagnose(evidence, opinion=doubting)
    assert held.outcome == "human" and held.action == "NOOP"
    assert "memory_leak → RESTART" in held.justification and "80% unknown_errors" in held.justification
    assert held.root_cause.startswith("Unclear: possibly")
    noise = Opinion("benign", 0.6, "unknown_errors", 0.2, "x-2", "benign", 0.3)  # closed as noise is no action either
    assert diagnose(evidence, opinion=noise).outcome == "human"
    # a weak doubt, no doubt, or a casebook that agrees leaves the action
    assert diagnose(evidence, opinion=Opinion("unknown_errors", 0.3, "memory_leak", 0.2, "x-1", "unknown_errors",
                                              0.3)).action == "RESTART"
    assert diagnose(evidence).action == "RESTART"
    agreeing = Opinion("memory_leak", 0.8, "unknown_errors", 0.1, "x-3", "memory_leak", 0.3)
    assert diagnose(evidence, opinion=agreeing).action == "RESTART"
    # a second reading does not outweigh it (what counts is whether the casebook backs the hypothesis, see
    # test_a_sure_action_the_casebook_does_not_back_against_its_lean_to_no_action_goes_to_a_human)
    backed = Evidence("Datadog: container memory above 90%", "billing-worker container memory 93% of limit\n"
                                                             "java.lang.OutOfMemoryError: Java heap space")
    assert diagnose(backed, opinion=doubting).outcome == "human"
    assert diagnose(backed, opinion=agreeing).action == "RESTART"
    # a failing health check of a target of ours is not alone: its executor checks it again right before acting
    # (found down now by the analyst, that is a second line; found answering, the precheck closes the alert)
    dependency = Opinion("external_dependency", 0.6, "crash", 0.3, "x-4", "external_dependency", 0.2)
    text = ("Health check failing", "GET /health: connection refused")
    down = diagnose(Evidence(*text, platform=Platform(known_target=True, probe="down", probe_detail="ConnectError")),
                    opinion=dependency)
    assert down.action == "RESTART" and any("down now" in line for line in down.evidence)
    answering = diagnose(Evidence(*text, platform=Platform(known_target=True, probe="healthy")), opinion=dependency)
    assert answering.action == "RESTART" and answering.precheck
    # another node's target, its health not known here: that node's executor still prechecks it
    elsewhere = diagnose(Evidence(*text, platform=Platform(known_target=True)), opinion=dependency)
    assert elsewhere.action == "RESTART" and elsewhere.precheck
    # the same words about a target in no inventory of ours are one signal like any other
    unchecked = diagnose(Evidence(*text), opinion=dependency)
    assert unchecked.outcome == "human" and "rests on signatures alone" in unchecked.justification
    assert diagnose(Evidence("Uptime monitor: gateway.example.org is DOWN", "monitor state DOWN"),
                    opinion=dependency).outcome == "human"


def test_a_duration_an_old_rollout_and_a_providers_migration_are_no_recent_deploy():
    assert "recent_deploy" not in read("Top transaction avg 3.8s (was 0.6s)\nDeployment markers: none").features
    assert "recent_deploy" not in read("image ingest:0.19.3 rolled out 2024-05-30; no commits since\npanicked").features
    assert "recent_deploy" not in read("partner status page: 'SFTP migration overran - delivery paused', updated "
                                       "08:30\nlast successful poll 07:56, now 08:41").features
    # the version it replaced, beside the release's other facts, still states one
    assert "recent_deploy" in read("workflow 'deploy-prod' for search-api succeeded at 15:20 (sha 9e21c0f, tag "
                                   "v0.9.0, previous v0.8.6)\nthread 'main' panicked").features


def test_traffic_down_a_share_is_no_outage_and_providers_say_theirs():
    down = {h.situation for h in rank(Evidence("throughput baseline deviation",
                                               "ALB RequestCount down the same 40%; error rate 0.1%"))[0]}
    assert "crash" not in down
    assert "crash" in {h.situation for h in rank(Evidence("ProbeFailed", "checkout-api is down"))[0]}
    assert "recovered" in rank(Evidence("JVM heap usage > 90%", "Grafana: [Alerting] heap 0.91 at 03:10\n"
                                                               "Grafana: [OK] JVM heap usage > 90% at 03:11"))[1]
    consul = diagnose(Evidence("ConsulKVErrors", "consul kv get failed: Unexpected response code: 500 (No cluster "
                                                 "leader)\nconsul-server-2: CrashLoopBackOff"))
    assert consul.outcome == "human"
    noc = rank(Evidence("uplink connection down", "TLS handshake with gw1.example:7443 timed out\nAeroLink NOC "
                                                  "email 09:52 UTC: 'Ground gateway outage in FRA, ETA 2h'"))[0]
    assert "external_dependency" in {h.situation for h in noc}


def test_memory_stable_is_not_high_memory_and_an_old_deploy_is_not_recent():
    assert "high_memory" not in read("CPU 99% on one core; memory stable at 41%").features
    assert deploy_age("no errors since the 3.2.0 deploy two weeks ago")[0] >= 10080
    assert "recent_deploy" not in read("deployed 2 weeks ago; errors now").features
    # a threshold the figure has not reached, or one too low to mean "too much", is no alarm
    assert "high_memory" not in read("memory at 55% (threshold 80%)").features
    assert "high_memory" not in read("memory at 35% (threshold 30%)").features


@pytest.mark.parametrize("text, minutes", [
    ("deploy of encode-orchestrator 5.1.0 completed 3h 10m ago; problem started 45 min ago", 190),
    ("deployed 1 hour and 20 minutes ago", 80),
    ("rollout 2d 4h ago", 3120),
    ("deployed 10m ago", 10),
    ("errors began 2h 5m after the deploy", 125),
    ("job quote-cache v22 deployed 2h05m ago, fine since", 125),  # was 0: a unit running into the next digits
])
def test_a_compound_age_is_read_whole_not_as_its_last_part(text, minutes):
    assert deploy_age(text)[0] == minutes


@pytest.mark.parametrize("text, recent", [
    ("Chef Infra Client finished, 2/187 resources updated in 24 seconds (14:05)\n14:06:41 PHP Fatal error", True),
    ("salt-call state.highstate on rds-s1 at 11:02: sentinel.conf updated\n11:03:40 +sdown master", True),
    ("puppet-agent: Applied catalog in 11.87 seconds (02:40, 0 resources changed)\n03:09 OutOfMemoryError", False),
    ("we restarted the deployment twice (08:05, 08:20): error rate identical after each", False),
    ("kubectl rollout restart at 10:02; errors again at 10:05", False),
])
def test_configuration_runs_are_changes_unless_they_changed_nothing_and_a_restart_is_no_deploy(text, recent):
    assert ("recent_deploy" in read(text).features) is recent


@pytest.mark.parametrize("alert, logs, action, outcome", [
    ("KubePodCrashLooping", "Back-off restarting failed container api; panic: nil pointer dereference; "
                            "no deploy in 9 days", "RESTART", "act"),
    ("High5xx", "5xx at 23% starting 4 minutes after image v2.14.3 rolled out", "ROLLBACK", "act"),
    ("KubeHpaMaxedOut", "HPA at max replicas; rps 3x baseline since the campaign email went out", "SCALE_UP", "act"),
    ("Idle", "avg CPU 2% over 14 days across 12 replicas", "SCALE_DOWN", "act"),
    ("SSLCertExpiringSoon", "certificate for api.example.org expires in 3 days", "NOOP", "human"),
    ("Watchdog", "This is an alert meant to ensure that the entire alerting pipeline is functional.", "NOOP",
     "benign"),
    ("HTTP 5xx rate high", "7% of requests failing over 5m", "NOOP", "human"),
    ("Latency SLO burn", "burn rate 14x over 1h", "NOOP", "human"),
    ("Cosmic rays", "bit flipped somewhere", "NOOP", "human"),
])
def test_outcomes_are_act_benign_or_a_human(alert, logs, action, outcome):
    a = analyze(alert, logs)
    assert (a.action, a.outcome) == (action, outcome), a.justification


def test_the_justification_names_the_evidence():
    a = analyze("JvmOom", "java.lang.OutOfMemoryError: Java heap space; no deploy in 10 days")
    assert "matched “java.lang.OutOfMemoryError”" in a.justification and a.evidence and a.hypotheses
    assert a.situation == "memory_leak" and 0.5 <= a.confidence <= 1.0


def test_the_platform_sees_a_down_target_and_a_fresh_version():
    down = Platform(known_target=True, probe="down", probe_detail="connection refused")
    assert analyze("HTTP 5xx rate high", "errors", platform=down).action == "RESTART"
    fresh = Platform(known_target=True, deployed_minutes_ago=5, rollback_available=True)
    assert analyze("Errors", "TypeError: undefined is not a function", platform=fresh).action == "ROLLBACK"


def test_a_close_precedent_votes_but_a_learned_noop_needs_near_identity():
    noop = RetrievedIncident(incident_id="n", alert_type="x", root_cause="r", action="NOOP", similarity_score=0.8)
    assert analyze("Weird", "something odd", [noop]).outcome == "human"


def test_the_ladder_escalates_a_restart_that_did_not_hold():
    prev = PreviousFix(incident_id="inc-1", action="RESTART", minutes_ago=4)
    crash = "panic: runtime error; process exited with code 2"
    with_version = analyze("Crash", crash, platform=Platform(known_target=True, previous_fix=prev,
                                                               rollback_available=True))
    assert with_version.action == "ROLLBACK" and "the fix did not hold" in with_version.escalation
    without = analyze("Crash", crash, platform=Platform(known_target=True, previous_fix=prev))
    assert without.action == "NOOP" and without.outcome == "human" and "inc-1" in without.justification


def test_a_healthy_target_stops_the_ladder_only_where_health_is_the_symptom():
    prev = PreviousFix(incident_id="inc-1", action="RESTART", minutes_ago=4)
    answering = Platform(known_target=True, probe="healthy", previous_fix=prev)
    # a leak back after a restart is the fix not holding, whether or not the target still answers its health check
    leak = diagnose(Evidence("JvmHeapExhausted", "java.lang.OutOfMemoryError: Java heap space", platform=answering))
    assert leak.outcome == "human" and "the fix did not hold" in leak.escalation
    # a crash alert about a target that answers now is stale: left to the executor's precheck, not escalated
    crash = diagnose(Evidence("Crash", "panic: runtime error; process exited with code 2", platform=answering))
    assert crash.action == "RESTART" and crash.precheck and not crash.escalation


def test_no_restart_loop_after_a_rollback_that_did_not_hold():
    prev = PreviousFix(incident_id="inc-2", action="ROLLBACK", minutes_ago=3)
    d = diagnose(Evidence("Crash", "segfault; exited with code 139",
                          platform=Platform(known_target=True, previous_fix=prev, rollback_available=True)))
    assert d.outcome == "human"


def _llm(action: str, confidence: float = 0.9) -> AIAnalysis:
    return AIAnalysis(root_cause="llm says", action=action, justification="j", confidence=confidence)  # type: ignore[arg-type]


def test_the_llm_is_held_when_it_contradicts_a_confident_diagnosis():
    offline = analyze("JvmOom", "java.lang.OutOfMemoryError: Java heap space")
    checked = cross_check(_llm("SCALE_UP"), offline, 0.5)
    assert checked.action == "SCALE_UP" and checked.hold and "Offline evidence: RESTART" in checked.hold


def test_the_llm_is_held_when_the_evidence_does_not_support_its_action():
    offline = analyze("Cosmic rays", "bit flipped")
    checked = cross_check(_llm("ROLLBACK"), offline, 0.5)
    assert checked.hold.startswith("the evidence does not support ROLLBACK")


def test_an_llm_noop_against_a_real_problem_goes_to_a_human_and_an_agreeing_one_passes():
    crash = analyze("Crash", "Back-off restarting failed container; segfault")
    assert cross_check(_llm("NOOP"), crash, 0.5).outcome == "human"
    agreeing = cross_check(_llm("RESTART"), crash, 0.5)
    assert agreeing.outcome == "act" and not agreeing.hold
    watchdog = analyze("Watchdog", "always firing alerting pipeline check")
    assert cross_check(_llm("NOOP"), watchdog, 0.5).outcome == "benign"


def test_probe_samples_read_as_down_slow_healthy_or_unknown_when_stale():
    from services.analyst.platform_facts import probe_state

    assert probe_state({"status": "down", "ok": False, "detail": "refused", "time": 100.0}, 101.0)[0] == "down"
    assert probe_state({"status": "up", "ok": True, "latency_ms": 2500, "time": 100.0}, 101.0)[0] == "slow"
    assert probe_state({"status": "up", "ok": True, "latency_ms": 3, "time": 100.0}, 101.0)[0] == "healthy"
    assert probe_state({"status": "down", "ok": False, "time": 100.0}, 500.0)[0] is None  # a minute old: unknown


def test_target_history_knows_verified_fixes_whatever_order_its_two_feeds_arrive_in():
    from datetime import datetime, timedelta

    from shared.events import Envelope
    from shared.events import incident as ev
    from shared.projections.target_history import TargetHistory

    t0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

    def env(iid, payload, minutes):
        return Envelope(event_id=f"{iid}-{minutes}", incident_id=iid, payload=payload,
                        time=t0 + timedelta(minutes=minutes), actor="t")

    started = env("a", ev.ActionStarted(action="RESTART", target="api"), 0)
    resolved = env("a", ev.IncidentResolved(resolved_at=t0), 1)
    for order in ([started, resolved], [resolved, started]):
        history = TargetHistory()
        for e in order:
            history.apply(0, e)
        assert history.last_fix("api", t0 + timedelta(minutes=5), 30)[1:] == ("RESTART", "a")
        assert history.last_fix("api", t0 + timedelta(minutes=50), 30) is None
        assert history.last_fix("api", t0 + timedelta(minutes=5), 30, exclude="a") is None
    unverified = TargetHistory()
    unverified.apply(0, env("b", ev.IncidentResolved(resolved_at=t0, verified=False), 1))
    assert unverified.last_fix("api", t0, 30) is None


def test_only_verified_fixes_and_checked_benign_closes_are_learned():
    from datetime import datetime

    from services.analyst import domain
    from shared.events import incident as ev
    from tests.support.builders import analysis, council_approved, happy_path, received, run

    at = datetime(2026, 11, 30, tzinfo=UTC)
    assert domain.runbook_entry(run(*happy_path())) is not None
    checked = run(received(), ev.AnalysisStarted(analyzer="offline"), analysis("NOOP"), *council_approved(),
                  ev.IncidentResolved(resolved_at=at))
    assert domain.runbook_entry(checked) is not None
    unchecked = run(received(), ev.AnalysisStarted(analyzer="offline"), analysis("NOOP"), *council_approved(),
                    ev.IncidentResolved(resolved_at=at, verified=False))
    assert domain.runbook_entry(unchecked) is None


def test_a_different_failure_after_a_fix_is_a_new_problem_not_the_fix_failing():
    prev = PreviousFix(incident_id="inc-9", action="RESTART", minutes_ago=2, situation="memory_leak")
    cpu = analyze("CPU Spike", "CPU at 99% for 5 minutes; runaway loop suspected",
                  platform=Platform(known_target=True, previous_fix=prev))
    assert cpu.action == "RESTART" and cpu.outcome == "act" and not cpu.escalation
    oom = analyze("Memory Leak", "java.lang.OutOfMemoryError: Java heap space",
                  platform=Platform(known_target=True, previous_fix=prev))
    assert oom.outcome == "human" and "inc-9" in oom.escalation


def test_references_are_blanked_but_what_the_line_said_before_them_still_counts():
    text = ("p99 latency 1.9s, nothing else\nrunbook: 1. Check for OOMKilled or CrashLoopBackOff pods\n"
            "container api OOMKilled 3 times; related incident INC-12 'OOMKilled after deploy' resolved\n"
            "Ticket auto-linked: OPS-3318 'geo-lookup OOMKilled' -- Resolved 2024-02-27.")
    lowered = text.lower()
    masked = blank(lowered, reference_spans(lowered))
    assert len(masked) == len(lowered)  # evidence snippets keep their places
    assert masked.count("oomkilled") == 1 and "container api oomkilled 3 times;" in masked
    assert "p99 latency 1.9s" in masked and "crashloopbackoff" not in masked
    assert reference_spans("heap at 97%, oomkilled twice today") == []


def test_a_statement_the_text_dismisses_is_blanked_from_its_clause_start_to_its_end():
    text = ("oomkilled 3 times in the last hour; the 502s on checkout-web are unrelated\n"
            "dhl status page: incident in apac (we don't ship dhl apac)\n"
            "heap 97%. the cpu alert is a red herring; restart pending")
    masked = blank(text, dismissed_spans(text))
    assert len(masked) == len(text)
    assert "oomkilled 3 times in the last hour;" in masked and "502s" not in masked
    assert "status page" not in masked and "heap 97%." in masked and "; restart pending" in masked
    assert "cpu alert" not in masked
    assert dismissed_spans("oomkilled 3 times; no deploy in 10 days") == []
    for aside in ("aws health dashboard: increased error rates for iot core in us-east-1 -- we run in eu-west-1 and "
                  "don't use iot core",
                  "replication lag 95 s on acct-db-r2 (the analytics replica, not used by radius-accounting)"):
        assert blank(aside, dismissed_spans(aside)).strip() == "", aside


def test_a_dismissed_mention_supports_nothing_but_its_words_still_cancel():
    crash = ("ECS stoppedReason: Essential container in task exited; exitCode 134\n"
             "SIGSEGV (0xb) at pc=0x00007f3c8a1b2e4d in libnetty_transport_native_epoll_x86_64.so\n"
             "3 such crashes on different tasks in 24 h; no deploy in 11 days\n"
             "Datadog status page: delayed metric ingestion on US1 -- explains graph gaps, not the crash")
    d = diagnose(Evidence("reviews-api task exited", crash, "critical", "reviews-api"))
    assert d.action == "RESTART" and d.situation == "crash", d.justification
    down = "upstream partner API (rates.partner.example) returns 503 since 10:42; our service is healthy"
    assert diagnose(Evidence("PartnerErrors", down, "critical", "quotes")).outcome == "human"


def test_an_oom_named_only_in_a_runbook_or_a_resolved_ticket_is_not_acted_on():
    for logs in ("runbook: 1. Check for OOMKilled or CrashLoopBackOff pods. 2. Escalate.",
                 "Related incidents suggested: INC-1180 'CrashLoopBackOff after deploy' (2 months ago, resolved)."):
        d = diagnose(Evidence("ErrorBudgetBurn", logs, "warning", "search-frontend"))
        assert d.outcome == "human" and d.action == "NOOP", (logs, d.situation)


def test_a_deploy_during_a_measured_surge_is_a_humans_call_not_a_rollback():
    both = analyze("p99 latency > 2s", "14:02 Argo CD sync dispatch-api 2.31.0 -> 2.32.0 | 14:00 promo started; order "
                                       "intake 2.4x yesterday 14:00 | HPA 18/18 (max), CPU 86% avg")
    assert both.outcome == "human" and "Ambiguous" in both.justification, both.justification
    assert {"bad_deploy", "saturation"} <= {h.situation for h in both.hypotheses}
    flat = analyze("p99 latency > 2s", "14:02 Argo CD sync dispatch-api 2.31.0 -> 2.32.0; errors since 14:03 | "
                                       "traffic flat, HPA 6/18, CPU 40%")
    assert (flat.action, flat.outcome) == ("ROLLBACK", "act"), flat.justification  # nothing else fits: roll back


def test_one_demand_word_is_one_piece_of_evidence_not_two():
    ranked, _ = rank(Evidence("IdleReplicas", "black friday is in 3 weeks"))
    saturation = next(h for h in ranked if h.situation == "saturation")
    assert len(saturation.evidence) == 1, saturation.evidence


def test_a_bare_multiple_beside_a_demand_word_is_a_demand_ratio():
    assert read("email campaign sent 18:00; throughput 3.4x").demand_ratio == 3.4
    assert read("ad requests 2.3x a normal Sunday evening".lower()).demand_ratio == 2.3
    assert read("p99 latency 3x since the deploy").demand_ratio is None  # latency is no demand
    assert "traffic_flat" not in read("ad requests 2.3x a normal sunday evening").features


def test_a_helm_release_row_of_our_chart_dates_our_deploy_and_a_shell_command_does_not_date_it_apart():
    from services.analyst.diagnosis.names import related

    assert related("mm-function-0", "mm-function-ranked")  # the chart's name, cut at its version
    assert not related("dr-event-dispatcher", "dr-outage-correlator")  # one short leading word only
    helm = ("[FIRING:3] KubePodCrashLooping (mm-function-ranked mm critical)  since 16:43 UTC\n"
            "$ helm -n mm history mm-function-ranked | tail -2\n"
            "87        Tue Apr  1 09:20:02 2025  superseded  mm-function-0.9.4   1.22.0       Upgrade complete\n"
            "88        Tue Apr  8 16:40:11 2025  deployed    mm-function-0.9.4   1.22.0       Upgrade complete\n"
            '{"level":"fatal","msg":"invalid config","err":"json: cannot unmarshal string into Go struct field"}')
    assert diagnose(Evidence("KubePodCrashLooping", helm, "critical", "mm-function-ranked")).action == "ROLLBACK"


def test_a_table_of_now_against_last_week_gives_each_demand_rows_ratio():
    table = ("Patch 5.3 went live 17:00 UTC (client patch, no backend deploy).\n"
             "                 now (17:40)   same time last week\n"
             "  CCU            412k          138k\n"
             "  p99            1.4s          85ms   (SLO 500ms)\n"
             "  rps            9.4k          3.1k\n\n"
             "pods 40/40 Ready, cpu 88% each; HPA 40/40")
    readings = read(table)
    assert readings.demand_ratio == pytest.approx(9.4 / 3.1) and "traffic_rising" in readings.features
    assert "recent_deploy" not in readings.features  # the client's patch, no release of ours
    assert diagnose(Evidence("KubeHpaMaxedOut", table, "critical", "mm-frontend")).action == "SCALE_UP"
    assert read("now  same time last week\n  p99  1.4s  85ms\n  errors  40  3").demand_ratio is None  # no demand row


def test_a_multiple_about_failures_or_held_connections_is_no_demand():
    # a failure ratio against its baseline is no 18x surge; connections held longer at flat rps are a leak's sign
    assert read("sfu_ice_failed_total rate / sfu_ice_started_total rate = 0.37 (baseline 0.02)").demand_ratio is None
    leak = read("active connections climbed 2 -> 20 over 6h at flat 40 rps; Postgres at 35% of max_connections")
    assert "traffic_flat" in leak.features and "traffic_rising" not in leak.features
    assert "traffic_rising" in read("websocket connections 2k -> 20k since the match started").features


def test_another_services_versioned_deploy_is_not_this_ones_but_a_module_it_adds_is():
    assert deploy_age("claims-api 5.8.0 deployed 01:50; alert fired 02:07", "CLMSQL-AG1") == (None, "")
    assert deploy_age("release 2024.03.18-2 at 16:40 (adds ShopCo_Loyalty 1.4.0); errors since 16:42",
                      "magento-web")[0] == 2
    # a sibling sharing the stem is ours to suspect; one sharing only a middle word is another service
    assert deploy_age("payments-worker 2.4.1 rolled out 10:02; errors since 10:05", "payments-api")[0] == 3
    assert deploy_age("#oms-deploys 20:52: dr-event-dispatcher 1.12.0 rolled out (namespace dr)\nCrash at 21:13",
                      "outage-event-correlator") == (None, "")


def test_a_capital_m_after_a_figure_counts_millions_not_minutes():
    text = "accounts: 1.46M since the territory migration on 2025-03-01 (0.63M before)"
    assert deploy_age(text)[0] is None
    assert deploy_age("migration finished 12m before the first timeout")[0] == 12


@pytest.mark.parametrize("alert, logs, wanted", [
    # SIGTERM (143) during an announced node drain is a requested stop, not a crash
    ("KubeDeploymentReplicasMismatch", "Killing pod/menu-7d9 Stopping container menu (exit code 143)\n"
     "MachineConfigPool worker UPDATING 4/9 (cluster update, window announced in #ops-announce)\nerror rate 0%",
     {"NOOP-benign", "HUMAN"}),
    # a protocol's watchdog failing is no Watchdog test alert
    ("DiameterPeerDown", "DWR/DWA watchdog failures toward ocs-dra-02; peer ocs-dra-02 is DOWN (state CLOSED); "
     "ocs-dra-01 answers DIAMETER_TOO_BUSY; the OCS is run by Charging Platform, their dashboard shows lock waits",
     {"HUMAN"}),
    # the partner's status page argued against in the text's own words; a maintenance on a different date
    ("KubePodCrashLooping", "CrashLoopBackOff, Exit Code 1; TypeError: Cannot read properties of undefined\n"
     "3.12.0 deployed 9 days ago, no changes\nPartner 'trackly' status page: scheduled maintenance 13:00-14:00 "
     "UTC -- yet the 12 healthy pods get 2xx from trackly the whole time", {"RESTART"}),
])
def test_distractors_the_text_rules_out_do_not_decide(alert, logs, wanted):
    d = diagnose(Evidence(alert, logs, "critical", "svc"))
    got = d.action if d.outcome == "act" else f"NOOP-{d.outcome}" if d.outcome == "benign" else "HUMAN"
    assert got in wanted, (got, d.justification)


def test_a_datastores_utilisation_is_not_the_services_unless_the_alert_is_about_it():
    redis = "Azure Cache for Redis 'redis-shared-prod' (Platform team): server load 97%, p99 op latency 380 ms"
    assert "high_cpu" not in read(redis, service="broker-docs-api").features
    assert "high_cpu" in read(redis, service="redis-shared-prod").features
    cache = "Redis session cache used_memory 92% of maxmemory, 0 evictions"
    assert "high_memory" not in read(cache, service="magento-web").features
    assert "high_memory" in read("container memory 1.9Gi/2Gi; db latency fine", service="magento-web").features


def test_the_same_words_matched_by_two_signatures_are_one_piece_of_evidence():
    ranked, _ = rank(Evidence("PodRestarts", "api-7f9 OOMKilled"))
    memory = next(h for h in ranked if h.situation == "memory_leak")
    assert len(memory.evidence) == 1 and memory.score == 0.9, memory  # not 0.99 from two readings of "OOMKilled"
    assert memory.evidence[0].startswith("kernel_oom_killer, container_oomkilled: "), memory.evidence


def test_a_failure_word_the_text_denies_is_no_trouble():
    assert "trouble" not in read("no crashes, no 5xx; 0 errors in logs, without timeouts").features
    assert "trouble" in read("no deploy today; errors 5% since 10:00").features


def test_requests_an_access_policy_denies_right_after_a_change_are_trouble_and_roll_back():
    assert "trouble" in read("linkerd-proxy: Request denied server.name=ledger-http client.tls=...").features
    assert "trouble" in read("HTTP 403 Forbidden for 31% of requests since 09:12").features
    assert "trouble" not in read("no denied requests; 0 forbidden").features
    synced = diagnose(Evidence("HTTP403RateHigh", "ArgoCD synced ledger-reader-prod at 09:12:40 (new "
                               "AuthorizationPolicy); first denied requests at 09:12:44", "high", "ledger-reader"))
    assert synced.action == "ROLLBACK", synced.justification


def test_a_status_page_alone_calls_a_human_but_never_outweighs_a_crash_the_text_shows():
    alone = diagnose(Evidence("PaymentErrors", "Payment provider status page: 'Elevated API errors in EU' since 10:40",
                              "critical", "checkout"))
    assert alone.outcome == "human" and alone.situation == "external_dependency", alone.justification
    crash = diagnose(Evidence("KubePodCrashLooping", "CrashLoopBackOff; fatal error: concurrent map writes\n"
                              "image unchanged since March; SMS aggregator status page: 'degraded delivery to some "
                              "carriers' - the dispatcher only enqueues to MQ, those puts succeed", "critical",
                              "notice-dispatcher"))
    assert (crash.action, crash.outcome) == ("RESTART", "act"), crash.justification


def test_zero_failures_and_per_pod_speed_are_no_trouble_and_no_flat_demand():
    assert "trouble" not in read("4xx 0.3%, 5xx 0.00%, errors: 0 in 5m").features
    assert "trouble" in read("5xx 0.3% since 10:00").features
    assert "traffic_flat" not in read("24/24 replicas, throughput steady 7.6k msg/s/pod").features
    assert "traffic_flat" in read("input rate flat at ~90k msg/s").features


@pytest.mark.parametrize("text", [
    "NumberOfMessagesDeleted 3,700/min = 12 tasks x ~310/min (per-task rate unchanged)",  # each consumer's speed
    "pods 30/30 Ready, ~83 rps per pod (normal peak ~70)",
    "messages_out per pod 17.1k/s vs 17.4k/s capacity measured in the last load test",
    "incoming 310 tasks/min vs ~100 normal",  # two different figures compared: no flat demand
])
def test_a_units_own_rate_or_a_compared_figure_is_no_flat_demand(text):
    assert "traffic_flat" not in read(text).features, read(text).lines


def test_the_casebook_alone_does_not_restart_for_another_teams_full_volume():
    shared = Evidence("NodeFilesystemAlmostOutOfSpace", "filer02:/vol/media has only 2.8% available space left\n"
                      "Volume owner: team data-platform (CMDB)\nour pods' local disk 23% used", "warning", "renderer")
    resemblance = Opinion("disk_full", 0.94, "unknown_errors", 0.03, "x-1", "disk_full", 0.3)
    assert diagnose(shared, opinion=resemblance).outcome == "human"


def test_another_team_named_as_the_one_that_deployed_is_no_deploy_of_ours():
    theirs = "inventory team deployed migration 0142_items_sku_v2 at 15:20; failures since 15:21"
    assert "recent_deploy" not in read(theirs).features
    assert "recent_deploy" in read("our team deployed migration 0142 at 15:20; failures since 15:21").features


def test_a_denied_rise_in_traffic_is_no_rising_demand():
    assert "traffic_rising" not in read("msg rates steady, nothing unusual traffic-wise").features
    assert "traffic_rising" in read("unusual traffic from the EU since 09:00").features


def test_the_casebook_alone_does_not_name_saturation_under_flat_demand():
    flat = Evidence("QueueBacklogHigh", "queue orders: 2,300 visible (usual < 50)\nNumberOfMessagesSent 38/min, flat\n"
                    "workers: 6 running, no errors", "warning", "orders-worker")
    resemblance = Opinion("saturation", 0.9, "unknown_errors", 0.05, "x-1", "saturation", 0.3)
    d = diagnose(flat, opinion=resemblance)
    assert d.outcome == "human" and d.action == "NOOP", d.justification


def test_the_casebook_alone_does_not_name_saturation_when_each_unit_of_work_takes_longer():
    # demand up 40% beside each message taking ~3x as long: the consumers slowed, which more of them only hides
    slower = Evidence("KafkaConsumerGroupLagHigh", "lag=182,440 and rising\nmessages in: 310/s (yesterday same hour "
                      "220/s)\nconsumer throughput: 205/s (yesterday 260/s)\nper-message processing p95: 41ms -> 118ms "
                      "since 08:30\nindexer 4/4 Running, CPU 55%", "warning", "lab-results-indexer")
    resemblance = Opinion("saturation", 0.82, "unknown_errors", 0.1, "x-1", "saturation", 0.4)
    assert "unit_time_up" in read(slower.logs.lower()).features
    d = diagnose(slower, opinion=resemblance)
    assert d.outcome == "human" and d.action == "NOOP", d.justification
    # the same time falling, or a whole request's latency rising, is no such reading
    assert "unit_time_up" not in read("per-message processing p95: 118ms -> 41ms after the fix").features
    assert "unit_time_up" not in read("p99 latency 40ms -> 900ms").features


def test_the_casebook_alone_does_not_name_saturation_once_demand_has_fallen():
    # the surge that maxed the autoscaler is over: more replicas now answer nothing
    after = Evidence("KubeHpaMaxedOut", "on-sale opened 10:00 behind a waiting room\n10:05-10:25 replicas 20/20, "
                     "p99 240ms\n10:26 waiting room empty; rps 3.1k -> 0.9k\n10:29 HPA desired replicas 12",
                     "warning", "tickets-api")
    assert "traffic_falling" in read(after.logs.lower()).features
    resemblance = Opinion("saturation", 0.9, "unknown_errors", 0.05, "x-1", "saturation", 0.4)
    assert diagnose(after, opinion=resemblance).action == "NOOP"
    # demand that rose is no fall
    assert "traffic_falling" not in read("rps 0.9k -> 3.1k since 10:00").features


@pytest.mark.parametrize("alert, text, service, action, situation", [
    # memory level at a cache's configured cap with LRU evicting, after a node pool's rollout restarted the pod: no
    # leak and no release of ours
    ("ContainerMemoryNearLimit", "working set 3.4Gi / limit 4Gi (85%)\nsince the restart at 08:00 (node pool "
     "rollout): 08:00 0.3Gi 09:00 2.6Gi 10:00 3.4Gi 11:00 3.4Gi\nconfig: TILE_CACHE_MAX_BYTES=3221225472, "
     "eviction=LRU\nOOMKilled: none", "tile-server", "NOOP", "benign"),
    # a provider's notice beside threads all waiting on its API: a restart waits on it again
    ("KubeContainerLivenessFailing", "Liveness probe failed: context deadline exceeded\njstack: 196 of 200 exec "
     "threads in CarrierClient.book (SocketInputStream.read)\nNorthline Freight service notice 14:02: \"Booking API "
     "unavailable, ETA 17:00\"", "booking-svc", "NOOP", "external_dependency"),
    # logins from residential proxies at usernames that do not exist: an attack, not demand to scale for
    ("KubeHpaMaxedOut", "HPA auth/login-api 12/12\nlogin attempts 52,000 in 30 min (normal ~2,000), success ratio "
     "0.4%\nsources: 3,100 IPs, 90% residential-proxy ASNs; 68% of usernames don't exist", "login-api", "NOOP",
     "security_incident"),
    # the OOM kill was an ephemeral debug container's taking a heap dump, not the service's
    ("KubeContainerOOMKilled", "container=debugger-4xh2k reason=OOMKilled\napi: State Running, Restart Count 0, "
     "working set 1.1Gi of 2Gi\n14:33 jan: the debug container ran out of memory taking the heap dump, I'll retry "
     "later\napi errors 0, p99 170ms", "archive-api", "NOOP", None),
    # one partition's offset frozen while the consumer retries the same record thousands of times: a poison message
    ("KafkaConsumerLagHigh", "p4 lag 90,000 (rising), other partitions < 50\np4 committed offset 7713 unchanged for "
     "1h 40m\nJsonParseException at offset 7713\nDefaultErrorHandler: seeking to current offset, attempt 2,310",
     "indexer", "NOOP", "fails_the_same_way"),
])
def test_evidence_for_an_action_that_the_text_defeats_acts_on_nothing(alert, text, service, action, situation):
    d = diagnose(Evidence(alert, text, "high", service))
    assert d.action == action and situation in (None, d.situation), d.justification
    assert d.situation != "memory_leak", d.justification


def test_another_alerts_resolved_notice_is_no_recovery_of_this_one():
    text = ("[FIRING] CheckoutLatencyHigh p95=2.8s\n[08:02] Alertmanager: [RESOLVED] PaymentGatewayLatency (gateway "
            "back to 180ms)\n[08:05] rps 3.2k vs ~800 on a normal Monday\n[08:06] all 10 pods at 88-94% cpu, HPA "
            "10/10\n[08:09] no deploy since 06/02")
    d = diagnose(Evidence("CheckoutLatencyHigh", text, "high", "checkout"))
    assert d.action == "SCALE_UP", d.justification
    # this alert's own resolved notice still is, and so is one named by another alert when ours has no name
    assert diagnose(Evidence("CheckoutLatencyHigh", "[RESOLVED] CheckoutLatencyHigh p95=0.3s")).action == "NOOP"
    # the same alert under its alertname label, or a notice that names no rule, is no other alert
    probe = "Blackbox probe failed: gw TLS\nalertname=ProbeFailed\n[RESOLVED] ProbeFailed https://gw/health after 45s"
    assert others_resolved(probe) == []
    assert others_resolved("KubeDeploymentReplicasMismatch\n[RESOLVED] Deployment fin/x has not matched") == []
    text = "DiskSpaceLow x\n(RESOLVED) CertExpirySoon y"
    assert others_resolved(text) == [(len("DiskSpaceLow x\n"), len(text))]
    # a quoted title called a page or alert, or dated, before its "is resolved"
    page = ("CPUThrottlingHigh read-validation\nfyi the earlier \"High CPU utilization etl-p-01\" page is resolved - "
            "that was the month-end job. this one is separate")
    assert others_resolved(page) == [(len("CPUThrottlingHigh read-validation\n"), len(page))]
    dated = "KubePodCrashLooping x\nfyi \"RabbitmqMemoryAlarm rmq-p-01\" from this morning is resolved"
    assert others_resolved(dated) == [(len("KubePodCrashLooping x\n"), len(dated))]
    assert others_resolved("CPUThrottlingHigh read-validation\n\"CPUThrottlingHigh read-validation\" page is "
                           "resolved") == []  # this alert's own title
    # a monitor's notice that names another service first (Datadog: "[Recovered] <service>: <title>"), even in a
    # chat log that starts with no alert title; one naming our own service is our recovery
    chat = "#ops-alerts\n[03:15] Datadog: [Recovered] redis-chat: replication link down (03:11-03:13)\n"
    assert others_resolved(chat, "lobby-chat") == [(len("#ops-alerts\n"), len(chat) - 1)]
    assert others_resolved(chat.replace("redis-chat", "lobby-chat"), "lobby-chat") == []
    assert others_resolved(chat) == []  # no target named: nothing to tell it from


def test_a_chat_bot_is_no_bot_traffic_and_a_clock_offset_stated_fine_is_no_skew():
    surge = ("[08:05] ana: traffic 3.1k req/s vs ~850 usual\n[08:06] all 12 pods at 90% cpu, HPA 12/12\n"
             "[08:13] pd-bot: incident acknowledged\n[08:15] bot: still firing")
    assert diagnose(Evidence("PortalLatencyHigh", surge, "high", "portal")).action == "SCALE_UP"
    crash = ("fatal error: concurrent map writes\nsystemd: Main process exited, status=2; Restart=no\n"
             "build unchanged since April; chronyc offset -0.4 ms (fine)")
    assert diagnose(Evidence("RangingServiceDown", crash, "critical", "ranging-svc")).action == "RESTART"


def test_memory_that_rises_with_connections_and_offsets_frozen_since_a_time():
    sessions = Evidence("PodMemoryHigh", "memory per pod 600-700Mi (rises with connections, drops when clients "
                        "disconnect)\nconnections 1,700 (usual 500)", "warning", "ws-gw")
    assert diagnose(sessions).situation != "memory_leak"
    # goroutines can leak themselves: heap that tracks them at flat demand is still a leak
    goroutines = Evidence("ContainerMemoryHigh", "kubernetes.memory.usage: Mon 210MiB, Tue 540MiB, Wed 880MiB, Thu "
                          "1.21GiB (limit 1.4GiB)\ngo_goroutines 1,340 -> 58,466; pushes/s flat\nheap_inuse tracks "
                          "goroutine count", "warning", "webhook-receiver")
    assert diagnose(goroutines).situation == "memory_leak"
    assert diagnose(Evidence("PodMemoryHigh", "memory per pod 600-700Mi and rising since start", "warning",
                             "ws-gw")).situation == "memory_leak"
    frozen = ("lag 9,000 -> 30,000 over 40 min\ncommitted offsets unchanged since 13:02 on all partitions\n"
              "consumer pod Running, cpu 0.2%, last log line 13:02")
    assert "stalled_progress" in diagnose(Evidence("KafkaConsumerLagHigh", frozen, "high", "indexer")).justification


@pytest.mark.parametrize("alert, text, service, action", [
    # a segfault beside a provider's notice about another product in another region: the crash is ours
    ("ServiceNotRunning", "kernel: ivr-bridge[1187]: segfault at 0 ip 00007f9c1b2a4e61 error 4 in libpjsip.so.2\n"
     "systemd[1]: ivr-bridge.service: Main process exited, code=killed, status=11/SEGV\nRestart=no\n"
     "Twilio status: \"Degraded SMS delivery to some carriers in Australia\" - investigating", "ivr-bridge", "RESTART"),
    # a vendor's outage that ended days ago is no outage now
    ("SystemdUnitFailed", "python3[1422]: Fatal Python error: Segmentation fault\nsystemd[1]: collector.service: Main "
     "process exited, code=dumped, status=11/SEGV\nRestart=no\n#lab: \"vendor cloud outage Monday — resolved\"",
     "collector", "RESTART"),
    # a certificate with 216 days left beside real demand at an autoscaler's ceiling
    ("TicketLatencyHigh", "requests/s 342 (same hour last week: 96)\nHPA ticket-svc 6/6 (maxReplicas 6), cpu 88%\n"
     "restarts 0, OOMKilled: none\ncert ticket.example.coop notAfter=May 18 2026 (216 days) — nothing to do\n"
     "last deploy 2025-09-30", "ticket-svc", "SCALE_UP"),
    # back-to-back full collections reclaiming nothing at the heap's max while traffic is what it is every night
    ("JvmGcOverhead", "gc time ratio 0.93 over 10m\nGC(7712) Pause Full (G1 Compaction Pause) 1998M->1990M(2048M) "
     "1840ms\nGC(7713) Pause Full (G1 Compaction Pause) 1998M->1992M(2048M) 1851ms\nGC(7714) Pause Full (G1 "
     "Compaction Pause) 1999M->1994M(2048M) 1862ms\nrps 5/s (night, same as every night); uptime 23 days",
     "cms", "RESTART"),
    # a test SMS another worker got through shows the provider is fine; it does not make this alert a test
    ("RabbitMQConsumerStalled", "queue warrant.sms ready 6,812 unacked 50 consumers 1 ack 0.00/s publish 2.9/s "
     "(normal 2.5-3.2/s)\nno log lines since 07:12:41\npy-spy: MainThread acquire (logging/__init__.py:917); "
     "sms-sender-1 acquire (logging/__init__.py:917)\nSMS provider status OK; test message from worker-2 at 07:40 "
     "delivered", "sms-notifier", "RESTART"),
])
def test_a_distractor_beside_the_evidence_for_an_action_does_not_stop_it(alert, text, service, action):
    d = diagnose(Evidence(alert, text, "high", service))
    assert d.action == action and d.outcome == "act", d.justification


def test_memory_that_rose_then_held_level_short_of_its_limit_is_no_leak():
    filled = ("ContainerMemoryGrowth: working set +1.1Gi in 3h\nmemory: 06:00 180Mi · 07:00 640Mi · 08:00 1.18Gi · "
              "08:30 1.49Gi · 09:00 1.50Gi · 09:30 1.50Gi   (limit 3Gi)\npod started 05:58; errors 0, restarts 0")
    assert "memory_levelled" in read(filled.lower()).features
    assert diagnose(Evidence("ContainerMemoryGrowth", filled, "warning", "basis-service")).action != "RESTART"
    # a series on the line after its memory word levels too
    assert memory_levelled("working set since the restart:\n 08:00 0.4gi 09:00 2.7gi 10:00 3.41gi 11:00 3.41gi "
                           "12:00 3.40gi\nlimit 4gi")
    # still climbing, or level at its limit (where a leak stops, just before the kill), is no such series
    assert memory_levelled("heap 1.2g 1.9g 2.6g 3.2g 3.9g 3.95g 3.96g (max 4g)") == ""
    assert memory_levelled("rss 1.1g 1.9g 2.5g 3.1g 3.7g") == ""
    assert memory_levelled("scratch volume 1g 2g 3g 3g 3g") == ""  # a disk's series is no memory


def test_one_processs_memory_that_climbs_reading_after_reading_is_a_leak():
    daily = ("Private bytes of PID 5132 at 08:00 each day since the 04.03 patch reboot:\n1.1 GB, 2.0 GB, 2.9 GB, "
             "3.8 GB, 4.9 GB, 5.9 GB, 6.9 GB\nRequests/sec: flat, 16-19\nLast web deploy: 2024-12-09")
    assert memory_climbs(daily.lower()) == "1.1 gb, 2.0 gb, 2.9 gb, 3.8 gb, 4.9 gb, 5.9 gb, 6.9 gb"
    assert diagnose(Evidence("w3wp Private Bytes > 6 GB", daily, "warning", "labresults")).action == "RESTART"
    assert memory_climbs("rss 1.1g 1.9g 2.5g 3.1g 3.7g") != ""  # arrows or not, the same series
    assert memory_climbs("heap 1.2g 1.9g 2.6g 3.2g 3.2g") == ""  # levelled at its end
    assert memory_climbs("rss 2.1g 1.4g 2.9g 3.3g 4.4g") == ""  # fell once: a restart or a GC between readings
    assert memory_climbs("heap 1.0g 1.1g 1.2g 1.3g 1.4g") == ""  # 1.4× its first reading: too little to call
    assert memory_climbs("scratch volume 1g 2g 3g 4g 5g") == ""  # a disk's series is no memory


@pytest.mark.parametrize("notice", [
    "Avis de maintenance : remplacement du commutateur du hall le mardi 18 mars de 06h00 à 08h00, bornes hors ligne.",
    "Wartungsarbeiten am Hallen-Switch Dienstag 06:00-08:00 Uhr, Kioske offline.",
    "Aviso de mantenimiento: cambio del switch del vestíbulo el martes de 06:00 a 08:00.",
])
def test_a_maintenance_notice_in_another_language_is_announced_work(notice):
    text = f"probe_success 0 since 06:02 for kiosk-01..06\n---\n{notice}\ncurrent time 06:47"
    assert diagnose(Evidence("ProbeFailed kiosk-icmp", text, "warning", "kiosk")).action == "NOOP"


def test_a_status_code_class_is_no_baseline_and_a_jobs_flags_are_no_feature_flag():
    # "· 5xx 0" after "normal" is the error count, not the demand's baseline (41/5 read as 8.2x)
    assert read("publisher 2xx 41 req/s normal · 5xx 0 · p99 90 ms").demand_ratio is None
    assert read("rps 410 req/s vs baseline 50 req/s").demand_ratio == pytest.approx(8.2)
    # a batch job's variance flags are no flag flipped on the service
    assert "recent_deploy" not in read("recon: 02:41:55 reconciled 187 bins, 4 variance flags > 0.5 %, exit 0").features
    assert "recent_deploy" in read("10:02 flag checkout_v2 enabled\n10:05 errors 30%").features


@pytest.mark.parametrize("left_down", [
    "nomad alloc status: Task \"router\" is \"dead\"\n07:41:12 Not Restarting - Exceeded allowed attempts 2 in "
    "interval 5m0s and mode is \"fail\"",
    "systemd: ingest.service: Deactivated successfully. (exit 0 at 03:17:44; Restart=on-failure did not fire)",
    "systemctl show -p ActiveState ingest -> ActiveState=failed",
])
def test_a_dependency_back_up_is_no_recovery_of_a_process_its_supervisor_left_down(left_down):
    text = (f"thread 'worker' panicked at src/router.rs:144: index out of bounds\n{left_down}\n"
            "card-network API healthy since 03:18; Wi-Fi AP-17 back online 07:42")
    d = diagnose(Evidence("ProcessExited", text, "high", "router"))
    assert d.action == "RESTART", d.justification


def test_demand_the_autoscaler_has_room_for_is_no_scale_up():
    surge = ("HighRequestRate pos-api: 1,820 req/s (4.3x 7d avg) for 10m\nHPA pos-api: current replicas 9, desired 9, "
             "min 4, max 20, CPU target 60%, current 54%\np99 182ms (SLO 500ms), 5xx 0.02%")
    assert read(surge.lower()).demand_ratio == pytest.approx(4.3)
    assert diagnose(Evidence("HighRequestRate", surge, "warning", "pos-api")).action != "SCALE_UP"
    resemblance = Opinion("saturation", 0.9, "unknown_errors", 0.05, "x-1", "saturation", 0.3)
    assert diagnose(Evidence("HighRequestRate", surge.replace(" (4.3x 7d avg)", ""), "warning", "pos-api"),
                    opinion=resemblance).action != "SCALE_UP"  # nor on resemblance alone
    assert autoscaler_room("hpa x: current replicas 18, desired 20, max 20") is None  # near its ceiling
    # below its maximum but loaded past any target it states: not scaling, so no room it will use
    assert autoscaler_room("asg web-prod-asg: desired 6 / max 12, 6 inservice; cpu 86-91%") is None
    assert autoscaler_room("hpa x: current replicas 6, desired 14, max 20; 8 pods pending (insufficient cpu)") is None
    # the autoscaler's line is read whole when it is the text's last (no newline after it)
    assert autoscaler_room("p99 182ms\nhpa x: current replicas 9, desired 9, max 20, cpu target 60%, current 54%")


def test_a_line_span_runs_to_the_text_end_on_its_last_line():
    from services.analyst.diagnosis.lines import line_of, line_span

    text = "first line\nsecond: 54%\nlast: 9 of 20"
    assert line_of(text, text.index("54%")) == "second: 54%"
    assert line_of(text, text.index("9 of"), text.index("20")) == "last: 9 of 20"
    assert line_span(text, 0) == (0, 10)
    assert line_of("no newline at all", 3) == "no newline at all"


@pytest.mark.parametrize("alert, text, service, opinion", [
    # CPU pinned while logins doubled after a mailing: resemblance to runaways names none
    ("CPUThrottlingHigh", "throttled 61% on auth-token-svc\nlogins/s 1,340 vs 610 same hour last week - renewal "
     "notice emailed 08:00", "auth-token-svc", "cpu_runaway"),
    # throughput fell below last week's: no demand to scale for
    ("IngestThroughputDropped", "ingest msg/s 61k -> 42k since 07:00 (same hour last week: 60k)\nbroker CPU 30%, no "
     "errors", "ingest", "saturation"),
])
def test_the_casebook_alone_does_not_name_an_action_the_text_refutes(alert, text, service, opinion):
    resemblance = Opinion(opinion, 0.97, "unknown_errors", 0.02, "x-1", opinion, 0.3)
    d = diagnose(Evidence(alert, text, "warning", service), opinion=resemblance)
    assert d.situation != opinion and d.action != KNOWLEDGE.situations[opinion].action, d.justification


@pytest.mark.parametrize("alert, text", [
    # the supervisor restarts it after every crash and it runs now: another restart repeats that
    ("ServiceRestarted3Times", "systemd: bridge.service: Main process exited, code=dumped, status=11/SEGV\nunit has "
     "Restart=always; active (running) since 17:20:07, writing normally"),
    # the replacement of a deleted pod did the same within minutes
    ("CPUThrottlingHigh", "throttled 64% on -4, -7, -11\ndeleted -4 at 10:40; its replacement -13 was fine for 20 min, "
     "then started throttling too"),
    # the program refuses the data it loads
    ("KubePodCrashLooping", "panic: yard invariant violated: coil C24-88731 at two locations\nCrashLoopBackOff 9"),
    # what is lost on a restart is held only in memory
    ("BEAM process message queue length high", "Process.info: [message_queue_len: 1204331, current_function: "
     "{DlrRouter.Matcher, :match_pending, 2}]\nMatcher state holds 312k pending submits awaiting receipts (ETS table, "
     "not persisted)"),
])
def test_an_action_the_text_says_would_not_help_or_would_harm_goes_to_a_human(alert, text):
    d = diagnose(Evidence(alert, text, "high", "svc"))
    assert d.action == "NOOP" and d.outcome == "human", d.justification


def test_a_flap_still_going_on_since_a_time_is_no_recovery():
    text = ("Checkout5xx flapping since Sun ~21:00: 5xx 1-4% in bursts of 3-6 min every 40-90 min\napp logs: nothing "
            "at WARN around the bursts; pods 3/3, restarts 0")
    assert diagnose(Evidence("Checkout5xx", text, "medium", "checkout")).outcome == "human"
    assert diagnose(Evidence("Checkout5xx", "flapped twice at 02:10, stable since 02:14")).action == "NOOP"


def test_a_queue_level_beside_an_inflow_rate_is_no_demand_ratio():
    # 1,930 events waiting is the backlog of a stuck consumer, not 64x the normal ~30/min coming in
    stuck = Evidence("InventorySyncStalled", "last_successful_sync_age=52m (threshold 15m)\nFound one Java-level "
                     "deadlock:\nCPU 0.02 cores; stock change events queued 1,930 (normal inflow ~30/min, unchanged)",
                     "high", "inventory-sync")
    assert read(stuck.logs.lower()).demand_ratio is None
    d = diagnose(stuck)
    assert d.situation == "hang" and d.action == "RESTART", d.justification
    assert read("booking events 2,400 (normal ~800)").demand_ratio == 3.0


@pytest.mark.parametrize("aside", [
    "the 13:05 ConfigMap change in #deploys was for trip-scoring-ui, a different deployment",
    "ota-portal (the React frontend) was deployed 2h ago -- separate deployment, no shared code",
    "weather-data partner API shows 'degraded' on its status page -- ingest-http-gw doesn't call it",
])
def test_what_the_text_places_on_another_deployment_is_dismissed(aside):
    assert blank(aside, dismissed_spans(aside.lower())).strip() == "", aside


@pytest.mark.parametrize("text, feature, present", [
    ("deployment.replicas_available{kube_deployment:lti-bridge} 12 -> 4 at 22:00:05; errors 0 since 22:00",
     "recent_deploy", False),  # a metric's name is no deploy
    ("Deploy: v2.3.1 at 14:02; errors from 14:05", "recent_deploy", True),
    ("chanmgr 4.12.0 deployed 09:45; pulls succeeded from 09:45 until 12:58; 403s since 12:58", "old_deploy", True),
    ("node image upgrade for pool 'general' scheduled Saturday - not yet applied; segfaults since 10:00",
     "recent_deploy", False),
])
def test_deploy_readings_need_a_deploy_that_happened_and_could_explain_it(text, feature, present):
    assert (feature in read(text).features) is present, read(text).lines


def test_another_teams_change_is_not_this_services_deploy():
    text = ("ProxyError: 403 Forbidden from proxy\nNetwork/security team change NETSEC-5521 applied 12:58\n"
            "errors since 13:00")
    assert "recent_deploy" not in read(text, service="chanmgr-reservation-pull").features


def test_failure_counters_at_zero_are_no_evidence_but_what_beside_them_changed_still_is():
    recap = "returns-web-01 : ok=12 changed=3 unreachable=0 failed=0 skipped=1"
    masked = blank(recap, dismissed_spans(recap))
    assert "unreachable" not in masked and "failed" not in masked and "changed=3" in masked
    assert dismissed_spans("errors: 12; restarts=0") == [(12, 22)]  # twelve errors are still errors
    assert diagnose(Evidence("nginx 502 > 5%", "PLAY RECAP\nweb-01 : ok=12 changed=0 unreachable=0 failed=0")
                    ).situation != "crash"


def test_words_the_text_denies_right_before_them_are_no_match():
    denied = diagnose(Evidence("container terminations", "no 'Liveness probe failed' events; no Evicted"))
    assert denied.situation != "hang"
    assert diagnose(Evidence("container terminations", "Liveness probe failed: timeout after 5s")).situation == "hang"


def test_ready_pods_are_not_zero_ready_pods():
    assert diagnose(Evidence("SLOBurnRateHigh", "Pods 10/10 Ready, CPU 35%, 0 restarts")).situation != "crash"
    assert rank(Evidence("KubeDeploymentReplicasMismatch", "deployment api: 0/10 ready"))[0][0].situation == "crash"


def test_a_cpu_rise_beside_a_moderate_demand_rise_is_no_runaway_on_its_own():
    text = "CPU 93% across 3 pods; requests 7.4k rps vs 5.5k rps at the same hour last week (+35%)"
    assert "traffic_up_some" in read(text.lower()).features
    assert diagnose(Evidence("odds-cache CPU high", text)).outcome == "human"
    flat = "CPU 93% across 3 pods; requests flat at 5.5k rps"
    assert diagnose(Evidence("odds-cache CPU high", flat)).action == "RESTART"


def test_a_rate_against_a_past_rate_is_demand():
    readings = read("hits 2,450 req/s vs 1,010 req/s same time last tuesday")
    assert "traffic_rising" in readings.features and readings.demand_ratio == pytest.approx(2.43, abs=0.01)


def test_resemblance_alone_does_not_call_saturation_when_each_request_costs_more():
    text = "HPA 10/10 (max 10); CPU per request roughly doubled since 11:00; no deploy since Monday"
    opinion = Opinion("saturation", 0.9, "cpu_runaway", 0.05, "x-1", "saturation", 0.2)
    ranked, _ = rank(Evidence("HighCPU", text), opinion=opinion)
    assert "saturation" not in [h.situation for h in ranked]


def test_a_denial_reaches_past_one_listed_word_and_a_false_flag_after_the_match():
    text = "Exit Code: 137; events: no OOMKilling, no Evicted; node had no memory or disk pressure"
    assert "disk_full" not in [h.situation for h in rank(Evidence("container restarted (exit 137)", text))[0]]
    assert rank(Evidence("DiskPressure", "node has disk pressure, 97% used"))[0][0].situation == "disk_full"
    killed = "Last State: Terminated\nExit Code: 137\nOOMKilled: false\nno Evicted/Preempted events"
    assert "memory_leak" not in [h.situation for h in rank(Evidence("kubernetes container restart", killed))[0]]
    assert diagnose(Evidence("kubernetes container restart", killed)).outcome == "human"  # a SIGKILL, no sender


def test_a_percentage_change_after_the_baseline_word_is_not_the_baseline():
    # "(+21%)" after "last week" is how much it rose, not a base of 21/s: 260/215 is 1.2x, not 12.4x
    text = "rps 260/s vs 215/s same time last week (+21%); hpa 6/6 (max 6)"
    assert read(text).demand_ratio == pytest.approx(260 / 215)
    assert "traffic_rising" not in read(text).features
    assert read("orders 900/min, baseline 300").demand_ratio == 3.0


def test_a_clock_time_is_neither_a_demand_figure_nor_its_baseline():
    assert read("traffic 17:00 -> 17:30: 2,350 rpm -> 5,600 rpm").demand_ratio == pytest.approx(2.38, abs=0.01)
    assert read("requests 410 rps at 05:00 -> 760 rps at 08:00").demand_ratio == pytest.approx(1.85, abs=0.01)
    assert read("requests 520 rps (normal for the 06:00-07:00 shift start)").demand_ratio is None
    assert read("traffic 10:00 -> 11:00 steady").demand_ratio is None


def test_a_load_test_in_staging_does_not_make_production_demand_unreal():
    text = ("request rate 2,350 rps vs 980 rps same hour last Monday; CPU per pod 85-92%\n"
            "staging load test of v3.9.0 only covered 1,000 rps")
    assert "saturation" in [h.situation for h in rank(Evidence("p99 latency", text))[0]]
    running = "request rate 2,350 rps vs 980 rps; k6 load test running against prod"
    assert "saturation" not in [h.situation for h in rank(Evidence("p99 latency", running))[0]]


def test_a_change_the_text_says_is_not_ours_is_no_deploy():
    text = ("ws disconnects 240/min since 16:00\n"
            "network change NET-2231 applied 15:52 to the shared ALB (not our deployment)\nour last deploy: 4 days ago")
    assert "recent_deploy" not in read(text, service="occ-feed").features


def test_partial_probe_failures_and_an_icinga_recovery_are_no_outage():
    partial = ("Pingdom: check-in is DOWN - failing from Frankfurt, Amsterdam and London (3 of 5 probes)\n"
               "Stockholm and Paris probes: UP")
    assert "crash" not in [h.situation for h in rank(Evidence("Pingdom DOWN", partial))[0]]
    everywhere = "Pingdom: check-in is DOWN - failing from 5 of 5 probes"
    assert rank(Evidence("Pingdom DOWN", everywhere))[0][0].situation == "crash"
    flap = ("[PROBLEM] gw-17 / heartbeat is CRITICAL - 'No heartbeat from gateway for 180 s'\n"
            "[RECOVERY] heartbeat is OK - 'last heartbeat 4 s ago'")
    assert diagnose(Evidence("heartbeat CRITICAL", flap)).action == "NOOP"


def test_a_provider_notice_the_text_says_does_not_touch_us_does_not_outweigh_a_crash():
    crash = ("fatal error: concurrent map writes\ngoroutine 188 [running]:\nexit status 2\n"
             "job version 23 running since 2024-08-29 (16 days)\n")
    notice = "AWS Health Dashboard (eu-west-1) 11:02: 'Increased EBS volume latency in a single Availability Zone'\n"
    alert = "Allocation restarted 5 times"
    assert diagnose(Evidence(alert, crash + notice + "this allocation uses no EBS volumes")).action == "RESTART"
    ours = diagnose(Evidence(alert, crash + notice + "our data volumes are EBS gp3 in that AZ"))
    assert ours.outcome == "human"


def test_an_upstream_error_burst_already_resolved_is_no_external_cause():
    text = ("sqlalchemy.exc.TimeoutError: QueuePool limit of size 10 overflow 20 reached, connection timed out\n"
            "104 'idle in transaction' sessions from the upload handler, which returns early without rollback\n"
            "S3 had a 6-minute error burst 13:57-14:03 (resolved per AWS Health)")
    assert diagnose(Evidence("QueuePool limit reached", text)).situation == "pool_exhaustion"


def test_a_hosts_cpu_is_not_the_service_using_little_of_it():
    host = ("[FIRING:1] HostHighCpuLoad instance=calc-vm07:9100\nCPU load is > 80% (current 97%) for 20m\n"
            "process-exporter on the same host: yield-calc uses 0.16 cores of 8 (2%), same as yesterday")
    readings = read(host, service="yield-calc")
    assert "high_cpu" not in readings.features and readings.cpu_pct == 2.0
    ranked = rank(Evidence("HostHighCpuLoad", host, container_name="yield-calc"))[0]
    assert "cpu_runaway" not in [h.situation for h in ranked]
    # one of its replicas is the hot one: the others' low figures do not clear it
    replica = "profile-api-3 at 99.6% CPU; profile-api-1/2/4 at 18-24% CPU"
    assert "high_cpu" in read(replica, service="profile-api").features
    # a machine's size is no CPU use
    assert read("node size 4 vcpu / 16 gib; cpu 93%", service="yield-calc").cpu_pct == 93.0


@pytest.mark.parametrize("line", ["profile-api: cpu 3%", "(profile-api) 3%", "profile-api-3 at 99%", "xprofile-api 2%",
                                  "my_profile-api", "profile-apis", "profile-api", "a profile-api\tb", "profile-api_2",
                                  "profile-apié", "profile-api profile-api-2", "profile-api-2 profile-api", ""])
def test_a_service_named_on_a_line_is_read_as_the_whole_name_regex_would(line):
    from services.analyst.diagnosis.readings import _names
    regex = re.compile(r"(?<![\w-])profile-api(?![\w-])")
    assert _names(line, "profile-api") == bool(regex.search(line))


def test_an_ecs_task_definition_revision_is_a_deploy():
    text = ("ECS event 06:11:42: service gw-ingest has started 6 tasks: task definition gw-ingest:57\n"
            "ECS event 06:14:05: service gw-ingest has stopped 4 running tasks: exit code 2")
    assert "recent_deploy" in read(text, service="gw-ingest").features


def test_an_instance_left_out_of_the_change_being_healthy_is_no_recovery():
    text = ("06:00:52 dnf: Upgraded: gdal-libs-3.8.4 (was 3.4.3)\n"
            "06:02:11 orthomosaic-qc.service: Main process exited, code=exited, status=1/FAILURE\n"
            "qc-vm-01 (excluded from dnf-automatic) is healthy")
    assert diagnose(Evidence("service failures", text, container_name="orthomosaic-qc")).action == "ROLLBACK"


def test_a_hosts_cpu_beside_a_nearly_idle_container_is_no_runaway():
    text = ("host view (ip-10-30-2-14, ip-10-30-2-51): system.cpu.user 94-97%\n"
            "container view for the same pods: container.cpu.usage 0.21-0.26 cores of a 2.0 limit, throttled 0%\n"
            "request rate 180 rps (normal)")
    assert "cpu_runaway" not in [h.situation for h in rank(Evidence("p90 latency > 1.5s", text))[0]]


def test_a_kill_the_text_says_was_no_oom_is_neither_an_outage_nor_a_flap():
    nomad = ("Terminated  Exit Code: 137, Signal: 9\nOOM Killed: false\n"
             "no Nomad health check failures, no drain or preemption events")
    assert diagnose(Evidence("NomadJobAllocRestarts", nomad)).outcome == "human"
    systemd = ("systemd[1]: kyc-scan.service: Main process exited, code=killed, status=9/KILL\n"
               "dmesg -T since boot: no 'Out of memory' or 'oom-kill' lines\n"
               "/var/log/cron and ansible.log show nothing between 03:00 and 03:30")
    assert diagnose(Evidence("PROCS CRITICAL", systemd)).outcome == "human"
    restarted = ("exitCode=137 reason=Error (not OOMKilled)\nliveness/readiness probes: passing throughout\n"
                 "kubelet restarted the container at 03:12, currently Running")
    assert diagnose(Evidence("Container exited with code 137", restarted)).outcome == "human"


def test_a_measured_surge_beside_a_release_is_a_close_call_whatever_the_rate_is_called():
    text = ("p99 2.8s (baseline 0.6s) since 06:05\ngate-in transactions 410/min vs 150/min typical for Monday 06:00\n"
            "deploy: tos-gate-api 3.7.0 rolled out 05:58")
    assert diagnose(Evidence("p99 latency", text, container_name="tos-gate-api")).outcome == "human"


def test_a_load_balancer_with_every_host_healthy_and_no_5xx_is_serving():
    text = ("Pingdom: tracking.example.net is DOWN (timeout > 30s) from 5 of 7 probe locations\n"
            "ALB tracking-prod: HealthyHostCount 6/6, HTTPCode_ELB_5XX_Count 0, RequestCount flat")
    assert diagnose(Evidence("Pingdom DOWN", text)).action != "RESTART"


def test_drill_rigs_are_no_fire_drill():
    text = ("ERROR spool: write /spool/seg-0009121.bin: no space left on device\n"
            "drill rigs connected: 14 (normal), input rate flat\nservice last deployed 8 days ago")
    assert diagnose(Evidence("drill-rec-write-errors", text)).action == "RESTART"
    drill = "chaos drill in progress (announced in #ops), ends 15:00"
    assert diagnose(Evidence("Checkout 5xx", drill)).action == "NOOP"


def test_utilisation_readings_of_another_scope_or_unit():
    assert read("no new revision since 2024-10-21; 429s").features.isdisjoint({"recent_deploy"})
    assert read("cluster nomad-prod-dc1 is 87% CPU-reserved").cpu_pct is None
    assert read("pod x at 99.6% of its 2-core limit").cpu_pct == 99.6
    rates = ("produce rate 7,900 msg/s (same time last Saturday 3,100 msg/s)\n"
             "per-pod throughput 533 msg/s vs 540 msg/s/pod measured in the capacity test")
    assert read(rates).demand_ratio == pytest.approx(7900 / 3100)


def test_a_past_incident_a_runbook_links_is_no_observation():
    text = ("Found one Java-level deadlock:\nrequests 52 rps (flat); completed 0 in last 6 min\n"
            "runbook TOS-17 links INC-3310 (a DB failover) as a similar past incident")
    assert diagnose(Evidence("liveness probe failing", text)).action == "RESTART"


def test_a_lag_alert_with_frozen_offsets_and_workers_on_one_lock_is_a_hang():
    text = ("kafka_consumergroup_lag 36,480, rising ~16/s\nproducer rate 16 msg/s (7-day band 15-17 msg/s)\n"
            "committed offsets p0-p5 unchanged since 09:12\n"
            "goroutine dump: all 6 partition workers blocked in the same Lock")
    assert diagnose(Evidence("KafkaConsumerLagHigh", text)).action == "RESTART"


@pytest.mark.parametrize("alert, severity, text, service, situation, action", [
    # the partner recovered and answers in 0.28 s; our threads still wait on reads it dropped, with no timeout
    ("SidekiqQueueLatencyHigh", "high",
     "sidekiq queue cmms_push latency 3h08m, enqueued 1,912, busy 10/10 threads, processed in last hour: 0\n"
     "enqueue rate 0.2/s (normal)\n(all 10 threads in net/protocol.rb rbuf_fill, read_timeout configured as nil)"
     "\nMaximo had a network blip 09:52-09:55 (partner incident closed); stuck jobs started 09:53\n"
     "curl maximo ping: 200 0.284\nCPU 0%, memory flat; no deploy since 2024-03-28", "cmms-sync", "hang", "RESTART"),
    # a job the cluster lists as completed is benign, whatever the alert says about its duration
    ("KubeJobNotCompleted", "warning",
     "Job clinical/records-retention-purge-28911020 is taking more than 12h to complete.\n"
     "11:41 Sun INFO purge done owners=18,221 errors=0\n$ kubectl get job -n clinical "
     "records-retention-purge-28911020\nNAME                              COMPLETIONS   DURATION   AGE\n"
     "records-retention-purge-28911020  1/1           12h41m     12h55m", "records-retention-purge", "benign", "NOOP"),
])
def test_stuck_workers_after_a_partners_blip_restart_and_a_completed_job_is_benign(alert, severity, text, service,
                                                                                   situation, action):
    d = diagnose(Evidence(alert, text, severity, service))
    assert d.situation == situation and d.action == action, d.justification


def test_heap_that_does_not_come_down_beside_a_surge_is_a_close_call():
    text = ("Node heap used: 520MB at 07:00 -> 1.31GB at 11:30 (--max-old-space-size=1536)\n"
            "throughput: 1,900 rpm at 07:00 -> 4,600 rpm at 11:30\nheap did not come down in the 10:15-10:45 dip")
    assert diagnose(Evidence("Memory usage > 85%", text)).outcome == "human"


def test_an_external_probe_down_while_the_service_serves_is_no_crash():
    text = ("Uptime Kuma: [outage-map-web] [Down] timeout of 48000ms exceeded\ndown since 11:12 (9 failed checks)\n"
            "nginx_http_requests_total rising at 44 rps, 2xx 99.7%\nCloudFront: 0 5xx")
    assert diagnose(Evidence("[outage-map-web] Down", text)).action != "RESTART"


def test_a_flag_after_the_match_and_a_denial_inside_it_deny_it():
    pressure = "Exit Code: 137\nnode MemoryPressure/DiskPressure False; memory peak 612Mi of 2Gi"
    assert "disk_full" not in [h.situation for h in rank(Evidence("KubeContainerRestarted", pressure))[0]]
    pools = "p99 4.2s; thread pool threads 38, no starvation; GC fine"
    assert "hang" not in [h.situation for h in rank(Evidence("latency high", pools))[0]]


def test_a_weekly_job_the_alarm_fires_for_every_week_is_benign():
    text = ("CloudWatch ALARM 'usage-reporter-memory-high': MemoryUtilization 93% > 85%\n"
            "EventBridge rule weekly-usage-rollup cron(0 3 ? * MON *) started the task at 03:00\n"
            "same alarm every Monday 03:0x-03:40 for the last 6 weeks")
    assert diagnose(Evidence("usage-reporter-memory-high", text)).action == "NOOP"


def test_more_words_of_partial_failure_doubt_and_demand():
    probes = ("Pingdom: transaction check 'Join flow - EU' is DOWN since 13:12\n"
              "probe locations: Amsterdam, Frankfurt, London fail; New York and Dallas pass")
    assert diagnose(Evidence("Pingdom DOWN", probes)).action != "RESTART"
    both = ("Timeout expired prior to obtaining a connection from the pool; in use 100/100 since 14:31\n"
            "database avg wait per query 410 ms since 14:31; both curves stepped within the same minute")
    assert diagnose(Evidence("error rate", both)).outcome == "human"
    assert read("upload requests: 09:00 14 rpm -> 12:00 31 rpm").demand_ratio == pytest.approx(31 / 14)
    resolved = ("[RESOLVED] NodeFilesystemSpaceFillingUp mountpoint=/var/log, fired 03:10, resolved 03:27\n"
                "03:25 cron.daily logrotate compressed the access logs: available 18.2% -> 63.5%")
    assert diagnose(Evidence("NodeFilesystemSpaceFillingUp", resolved)).action == "NOOP"


def test_a_figure_between_500_and_599_is_no_5xx_status():
    assert "trouble" not in read("rolled out v2.3 at 10:02; throughput 533 msg/s, memory 512 MiB").features
    assert "trouble" in read("HTTP 503 from the upstream since 10:04").features
    assert "trouble" in read("502s rising since 10:04").features


def test_words_that_look_like_another_situation_in_their_own_context():
    systemd = ("systemd[1]: poller.service: Main process exited, code=killed, status=9/KILL\n"
               "systemd[1]: poller.service: Scheduled restart job, restart counter is at 1.\n"
               "journalctl -k: no oom-killer or 'Out of memory' entries\nservice active (running) again since 21:47")
    assert diagnose(Evidence("systemd poller CRITICAL", systemd)).outcome == "human"
    detector = ("task 7f3e91: CpuUtilized 1,990 of 2,048 units; the other 2 tasks ~450 units\n"
                "perf top: 97% in pressure_transient::window::Ring::advance\ntransient events emitted since 03:12: 0")
    assert "recovered" not in rank(Evidence("pressure-transient-detector CPU > 85%", detector))[1]
    failover = "Unavailable by ICMP ping: loss 100% since 11:02\nsinkhole-dns-01 now serving all traffic"
    assert diagnose(Evidence("Zabbix agent is not available", failover)).outcome == "human"
    resizing = ("08:22:51 imgproxy[3310]: segfault at 0 in libvips.so.42\n"
                "08:22:52 systemd[1]: Failed to start imgproxy image resizing service.\n"
                "dpkg.log: 2024-05-21 06:10:03 upgrade libvips42 (3 weeks ago)")
    assert "recent_deploy" not in read(resizing).features


def test_a_revision_change_and_a_package_run_before_a_segfault_are_changes():
    ecs = ("deployment ecs-svc/8743 started: task definition sync:57 -> :58\n"
           "stopped task: Essential container in task exited (exit code 1)\nKeyError: 'SAP_ISU_ENDPOINT'")
    assert diagnose(Evidence("ECS service unable to start tasks", ecs)).action == "ROLLBACK"
    salt = ("salt-call state.apply (scheduled highstate) 03:10: libxml2 (2.9.13-5 -> 2.12.5-1) changed=1\n"
            "03:14 worker[4410]: [BUG] Segmentation fault at 0x0\n")
    assert "trouble" in read(salt).features


def test_a_status_a_function_call_or_a_batch_pushed_out_is_no_deploy():
    assert "recent_deploy" not in read("app log 10:02:11 WARN release() not called after BEGIN in exportAttendees\n"
                                       "pool timeouts since 10:05").features
    assert "recent_deploy" not in read("17:00 lab results batch pushed 48,000 patient notifications at 17:00\n"
                                       "CPU 92%, 5xx 0.2%").features
    assert "recent_deploy" not in read("deployment 12/12 available since 14:06:55; pod exit code 143").features
    assert "recent_deploy" in read("pushed 2.4.2 at 14:02; 5xx since 14:05").features
    assert "old_deploy" in read("websocket limit rejects climbing; no gw deploy since May 12").features
    assert "recent_deploy" in read("Spinnaker deploy (Manifest) creative-audit:2024.10.17-1 (previous 2024.10.15-3)\n"
                                   "ModuleNotFoundError: No module named 'onnxruntime'").features
    cleared = ("11:00:12 Flux applied main@sha1:7be2c01 (image 2.4.1 -> 2.4.2)\n"
               "@priya: \"2.4.1 crashed first, it's the geoip file\"")
    assert "recent_deploy" not in read(cleared).features
    worked_at_first = ("moodle-sync 1.12.0 deployed 09:35; first sync after the deploy (09:40) succeeded; "
                       "errors from 09:58")
    assert "recent_deploy" not in read(worked_at_first).features
    elsewhere = "invalidtoken since 09:58 on one site; 39 other sites syncing on the same build; deployed 09:35"
    assert "recent_deploy" not in read(elsewhere).features
    assert "recent_deploy" in read("deployed 09:35; other sites on the same build fail too since 09:40").features


def test_denials_of_a_listed_pair_and_runbook_fields_are_no_evidence():
    heap = ("[Alerting] JVM heap usage > 85% at 10:14:30\nheap used 3.48 GiB of 4 GiB (87%)\n"
            "post-GC heap floor over 7 days: 1.55-1.66 GiB (flat)\n[OK] JVM heap usage > 85% at 10:15:30\n"
            "OOMKilled / OutOfMemoryError: none; restarts 0")
    assert "memory_growth" not in str(rank(Evidence("JVM heap usage > 85%", heap))[0])
    assert diagnose(Evidence("JVM heap usage > 85%", heap)).action != "RESTART"
    assert diagnose(Evidence("JVM heap usage > 85%", heap.replace("none", "3 in 1h"))).action == "RESTART"
    runbook = ("fhir-gateway 5xx ratio 6.8% over 10m\n"
               " - runbook_excerpt = \"Step 1: if pods show OOMKilled, restart the deployment.\"\n"
               "3 pods Running, restarts=0, mem=41% of limit")
    assert diagnose(Evidence("HighHTTP5xxRatio", runbook)).outcome == "human"


def test_rates_in_millions_or_beside_now_are_demand_and_a_change_date_is_no_idle_window():
    assert read("ALB RequestCount per 5m: 1.92M vs 0.83M same window last Monday").demand_ratio == pytest.approx(
        1.92 / 0.83)
    assert read("ALB RequestCount (Sum/5min): 186,400 now vs 66,300 same time last Tuesday").demand_ratio == (
        pytest.approx(186_400 / 66_300))
    assert read("partner doubled request volume at 13:45").features >= {"traffic_rising"}
    ebs = ("AWS Health: increased I/O latency for a subset of EBS volumes in use1-az4\n"
           "Threshold Crossed: 3 datapoints [2840.0] were greater than the threshold (500.0).\n"
           "no deploy or config change since 2024-10-11; process CPU 9%")
    assert "long_window" not in read(ebs).features
    assert diagnose(Evidence("attr-writer-p99-write-latency", ebs)).action != "SCALE_DOWN"


def test_one_callers_burst_a_dependencys_recovery_and_a_restart_on_purpose():
    one = ("Kong 429 responses 1,430/min on route formulary-v2\nTop consumer: pbm-partner  (1,412/min of 1,430)\n"
           "other consumers: 0 throttled, p95 48 ms")
    assert diagnose(Evidence("429 rate high", one)).action == "NOOP"
    spin = ("value: 1.98 cores of 2 for 35m; rps to pod flat vs last week\n"
            "WARN refresh loop: redis unreachable, retrying (backoff=0s) -- redis recovered at 09:11:40")
    said = rank(Evidence("HighCPU", spin))[1]
    assert "dependency_recovered" in said and "recovered" not in said  # redis came back, not this service
    assert diagnose(Evidence("HighCPU", spin)).action == "RESTART"
    drain = ("Normal  ScaleDown  cluster-autoscaler  deleting pod for node scale down\n"
             "Terminated: exitCode 143 (SIGTERM), OOMKilled: false\nreplacement pod Ready at 14:06:55\n"
             "deployment 12/12 available since 14:06:55; pixel 2xx 99.97% throughout")
    assert diagnose(Evidence("pod terminated unexpectedly: exit code 143", drain)).action == "NOOP"
    flapping = ("Server be/ds-03 is DOWN, reason: Layer7 timeout\nServer be/ds-03 is UP, reason: Layer7 check passed\n"
                "same DOWN/UP cycle on ds-01 and ds-02 in turn, 17 transitions in 30 min")
    assert diagnose(Evidence("HAProxy backend flapping", flapping)).outcome == "human"


def test_an_envoy_reset_a_thread_pool_and_a_start_that_a_dependency_fails():
    reset = ("5xx ratio 7.4%; pods 6/6 Ready, restarts 0\n"
             "envoy: upstream connect error or disconnect/reset before headers. reset reason: connection termination")
    assert diagnose(Evidence("5xx ratio above 5%", reset)).outcome == "human"
    threads = ("Tomcat currentThreadsBusy 200 / maxThreads 200: thread pool exhausted\n"
               "throughput 5,760 rpm vs 3,600 rpm same hour last Wednesday; Hikari pool active 14/30, waiting 0")
    assert diagnose(Evidence("Tomcat thread pool exhausted", threads)).action == "SCALE_UP"
    fatal = ("CrashLoopBackOff (restarts 9)\n"
             "FATAL startup check failed: endpoint https://edi.example.com/270 returned 503 Service Unavailable\n"
             "status.example.com: \"Major outage - eligibility API unavailable since 09:55 UTC\"")
    assert diagnose(Evidence("KubePodCrashLooping", fatal)).outcome == "human"
    patched = ("apt history: Commandline: /usr/bin/unattended-upgrade Upgrade: libc6:amd64 (2.35-0ubuntu3.7, 3.8)\n"
               "reboot at 03:30 for kernel; Jenkins deploy indexer 2.7.1 at 06:15\n"
               "06:21 kernel: indexer[48211]: segfault at 7ffd3c9e1ff8 error 6 in libc.so.6")
    assert "platform_change" in rank(Evidence("indexer segfaults", patched))[1]
    assert diagnose(Evidence("indexer segfaults", patched)).outcome == "human"


def test_questions_between_two_causes_and_more_words_of_doubt_are_doubt():
    for doubt in ("#identity 13:14 @kai: flag or failover?", "<omar> no proof either way yet",
                  "throttling says more CPU, the shard says the DB is the bottleneck. which one?",
                  "it was already climbing before 2.4.0, but 5x steeper since. roll back or bounce? I can't call it"):
        assert "uncertain" in rank(Evidence("alert", doubt))[1], doubt
    assert "uncertain" not in rank(Evidence("alert", "@kai: rolled back 2.4.2 at 14:10, errors gone"))[1]


def test_storage_that_stalls_every_io_is_no_hang_to_restart():
    stall = ("load average: 38.12, 36.90, 31.44\n%Cpu(s):  8.9 us,  3.1 sy, 16.7 id, 71.0 wa\n"
             "PID 7712 photo-archive-sync: 31 of 40 threads in D state\n"
             "iostat -x dm-3: r_await 412.0 ms, w_await 1880.3 ms, %util 100.0")
    assert diagnose(Evidence("Current Load CRITICAL", stall)).outcome == "human"


def test_partial_probes_flapping_backends_and_recoveries_by_state_change():
    partial = ("PingdomAlert: DOWN current-conditions-api\nReason: Timeout (> 30s)\nProbes failing: Sydney, Singapore\n"
               "Probes passing: Frankfurt, London, Dallas, Toronto (avg 210 ms)")
    assert "recovered" not in rank(Evidence("PingdomAlert: DOWN", partial))[1]
    flapping = ("Server profile_search/search-07 is DOWN, reason: Layer7 timeout\n"
                "Server profile_search/search-07 is UP, reason: Layer7 check passed, code: 200\n"
                "14 DOWN/UP transitions on 4 of 6 servers in 30 min, each lasting 10-40 s")
    assert diagnose(Evidence("HAProxyBackendServerDown", flapping)).outcome == "human"
    checkmk = ("growth-app-02 - HTTP referral-rewards /health OK -> WARN: 2.412 second response time\n"
               "growth-app-02 - HTTP referral-rewards /health WARN -> OK: 0.031 second response time\n"
               "Service history 06:26-07:05: OK on all 39 checks")
    assert diagnose(Evidence("HTTP referral-rewards /health OK -> WARN", checkmk)).action == "NOOP"
    pingdom = ("06:41:12 DOWN customer-portal Timeout (> 30s) from Frankfurt\n06:43:10 UP customer-portal 200 OK\n"
               "checks since recovery: 24/24 UP, average response 388 ms")
    assert diagnose(Evidence("Pingdom: customer-portal is DOWN", pingdom)).action == "NOOP"


def test_a_test_page_a_clients_retry_loop_and_workers_stuck_on_a_lock():
    page = "TEST: verify notifier escalation policy\ndescription: testing the new escalation policy, please ack"
    assert diagnose(Evidence("TEST: verify notifier escalation policy", page)).action == "NOOP"
    retry = ("api_key_id=ak_7731 count=38,604 (429: 98%)\nclient sends ~130 req/s in a tight retry loop\n"
             "5xx rate 0.02% (normal)")
    assert "cpu_runaway" not in str(rank(Evidence("edge 4xx count above threshold", retry))[0])
    stuck = ("phpfpm_active_processes 50, phpfpm_idle_processes 0, listen queue 128 (max)\n"
             "GET /fpm-status?full: 50 of 50 processes state 'Running', request duration 1780-1812 s\n"
             "[0x00007f2a9c0141d0] flock() /var/www/selfservice/lib/PdfCache.php:58\n"
             "requests/min 640 (Tuesday last week 655); no deploy since 2025-01-30")
    assert "traffic_flat" in read(stuck).features
    assert diagnose(Evidence("PhpFpmMaxChildrenReached", stuck)).action == "RESTART"


def test_usage_of_another_resource_is_no_cpu_figure():
    assert "high_cpu" not in read("[Triggered] hls-packager memory usage above 90%").features
    assert "high_cpu" not in read("disk usage above 91% on /var/lib/tiles").features
    assert "high_cpu" in read("usage above 95% for 10m on all cores").features


def test_a_check_failing_from_some_locations_is_no_outage_or_hang_of_ours():
    partial = ("Pingdom: stop-finder-web is DOWN\nReason: Timeout (> 30 s) from Tokyo, Osaka\n"
               "checks from Paris, Chicago, Toronto: UP, 210-330 ms\npods 6/6 Ready, no restarts")
    said = rank(Evidence("Pingdom: stop-finder-web is DOWN", partial))[1]
    assert "partial_reach" in said
    assert diagnose(Evidence("Pingdom: stop-finder-web is DOWN", partial)).action != "RESTART"
    ok_elsewhere = "Timeout from probes Madrid, Lisbon; OK from Boston, Denver, Perth"
    assert "partial_reach" in rank(Evidence("site DOWN", ok_elsewhere))[1]
    everywhere = "DOWN from all 9 locations; error rate up from 1% to 40%"
    assert "partial_reach" not in rank(Evidence("site DOWN", everywhere))[1]


def test_attributes_data_pushes_and_no_op_runs_are_no_deploys():
    docker = ("2025-02-11T08:14:02.118Z container die 1f0a9c2b (exitCode=139, image=reg.local/route-render:2.2.0)\n"
              "route-render 2.2.0 running since 2025-01-20; host packages unchanged since January")
    assert deploy_age(docker)[0] is None
    assert deploy_age("last sensor batch pushed to historian: 07:10:05 (now 07:48)")[0] is None
    assert deploy_age("config pushed 07:10; first 5xx 07:12")[0] == 2
    assert deploy_age("salt highstate 04:10: 0 changes\npanic at 04:31")[0] is None


def test_timeouts_beside_a_fast_health_check_and_idle_workers_are_no_hang():
    slow = ("value: 9.8% of requests hit the 15s ingress timeout\n"
            "upstream timed out (110) while reading response header\nthe same pods answer /healthz in 3 ms\n"
            "py-spy dump: workers idle in epoll_wait\nno WORKER TIMEOUT lines")
    assert diagnose(Evidence("route-api request timeouts > 5%", slow)).action != "RESTART"


def test_page_cache_is_no_leak_and_a_flat_until_that_grows_is_growth():
    cache = ("memory usage / limits 0.94 on tile-packer\n"
             "rss 380MiB of 2GiB; cache 1.5GiB (tiles written and read back)\n"
             "working_set 0.9GiB, flat since Monday\nOOM events: none; restarts: 0")
    assert diagnose(Evidence("tile-packer memory usage above 90%", cache)).action != "RESTART"
    grows = ("working set: ~400Mi flat until Mon 10:00, 640Mi Tue 08:00, 910Mi Tue 16:00 of 1Gi\n"
             "requests/min flat vs last week; no deploy since January")
    assert diagnose(Evidence("sched-api memory working set > 85% of limit", grows)).action == "RESTART"


def test_an_ongoing_flap_and_a_reporter_who_doubts_the_symptom():
    flap = ("kube_deployment_status_replicas_available: 2 of 4 (flapping between 2 and 4 for 30 min)\n"
            "Readiness probe failed: HTTP probe failed with statuscode: 503 on all 4 pods\nno deploy since May")
    assert "recovered" not in rank(Evidence("replicas unavailable", flap))[1]
    doubt = "no data for 10m from poller\n@oncall: the HMI still shows live values, I'm not sure it is actually stuck"
    assert "uncertain" in rank(Evidence("poller no data", doubt))[1]


def test_a_rate_against_a_baseline_in_the_same_unit_is_demand():
    assert read("inbound 3,100 msg/min at 09:10 vs mean 1,400 msg/min on past Fridays").demand_ratio > 2
    assert read("sent: 8,800 per 5 min (avg 09:00-10:00 over 4 weeks: 2,900 per 5 min)").demand_ratio > 2.5
    # the units differ: two figures of different kinds are no ratio
    assert read("1,900 req/s (usual p95 400 ms)").demand_ratio is None
    # disconnects and drops against their usual rate are failures, not demand
    assert read("socket disconnects 2,400/min (typical 80/min)").demand_ratio is None


def test_a_demand_figure_against_a_baseline_named_by_its_day_is_demand():
    assert read("requests/s 2,480 (thursday 11:00 baseline: 800)").demand_ratio == pytest.approx(3.1)
    assert read("match-day requests 412k (fixture-night baseline ~130k)").demand_ratio == pytest.approx(3.17, abs=0.01)
    # a figure of another kind inside the brackets, or failing requests, are no demand against a baseline
    assert read("requests 900 (p99 latency baseline 120)").demand_ratio is None
    assert read("requests failing 2,480 (thursday baseline: 800)").demand_ratio is None


def test_one_caller_behind_nearly_all_of_a_breakdown_is_read_from_the_numbers():
    table = "HTTP 422 on POST /v1/scans\nby user_agent: scan-app/3.0 (device D-88) 4,120 | scan-app/3.2 9 | web 2"
    assert "one_caller" in read(table).features
    assert diagnose(Evidence("scans 4xx above threshold", table + "\n5xx: 0")).outcome == "benign"
    rows = ("count by (status, client_id):\n  status=401 client_id=kiosk-fleet  9,310\n"
            "  status=401 client_id=(all others)  44")
    assert "one_caller" in read(rows).features
    assert "one_caller" in read("api key ak_…77 sent 6,050 of the 6,200 429s").features
    spread = "by client: ios 1,300 | android 1,150 | web 990"
    assert "one_caller" not in read(spread).features
    assert "one_caller" not in read("by client: kiosk 9 | web 1").features  # too few to say anything


def test_doubt_phrased_as_an_open_question_or_no_way_to_tell():
    for doubt in ("#team 10:02 ana: leak? or just the bigger import batch", "either the download is slow or the "
                  "loader is wedged, and no progress metric to tell which", "we can't pin it on the LB or the app"):
        assert "uncertain" in rank(Evidence("worker memory high", doubt))[1], doubt


def test_a_dated_deploy_and_another_services_deploy_are_not_a_fresh_one_of_ours():
    dated = "release 4.1.0 deployed 2024-03-02, no errors until today 09:15"
    assert deploy_age(dated)[0] is None
    assert "recent_deploy" not in read(dated).features
    assert deploy_age("deployed 2024-03-02 09:05, first errors 09:15")[0] == 10
    assert deploy_age("commit 'chore: bump orders-api to 3.2.0' at 10:05; p99 doubled from 10:07")[0] == 2
    assert deploy_age("bumped the retry budget at 10:05; p99 doubled from 10:07")[0] is None
    # a word that starts like a month ("marked", "decided") dates nothing
    assert deploy_age("helm upgrade done, marked 2 pods unready at 10:05; errors from 10:07")[0] == 2
    theirs = "ledger-sync: 0 errors since its deploy at 10:40"
    assert "recent_deploy" not in read(theirs, None, "billing-api").features


def test_our_own_name_holding_a_backing_services_word_is_no_outage_of_it():
    crash = ("Last State: Terminated  Reason: Error  Exit Code: 1\n"
             "** (ArgumentError) the table identifier does not refer to an existing ETS table\n"
             "Kernel pid terminated (application_controller) ({application_terminated,order_broker,shutdown})\n"
             "no deploy in 9 days")
    assert diagnose(Evidence("KubePodCrashLooping", crash, container_name="order-broker")).action == "RESTART"


def test_a_failed_run_that_later_runs_made_good_and_a_host_flap_are_recoveries():
    job = ("Job reports/nightly-export-2891 failed: exit code 1, backoffLimit 0\n"
           "the next 6 runs: 6/6 Complete")
    assert "recovered" in rank(Evidence("KubeJobFailed", job))[1]
    flap = "HOST ALERT: db-relay-2;DOWN;HARD;3;PING CRITICAL\nHOST ALERT: db-relay-2;UP;HARD;1;PING OK"
    assert "recovered" in rank(Evidence("db-relay-2 is DOWN", flap))[1]
    assert "recovered" in rank(Evidence("probe FAIL", "12:01 FAIL 503\n12:02..12:40 OK x39"))[1]


def test_a_passing_liveness_probe_and_a_json_exit_code_137_without_oom():
    unready = ("Readiness probe failed: HTTP probe failed with statuscode: 503\n{\"status\":\"DOWN\"}\n"
               "restarts 0, liveness OK; the other replicas serve all traffic")
    assert diagnose(Evidence("KubePodNotReady", unready)).action != "RESTART"
    killed = ('{"terminated":{"exitCode":137,"reason":"Error"}}\nOOMKilled: false\n'
              "memory flat at 35% of limit before each kill")
    assert "unexplained_kill" in rank(Evidence("container restarted", killed))[1]


def test_locations_listed_with_their_own_states_are_a_partial_reach():
    for listed in ("Probe locations failing: Tokyo, Mumbai; OK: Boston, Lima",
                   "Probe results last 10 min: Oslo DOWN, Rome DOWN, Kyiv UP, Porto UP"):
        assert "partial_reach" in rank(Evidence("Pingdom: web is DOWN", listed))[1], listed
    assert "partial_reach" not in rank(Evidence("Pingdom: web is DOWN", "Probe locations failing: all 6"))[1]


def test_an_empty_listen_queue_is_no_saturation_and_a_denied_change_is_no_deploy():
    idle = "php-fpm status: active processes 3, idle processes 29, listen queue 0, max children reached 0"
    assert diagnose(Evidence("HTTP booking CRITICAL", idle + "\nSocket timeout after 10 seconds")).action != "SCALE_UP"
    denied = ("systemctl: active (running) since Tue 2024-05-14 06:02:11\n"
              "no package or config change since 2024-05-14 06:00")
    assert "recent_deploy" not in read(denied).features


def test_a_node_group_update_beside_our_deploy_and_open_doubt_go_to_a_human():
    both = ("5xx ratio 11% since 09:12\nArgoCD: scan-api synced to v2.0.1 at 09:10\n"
            "managed node group 'scan-ng' update to AMI 1.29.3 started 09:04, 4 of 8 nodes replaced so far\n"
            "errors on new-AMI nodes 17%, on old-AMI nodes 5%")
    assert diagnose(Evidence("ScanApiErrorBudgetBurn", both, container_name="scan-api")).outcome == "human"
    for doubt in ("@oncall a rollback might fix half of it, or it is all stale cache after the failover",
                  "either the pusher leaks on timeout or the remote servers are just slow",
                  "we need the owner to check the sample rate"):
        assert "uncertain" in rank(Evidence("alert", doubt))[1], doubt


def test_a_check_named_in_quotes_that_is_up_again_and_a_flap_that_repeats():
    back = 'healthchecks: The check "nightly-import" is DOWN (last ping 36 min ago)\nThe check "nightly-import" is UP'
    assert "recovered" in rank(Evidence("nightly-import is DOWN", back))[1]
    flapping = ("Server pool/api3 is DOWN, reason: Layer7 timeout\n"
                "Server pool/api3 is UP, reason: Layer7 check passed\n"
                "the UP/DOWN pair repeated 9 times in 40 min for api3")
    assert diagnose(Evidence("HaproxyServerDown", flapping)).outcome == "human"


def test_a_breakdown_by_a_prefixed_caller_field_with_rates():
    grouped = ("429 responses 2,300/min\n@http.status_code:429 grouped by @usr.api_key_name: 'poller-x' 2,281/min, "
               "all others 19/min")
    assert "one_caller" in read(grouped).features


def test_a_runtime_banner_is_no_release_and_a_deploy_asked_about_is_no_deploy():
    banner = ("Mar 04 09:12:40 host-7 node[881]: TypeError: Cannot read properties of null (reading 'id')\n"
              "Mar 04 09:12:40 host-7 node[881]: Node.js v18.19.0\n"
              "Mar 04 09:12:41 host-7 systemd[1]: invoice-sender.service: Main process exited, status=1/FAILURE")
    assert "recent_deploy" not in read(banner, service="invoice-sender").features
    asked = "p95 3.1s since 11:02\n11:40 @dev: is this the pricing-gateway deploy?\n11:41 @ops: no idea"
    assert "recent_deploy" not in read(asked, service="cart-api").features


def test_a_flag_flipped_while_the_image_stayed_is_a_change_unless_flags_are_denied():
    flipped = ("Unleash audit: toggle checkout.new-tax-engine enabled for 100% by j.doe\n"
               "errors by engine: new 8,200 | old 0\nimage checkout-api 3.1.0 unchanged since 2024-03-02")
    assert "recent_deploy" in read(flipped, service="checkout-api").features
    denied = flipped.replace("image checkout-api 3.1.0 unchanged", "no flag or config changes")
    assert "recent_deploy" not in read(denied, service="checkout-api").features


def test_counters_at_zero_over_a_window_pool_stats_at_their_limit_and_autoscaler_removals():
    disk = ("write /data/spool/tmp/7.part: no space left on device\nvolume /data 99.8% used\n"
            "GCS upload errors in the last 30m: 0")
    assert diagnose(Evidence("Disk almost full on /data", disk)).action == "RESTART"
    pgx = ("ERR grant failed: acquire conn: context deadline exceeded\n"
           "pool stat: TotalConns=25 AcquiredConns=25 IdleConns=0 MaxConns=25")
    assert diagnose(Evidence("LootErrorBudgetBurn", pgx)).situation == "pool_exhaustion"
    removed = ("Normal ScaleDown cluster-autoscaler pod evicted from node ip-10-1-2-3 (node removed: underutilized)\n"
               "Normal Started kubelet Started container indexer\n[RESOLVED] KubePodNotReady, Ready for 40m")
    assert diagnose(Evidence("KubePodNotReady", removed)).action != "SCALE_DOWN"
    assert "replication_lag" in str(rank(Evidence("ReplicaLag alarm", "CloudWatch ReplicaLag db-replica-2: 900 s"))[0])


def test_more_ways_people_say_they_are_unsure_and_a_flap_cycle_that_goes_on():
    for doubt in ("the config change was 40 min earlier, which makes me doubt it",
                  "could be the codec bump or just this huge batch",
                  "no way to tell without a profile",
                  "both started within 2 min of each other",
                  "both changes fall within a minute of the first error",
                  "nobody on call is sure whether anything still uses that VIP"):
        assert "uncertain" in rank(Evidence("alert", doubt))[1], doubt
    cycling = ("Server be_api/api-1 is DOWN, reason: Layer7 timeout\nServer be_api/api-1 is UP, reason: Layer7 check "
               "passed\nsame cycle every 5-8 minutes since 08:10 (6 cycles)")
    assert "recovered" not in rank(Evidence("HAProxy backend down", cycling))[1]


def test_a_symptom_before_the_deploy_a_failed_ci_job_another_services_workflow_and_a_cron_run_are_no_release():
    first = ("Deployed quote-api 3.2.0 by jenkins at 09:30\n"
             "latency first went above 1.5s at 09:12, 18 minutes before that deploy")
    assert "recent_deploy" not in read(first, service="quote-api").features
    ci = "Jenkins: ledger-export #812 FAILED (nightly 02:15)\nERROR job exited with code 1"
    assert "recent_deploy" not in read(ci, service="ledger-export").features
    theirs = ("GitHub Actions: workflow 'deploy-prod' for case-portal-web completed at 10:30\n"
              "lookup-api 5xx 8% since 10:34")
    assert "recent_deploy" not in read(theirs, service="lookup-api").features
    cron = ("CronJob nightly-rollup (image rollup-loader, schedule '0 2 * * 0') started the pod at 02:00\n"
            "memory 88% of limit at 02:15")
    assert "recent_deploy" not in read(cron, service="rollup-loader").features
    reconciled = "Flux: last reconcile of shop kustomization 11:00:12 'no changes'\npanic at 11:03"
    assert "recent_deploy" not in read(reconciled, service="cart-api").features


def test_lock_order_inversion_a_vendor_outage_note_a_brief_blip_and_a_systemd_restart_setting():
    inverted = ("consumer frozen, unacked 40 unchanged for 30m\n"
                "batcher.py:88 waits on _auth_lock while holding _batch_lock; "
                "auth.py:61 waits on _batch_lock while holding _auth_lock")
    assert diagnose(Evidence("worker check is DOWN", inverted)).situation == "hang"
    vendor = ("connect mcs-1:5001 failed: Connection refused\n"
              "vendor engineer in chat 03:02: the control servers are rebooting for a disk swap, down until 04:30")
    assert diagnose(Evidence("adapter restarting", vendor)).outcome == "human"
    segv = ("SIGSEGV (0xb) at pc=0x00007f52e91c3a10\nMain process exited, code=killed, status=6/ABRT\n"
            "unit has Restart=no, so it is still down")
    assert diagnose(Evidence("unit entered failed state", segv)).action == "RESTART"
    blip = ("DOWN: shop-widget is down since 14:03:11. Reason: Timeout (> 30s)\n"
            "UP: shop-widget is UP again at 14:04:11, after 1m of downtime\n"
            "Cloudflare: brief origin timeouts from one PoP at 14:03; uptime since then 100%")
    assert diagnose(Evidence("DOWN alert: shop-widget", blip)).outcome == "benign"


def test_more_doubt_a_past_recovery_another_replica_healthy_and_a_watchdog_script_are_read_as_written():
    for doubt in ("the portal change might be cancelling requests, or the timing is a coincidence",
                  "fpm is full of curl waits but the server says it answered fast, don't get it",
                  "it dipped like this before and I never found out why",
                  "either our client pool is wedged or the calls die in the mesh, the logs don't settle it",
                  "those lots might or might not be dispatchable",
                  "not sure the empty list is wrong"):
        assert "uncertain" in rank(Evidence("alert", doubt))[1], doubt
    past = "apdex 0.61\nit dipped like this in August and came back on its own"
    assert "recovered" not in rank(Evidence("Apdex low", past))[1]
    other = "task exited with code 101 (panicked)\nthe other allocation (client-03) is healthy"
    assert "recovered" not in rank(Evidence("allocation terminated", other))[1]
    script = "POST /hooks from ops-watchdog.py: check dispatch_list_nonempty FAIL for 20 minutes"
    assert diagnose(Evidence("dispatch_list_nonempty FAIL", script)).outcome != "benign"
    assert "recovered" in rank(Evidence("agent not available", "Resolved at 04:06:41, duration 4m 30s"))[1]


def test_over_long_runs_are_cut_before_any_pattern_reads_them() -> None:
    assert bounded_runs("1" * 2000) == "1" * MAX_RUN
    assert bounded_runs("x" + " " * 500 + "y") == "x" + " " * MAX_RUN + "y"
    assert bounded_runs("1." * 1000) == "1." * (MAX_RUN // 2)
    assert bounded_runs("- " * 40 + "end") == "- " * (MAX_RUN // 2) + "end"
    blob = "token=" + base64.b64encode(bytes(range(256)) * 2).decode()
    assert bounded_runs(f"{blob} ok") == f"{blob[:4 * MAX_RUN]} ok"
    assert bounded_runs("id 1234567890123456789012345678901234567890") == "id " + "12345678901234567890123456789012"
    ordinary = ("java.lang.OutOfMemoryError: Java heap space\n        at com.example.Cache.put(Cache.java:88)\n"
                "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 trace 4bf92f3577b34da6\n"
                "request rate 412 rps (same hour last week 398 rps) ==== 1,024 pods ====")
    assert bounded_runs(ordinary) == ordinary  # nothing a real alert needs whole is cut


def test_text_built_to_make_the_readings_backtrack_is_diagnosed_like_its_short_form() -> None:
    # before the cut and the readings' rewrite (no two optional blanks side by side), a rate's figure followed by a
    # long blank made one reading try every split of the blank between its `\s*`s: 300 blanks took 43 s
    padded = "request rate 412 rps\n" + " " * 1900 + "\n(same hour last week 398 rps) 0.078\n" + "\t \n" * 30
    short = "request rate 412 rps\n" + " " * MAX_RUN + "\n(same hour last week 398 rps) 0.078\n"
    long_d = diagnose(Evidence("RequestRateHigh", padded, "warning", "api"))
    short_d = diagnose(Evidence("RequestRateHigh", short, "warning", "api"))
    assert (long_d.outcome, long_d.action, long_d.situation) == (short_d.outcome, short_d.action, short_d.situation)
    assert read("0.078\n" + " " * 2000 + "x").features == read("0.078\n x").features



def test_a_release_that_ran_clean_for_an_hour_after_its_deploy_is_cleared():
    text = ("version 2.41.0 deployed 09:05 UTC; canary 09:05-09:35 clean; error rate 0.2% from 09:35 to 14:18\n"
            "errors begin 14:19 UTC: NullPointerException in SeatAssignmentMapper")
    assert "recent_deploy" not in read(text).features
    assert diagnose(Evidence("checkin-api error rate above 5%", text)).action != "ROLLBACK"
    assert "recent_deploy" not in read("release 4.18.2 deployed 09:10 utc; 0 events of this issue between 09:10 and "
                                       "14:52 across 61k sessions").features
    # a clean stretch before the deploy, or one shorter than an hour, clears nothing
    before = "error rate 0.2% from 07:00 to 09:58; v3.2 deployed 10:00; errors 14% from 10:01"
    assert "recent_deploy" in read(before).features
    assert "recent_deploy" in read("v3.2 deployed 10:00; canary 10:00-10:20 clean; full rollout 10:21, errors "
                                   "from 10:22").features


def test_connections_another_application_holds_are_not_our_pool_to_restart():
    rows = ("HikariPool-1 - Connection is not available, request timed out after 30000ms.\n"
            "FATAL: sorry, too many clients already\n"
            "select application_name, count(*) from pg_stat_activity group by 1 order by 2 desc;\n"
            " usage-reporting    | 431\n billing-api        |  12\n pgbouncer-admin    |   2")
    assert "pool_held_elsewhere" in read(rows, service="billing-api").features
    d = diagnose(Evidence("billing-api DB connection acquire timeouts", rows, container_name="billing-api"))
    assert (d.outcome, d.situation) == ("human", "external_dependency")
    lock = ("HikariPool-1 (oms-api) total=20 active=18 idle=2 waiting=41\n"
            "pid 27310 application_name=outage-merge-job state='idle in transaction' xact_start 13:02:44")
    assert "pool_held_elsewhere" in read(lock, service="oms-api").features
    # our own application holding them, under a short form of its name, is our pool
    ours = ("QueuePool limit of size 10 overflow 20 reached\npg_stat_activity where application_name='verif-api': "
            "30 sessions, 27 'idle in transaction'")
    assert "pool_held_elsewhere" not in read(ours, service="forecast-verification-api").features
    mine = rows.replace("usage-reporting    | 431", "usage-reporting    |  20").replace("|  12", "| 410")
    assert "pool_held_elsewhere" not in read(mine, service="billing-api").features
    assert "pool_held_elsewhere" not in read(rows).features  # no service named: nobody to compare with


def test_a_slower_step_is_no_demand_and_producers_as_before_are_flat_demand():
    assert read("batch processing time 1.75x normal, spread evenly over all steps").demand_ratio is None
    assert read("p50 request duration 2.1x baseline").demand_ratio is None
    assert "traffic_flat" in read("produce 57k msg/s, flat vs last monday").features
    assert "traffic_flat" in read("produce rate 1,000 msg/s, same as the last 7 days").features
    assert read("rps 3.1x same time last week").demand_ratio == pytest.approx(3.1)  # 'time' alone is still demand
    text = ("Kafka lag high: total lag 412,000 (threshold 100,000), growing ~120/s\n"
            "committed offsets advancing on all 12 partitions, consume rate 880 msg/s\n"
            "produce rate 1,000 msg/s, same as the last 7 days\npods 6/6 Running, CPU 35%")
    assert diagnose(Evidence("Kafka lag high", text)).action != "SCALE_UP"


def test_a_deploy_of_a_service_named_before_its_task_definition_or_image_is_not_ours():
    text = ("ECS service dispatch-gateway: 18/18 tasks RUNNING\n"
            "ECS deployment completed 18:47 UTC: receipt-renderer task definition :212 -> :213\n"
            "p95 2.41s at 18:55")
    assert "recent_deploy" not in read(text, service="dispatch-gateway").features
    assert "recent_deploy" in read(text, service="receipt-renderer").features
    assert "recent_deploy" in read(text.replace("receipt-renderer", "dispatch-gateway"),
                                   service="dispatch-gateway").features


def test_only_the_table_after_a_connections_query_says_who_holds_them():
    # "name: count" lines elsewhere in the text are no table of connection holders
    text = ("FATAL: sorry, too many clients already (pg_stat_activity shows 498 of 500)\n"
            "billing-api pool: max 20 per pod\nerrors: 4,120\nrestarts: 3")
    assert "pool_held_elsewhere" not in read(text, service="billing-api").features
    table = ("select application_name, count(*) from pg_stat_activity group by 1;\n"
             " application_name | count\n------------------+-------\n etl-nightly | 380\n billing-api | 40")
    assert "pool_held_elsewhere" in read(table, service="billing-api").features


def test_connections_listed_by_state_add_up_per_application():
    held = ("HikariPool-1 - Connection is not available, request timed out after 30001ms (total=4, active=4)\n"
            "psql> select application_name, state, count(*) from pg_stat_activity group by 1,2 order by 3 desc;\n"
            " bi-nightly-extract | idle in transaction | 311\n putaway-service    | idle                |  22\n"
            " wms-api            | active              |  18")
    assert "pool_held_elsewhere" in read(held, service="wms-api").features
    d = diagnose(Evidence("wms-api HikariCP connection timeouts", held, container_name="wms-api"))
    assert d.action == "NOOP" and d.outcome == "human"
    # our own rows in two states add up to more than half of the top holder's: our pool, not theirs
    ours = held.replace("putaway-service    | idle                |  22", "wms-api | idle | 160")
    assert "pool_held_elsewhere" not in read(ours, service="wms-api").features


def test_an_oom_kill_after_memory_level_for_days_is_one_input_not_a_leak():
    text = ("Container replenishment-worker terminated: OOMKilled (exit 137), restart count 4 in 50m\n"
            "Task replen.import_location_master received; rows=2,412,880\n"
            "worker memory before this task: steady ~610Mi for 9 days; limit 4Gi")
    d = diagnose(Evidence("KubeContainerOOMKilled", text, container_name="replenishment-worker"))
    assert (d.action, d.outcome, d.situation) == ("NOOP", "human", "fails_the_same_way")
    growing = text.replace("steady ~610Mi for 9 days", "climbing ~40Mi/h for 9 days")
    assert diagnose(Evidence("KubeContainerOOMKilled", growing, container_name="replenishment-worker")).action \
        == "RESTART"


def test_a_unit_whose_executable_is_gone_fails_every_start():
    text = ("ocr-queue-worker.service: Failed at step EXEC spawning /opt/ocr/venv/bin/celery: No such file or "
            "directory\nocr-queue-worker.service: Main process exited, code=exited, status=203/EXEC\n"
            "ocr-queue-worker.service: Start request repeated too quickly.")
    d = diagnose(Evidence("SERVICE CRITICAL - ocr-queue-worker.service", text, container_name="ocr-queue-worker"))
    assert (d.action, d.outcome) == ("NOOP", "human")


def test_an_html_page_where_a_partners_json_was_due_is_no_crash_to_restart():
    text = ("GenServer BatteryManager.ChargerSync terminating\n"
            "** (Jason.DecodeError) unexpected byte at position 0: 0x3C (\"<\")\n"
            "Kernel pid terminated (application_controller)\npod battery-manager-0 RESTARTS 11")
    d = diagnose(Evidence("battery-manager crash loop", text, container_name="battery-manager"))
    assert (d.action, d.situation) == ("NOOP", "external_dependency")


def test_noise_and_a_case_for_a_human_equally_supported_go_to_the_human():
    # the partner's maintenance page is what our poller crashes on: "scheduled maintenance" alone would be noise
    text = ("** (Jason.DecodeError) unexpected byte at position 0: 0x3C (\"<\")\n"
            "$ curl -s https://api.voltbay-chargers.com/v1/chargers | head -c 80\n"
            "<!DOCTYPE html><html><head><title>Scheduled maintenance</title>")
    ranked, _ = rank(Evidence("battery-manager errors", text, container_name="battery-manager"), (), shipped())
    assert ranked[0].score == ranked[1].score and {ranked[0].outcome, ranked[1].outcome} == {"benign", "human"}
    assert diagnose(Evidence("battery-manager errors", text, container_name="battery-manager")).outcome == "human"


def test_a_rollout_whose_new_pods_never_get_ready_goes_back_to_the_old_version():
    text = ("deployment wms-bff: desired 6, available 2 for 15m\n"
            "rs wms-bff-5c7d8f9b4 (image wms-bff:2024.06.18-1): 4 desired, 0 ready; rs wms-bff-78b9c6d5f "
            "(wms-bff:2024.06.11-3): 2 ready\nWarning BackOff kubelet Back-off restarting failed container bff\n"
            "Error: Cannot find module '/app/dist/server.js'")
    d = diagnose(Evidence("KubeDeploymentReplicasMismatch", text, container_name="wms-bff"))
    assert (d.action, d.situation) == ("ROLLBACK", "bad_deploy")
    pending = text.replace("Error: Cannot find module", "0/3 nodes are available: 3 Insufficient cpu; Error")
    assert diagnose(Evidence("KubeDeploymentReplicasMismatch", pending, container_name="wms-bff")).action \
        != "ROLLBACK"


def test_what_scales_with_demand_as_usual_says_nothing_of_flat_demand():
    assert "traffic_flat" not in read("go.goroutines scale with rps as usual").features
    assert "traffic_flat" in read("rps as usual, cpu 95%").features


def test_latency_that_stayed_low_for_hours_after_a_deploy_clears_it():
    text = ("Deploy marker: claims-search-api v5.4.0 at 08:02 UTC (canary 10% 08:02-09:00, 100% from 09:00)\n"
            "p99 08:00-14:05: 310-420ms; p99 from 14:10: 3.9-5.1s\n91% of span time in postgresql.query")
    assert "recent_deploy" not in read(text, service="claims-search-api").features
    # latency already high in the span, or a span shorter than an hour, clears nothing
    assert "recent_deploy" in read(text.replace("310-420ms", "2.9-4.2s"), service="claims-search-api").features
    assert "recent_deploy" in read(text.replace("08:00-14:05", "08:00-08:40"), service="claims-search-api").features
    # a clean run after the first step of a rollout says nothing of the step that followed it
    flag = ("LaunchDarkly audit 15:03:12: changed targeting of flag 'fraud-score-v2-inline': rollout 10% -> 100%\n"
            "10:00-15:03 (flag at 10%): p99 240ms, slow traces 9.8%\np99 latency 4.2s since 15:04 UTC")
    assert "recent_deploy" in read(flag).features


def test_connections_counted_per_user_on_one_line_or_a_lock_holder_named_last_are_read():
    inline = ("Mysql2::Error::ConnectionError: Too many connections\nThreads_connected 500; max_connections 500\n"
              "processlist by user: timekeeping_sync 431 (Command=Sleep, Time>900), crew_roster 48, backup 1, other 20")
    assert "pool_held_elsewhere" in read(inline, service="crew-roster").features
    assert diagnose(Evidence("MySQL: Too many connections", inline, container_name="crew-roster")).action == "NOOP"
    ours = inline.replace("crew_roster 48", "crew_roster 390")
    assert "pool_held_elsewhere" not in read(ours, service="crew-roster").features
    lock = ("SELECT pid, state, wait_event_type, query FROM pg_stat_activity WHERE datname='wos';\n"
            "  18 rows  state=active  wait_event_type=Lock\n"
            "  pid 31877  state=idle in transaction  xact_start=13:21:04  usename=bi_report  application_name=PowerBI")
    assert "pool_held_elsewhere" in read(lock, service="workorder-scheduler").features
    assert "pool_held_elsewhere" not in read(lock.replace("PowerBI", "workorder-scheduler"),
                                             service="workorder-scheduler").features


def test_an_oom_kill_under_a_limit_a_policy_imposed_is_not_restarted():
    text = ("Container arrival-predictor has been OOMKilled 4 times in the last 50 minutes.\n"
            "limits.memory -> 1Gi (Deployment spec says 2560Mi; mutated by kyverno policy enforce-ns-mem-ceiling)\n"
            "requests/s over 24h: 405-418, flat")
    d = diagnose(Evidence("KubernetesContainerOomKiller", text, container_name="arrival-predictor"))
    assert (d.action, d.situation) == ("NOOP", "fails_the_same_way")
    own = text.replace("(Deployment spec says 2560Mi; mutated by kyverno policy enforce-ns-mem-ceiling)", "")
    assert diagnose(Evidence("KubernetesContainerOomKiller", own, container_name="arrival-predictor")).action \
        == "RESTART"


def test_idle_replicas_kept_on_purpose_are_left_alone_and_a_pending_decision_goes_to_a_human():
    standby = ("order-portal (cluster prod-dr-westeurope): 6 replicas, avg CPU 0.8% over 30 days -- recommendation: "
               "right-size to 1 replica\ntraffic manager: prod-dr-westeurope weight 0 (warm standby)")
    d = diagnose(Evidence("Kubecost: right-size recommendation order-portal", standby, container_name="order-portal"))
    assert (d.action, d.outcome) == ("NOOP", "benign")
    surplus = standby.replace("weight 0 (warm standby)", "weight 0")
    assert diagnose(Evidence("Kubecost: right-size recommendation order-portal", surplus,
                             container_name="order-portal")).action == "SCALE_DOWN"
    held = ("vm-model-scorer: 20 replicas, avg CPU 3.2% over 14d\nannotation: do not scale below 20 before the "
            "capacity board review (CAP-601)\nCAP-601: sizing contested, decision deferred to the 11-14 meeting")
    d = diagnose(Evidence("vm-model-scorer low utilization 14d", held, container_name="vm-model-scorer"))
    assert (d.action, d.outcome) == ("NOOP", "human")


def test_a_pool_starved_by_a_lowered_limit_or_another_apps_load_is_a_humans():
    hikari = "HikariPool-1 - Connection is not available, request timed out after 30000ms. (total=30, active=30)\n"
    lowered = hikari + "CHG-7702 (DBA): max_connections 500 -> 200 on edc-prod-pg to reduce memory"
    assert diagnose(Evidence("HikariPool exhausted", lowered, container_name="edc-forms-api")).outcome == "human"
    assert diagnose(Evidence("HikariPool exhausted", hikari, container_name="edc-forms-api")).action == "RESTART"
    top = hikari + "pg_stat_statements top by total_time: user bi_reader, application Tableau, 6 concurrent copies"
    assert "pool_held_elsewhere" in read(top, service="market-settlement-api").features
    assert "pool_held_elsewhere" not in read(top.replace("bi_reader", "settlement"),
                                             service="market-settlement-api").features
    short = "SHOW PROCESSLIST: 100 connections from user qc, 97 in sleep"  # a short name that is the service's own
    assert "pool_held_elsewhere" not in read(short, service="qc-analyzer").features
    blocker = (hikari + "blocking pid 88213: usename=a.dba application_name=psql state=active "
               "'CREATE INDEX idx_keg_movements_serial ON keg_movements (keg_serial);'")
    assert "pool_held_elsewhere" in read(blocker, service="keg-ledger-api").features


def test_a_deploy_the_text_rules_out_or_a_rollback_it_forbids_is_not_rolled_back():
    text = ("query-mgmt-api 6.0.0 deployed 10:13 UTC (from 5.9.4); 5xx 3.1% on POST /queries/{id}/close\n"
            "ERROR: null value in column \"closed_reason_code\" violates not-null constraint")
    assert diagnose(Evidence("query-mgmt-api 5xx > 2%", text, container_name="query-mgmt-api")).action == "ROLLBACK"
    forbidden = text + "\nrelease manager: do NOT roll back to 5.9, it reads a column that is gone"
    assert diagnose(Evidence("query-mgmt-api 5xx > 2%", forbidden, container_name="query-mgmt-api")).outcome == "human"
    partner = text + "\nre-ran with the 5.9.4 image in staging against partner prod: same error. it's their schema"
    assert diagnose(Evidence("query-mgmt-api 5xx > 2%", partner, container_name="query-mgmt-api")).action \
        != "ROLLBACK"


def test_a_node_upgrade_is_the_platforms_change_not_a_deploy_of_the_service():
    text = "06:00:11 CRITICAL required secret not found\npod was recreated by a node upgrade at 05:59"
    assert "recent_deploy" not in read(text).features
    assert "recent_deploy" in read(text.replace("a node upgrade", "the exchange-gateway upgrade")).features


def test_when_people_say_a_restart_repeats_it_or_scaling_does_not_help_neither_runs():
    crash = ("KubePodCrashLooping ramp-forecast-service\n_pickle.UnpicklingError: pickle data was truncated\n"
             "CrashLoopBackOff, 9 restarts")
    assert diagnose(Evidence("KubePodCrashLooping", crash, container_name="ramp-forecast")).action == "RESTART"
    told = crash + "\n#forecasting: don't restart the surviving pod, it would pull v41 too"
    assert diagnose(Evidence("KubePodCrashLooping", told, container_name="ramp-forecast")).outcome == "human"
    queue = "queue randomize.requests depth 3,420 and rising\nengine pods 4/4 CPU 12%"
    assert diagnose(Evidence("RandomizationQueueBacklog", queue, container_name="rand-engine")).action == "SCALE_UP"
    waiters = queue + "; more pods only add lock waiters"
    assert diagnose(Evidence("RandomizationQueueBacklog", waiters, container_name="rand-engine")).action != "SCALE_UP"


def test_a_contracted_limit_someone_wants_lifted_is_a_business_decision_not_noise():
    text = ("429 Too Many Requests for tenant=sponsor-t17: quota 50 req/s per contract plan 'Standard'\n"
            "tenant-17 nightly warehouse sync is sending ~180 req/s; all other tenants < 5% of quota")
    assert diagnose(Evidence("sponsor-data-api 429 rate high", text, container_name="sponsor-data-api")).outcome \
        == "benign"
    asked = text + "\naccount manager: contract says 50/s, I need commercial sign-off before anyone changes it"
    assert diagnose(Evidence("sponsor-data-api 429 rate high", asked, container_name="sponsor-data-api")).outcome \
        == "human"


def test_the_owners_word_in_a_runbook_or_wiki_on_how_it_is_meant_to_run_counts():
    text = ("redis_memory_used_bytes / redis_memory_max_bytes = 0.99 (7.92GB / 8.00GB)\n"
            "INFO stats: evicted_keys ~1.2M/day (steady for 3 months), keyspace hit ratio 96.1%")
    assert diagnose(Evidence("RedisMemoryHigh", text, container_name="p2p-cache")).action == "RESTART"
    designed = text + "\nwiki 'p2p cache': 'this instance is meant to sit at maxmemory and evict'"
    assert diagnose(Evidence("RedisMemoryHigh", designed, container_name="p2p-cache")).action == "NOOP"
    # a runbook's step is still no observation: "restart if memory grows" says nothing of this incident
    step = text + "\nrunbook: if the pod's memory keeps growing, restart it"
    assert diagnose(Evidence("RedisMemoryHigh", step, container_name="p2p-cache")).action == "RESTART"


def test_a_restart_its_people_say_will_not_help_is_no_diagnosis_but_a_rollback_still_is():
    pool = ("HikariPool-1 - Connection is not available, request timed out after 30001ms (total=50, active=50)\n"
            "membership-svc pods: CPU 4%, heap 38%")
    assert diagnose(Evidence("DB connection pool exhausted", pool, container_name="membership-svc")).action == "RESTART"
    said = pool + "\n#membership: restarting our pods won't do anything, they'll just queue on the same lock"
    assert diagnose(Evidence("DB connection pool exhausted", said, container_name="membership-svc")).outcome == "human"
    deploy = ("http 500 rate 14% since 10:04, right after the deploy of 4.2.0\n"
              "restarting does not help: fresh pods fail the same request on the first hit")
    assert diagnose(Evidence("HTTP 5xx", deploy, container_name="orders-web")).action == "ROLLBACK"


def test_a_decision_the_owners_say_is_pending_stops_every_action_and_every_close():
    text = ("5xx began 4 minutes after the deploy of crew-payroll 2024.04.15\n"
            "psycopg2.errors.UndefinedColumn: column shifts.overtime_rate does not exist")
    assert diagnose(Evidence("crew-payroll 5xx", text, container_name="crew-payroll")).action == "ROLLBACK"
    pending = text + "\n#crew-systems: we need to decide: finish forward by hand or reverse step 2"
    d = diagnose(Evidence("crew-payroll 5xx", pending, container_name="crew-payroll"))
    assert (d.action, d.outcome) == ("NOOP", "human")


def test_demand_remembered_from_an_earlier_peak_is_no_demand_now_and_a_hot_key_is_a_humans():
    assert "traffic_rising" in read("opening hour at 6.8k rps (normal ~900)").features
    assert "traffic_rising" not in read("last year's opening hour peaked at 6.8k rps (normal ~900)").features
    shard = ("shard 3 engine CPU 99% (single thread); shards 1, 2, 4-6 at 8-14%\n"
             "redis-cli --hotkeys (shard 3): hot-key found with counter: 255")
    assert diagnose(Evidence("Redis engine CPU high", shard, container_name="ticket-redis")).outcome == "human"


def test_data_already_written_wrong_is_a_humans_even_when_the_service_is_healthy_again():
    recovered = ("rating-consumer rebalanced 14 times 21:08-23:35 during the broker restart, offsets committed late\n"
                 "rating-consumer now healthy, lag 0")
    assert diagnose(Evidence("RatingConsistencyCheckFailed", recovered)).outcome == "benign"
    damaged = diagnose(Evidence("RatingConsistencyCheckFailed", recovered + "\nrecon: +94,433 duplicates; ~61k players "
                                "have inflated ratings, each game applied twice"))
    assert damaged.outcome == "human" and damaged.situation == "data_damaged", damaged.justification
    # a crash that happens to print "corruption" is still a crash
    crash = diagnose(Evidence("KubePodCrashLooping", "double free or corruption (!prev)\nexit code 134 (SIGABRT); "
                              "no rollout in 6 days"))
    assert crash.action == "RESTART"


def test_a_job_or_a_restart_named_beside_damaged_data_or_failed_restarts_is_no_reason_to_close_or_restart():
    # systemd restarting it 48 times already: one more restart is no remedy (a fifth may still be a crash)
    gone = ("wx-bridge[4410]: error: open /dev/ttyUSB0: no such file or directory\n"
            "systemd[1]: wx-bridge.service: Main process exited, code=exited, status=1/FAILURE\n"
            "systemd[1]: wx-bridge.service: Scheduled restart job, restart counter is at 48.")
    assert diagnose(Evidence("wx-bridge.service failed", gone)).action != "RESTART"
    assert diagnose(Evidence("wx-bridge.service failed", gone.replace("48", "5"))).action == "RESTART"
    # a nightly job named beside rows missing on a replica, or as the usual user of a key now used from elsewhere
    missing = ("row count primary=48,221,907 replica-dc=48,219,344 (diff 2,563)\nnightly checksum job: 2,563 frames "
               "present on primary, missing on replica-dc although their commit LSNs are below replay_lsn")
    assert diagnose(Evidence("pg consistency primary vs replica", missing)).outcome == "human"
    export = ("NetworkOut greater than the upper band of the anomaly detection\nexport-bot is otherwise used only by "
              "the nightly mirror job from 10.20.0.0/16; x412 full exports since 03:14")
    assert diagnose(Evidence("NetworkOut anomaly", export)).outcome == "human"
    # a pod that "came back on the same node" after a reboot and crash-loops has not recovered
    looping = ("KubePodCrashLooping pos/pos-sync-6b8d9c7f5-m2r8k restarting 4.5 times / 10 minutes\n"
               "node was hard-rebooted 05:41, pod came back on same node with existing emptyDir")
    assert diagnose(Evidence("KubePodCrashLooping", looping)).outcome != "benign"


def test_words_that_only_look_like_a_recovery_a_lone_caller_or_a_deploy_are_read_as_what_they_are():
    # "SQLTransientConnectionException" (split into words as the alert name is) names an error, not a recovery; the
    # database's other clients being fine says the database is healthy, not that one caller misbehaves
    pool = ("Sentry: java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request "
            "timed out after 30000ms\nHikariPool-1 - Pool stats (total=40, active=40, idle=0, waiting=118)\n"
            "o2r-db (Postgres 15): 40 sessions from o2r-order-api in state 'idle'; db CPU 7%, other clients fine")
    assert diagnose(Evidence("SQLTransientConnectionException: HikariPool-1", pool)).action == "RESTART"
    # another alert's [RESOLVED] line is no recovery of the one firing; the same alert's is
    planner = ("[FIRING] O2rPlanFailures ratio=0.91 window=30m\n[RESOLVED] O2rOrderSyncLag 12:10-12:25\n"
               "ConfigMap o2r-planner-config changed 13:05: solver.time_limit_s 30 -> 3\npods rolled 13:06; failure "
               "ratio before 13:06 was 0.02")
    assert diagnose(Evidence("O2rPlanFailures", planner)).outcome != "benign"
    assert diagnose(Evidence("[FIRING:1] LoginRateSpike", "[FIRING:1] LoginRateSpike 12.8k rps\n[RESOLVED] "
                             "LoginRateSpike at 00:09 UTC, rps back to 4.1k")).outcome == "benign"
    # a resolver's answer is no version change
    assert "recent_deploy" not in read("dig sftp.partnerhub.eu @10.40.0.53 -> 185.60.8.22 OK").features
    assert "recent_deploy" in read("image 2.3.1 -> 2.4.0 at 10:02").features
    # a table's READY column ("SecretSyncedError   False") does not deny the status before it; "OOMKilled false" does
    table = ("Unhandled exception. OptionsValidationException: 'The Password field is required.'\n"
             "NAME                  STORE        REFRESH   STATUS              READY\n"
             "sap-rfc-weighbridge   vault-mill   1h        SecretSyncedError   False\n"
             "last deploy of weighbridge-gateway: 2024-05-02, 9 days ago")
    assert diagnose(Evidence("KubePodCrashLooping", table)).outcome == "human"
    assert diagnose(Evidence("KubePodCrashLooping", table.replace("   False", " False"))).action == "RESTART"
    # a volume 71% used is not full, whatever the alert's name; an archive kept by policy is no scratch to clear
    assert diagnose(Evidence("Free disk space is less than 30% on /var/lib/anpr/buffer", "PROBLEM: Free disk space is "
                             "less than 30% on /var/lib/anpr/buffer - used 71.4% of 2.0 TB")).action != "RESTART"
    kept = 'PersistentVolume is only 8.6% free\nconfig: archive.retention="keep-all" (set 2022 at planning request)'
    assert diagnose(Evidence("KubePersistentVolumeFillingUp", kept)).action != "RESTART"


def test_a_secret_missing_after_our_deploy_is_the_deploy_and_one_missing_without_it_a_humans():
    crash = ("Traceback (most recent call last):\n  File \"/app/settings.py\", line 48, in <module>\n"
             "KeyError: 'TTB_PAYGOV_TOKEN'\nexcise-reporter image 4.2.1 deployed 2024-05-25, no changes since")
    assert diagnose(Evidence("KubePodCrashLooping", crash)).outcome == "human"
    ours = ("14:02 deploy-bot: relay-api v5.2.0 rolled out\n14:03 KeyError: 'RELAY_SIGNING_SECRET'\n"
            "pods crash-looping since 14:03")
    assert diagnose(Evidence("KubePodCrashLooping", ours)).action == "ROLLBACK"
    # "no new version written" is no release; "rolled the deployment" is a restart, "rolled out" one a release
    assert "recent_deploy" not in read("vault audit: delete wtr/prod/push by rotation job, no new version "
                                       "written\nCreateContainerConfigError").features
    assert "recent_deploy" not in read("09:12 dana: I rolled the deployment at 09:07\nerrors since 09:08").features
    assert "recent_deploy" in read("rolled out the deployment of v2.4 at 09:07\nerrors since 09:08").features
    # the demand's baseline named after the word ("normal Tuesday afternoon ~380"); a queue's normal is no demand's
    assert read("requests/s 2,410 (normal Tuesday afternoon ~380)").demand_ratio == 2410 / 380
    assert read("sync jobs queued: 1,930 (normal backlog at this hour ~150)").demand_ratio is None
    # a vendor's own people changing their device is no release of ours
    vendor = ("gantry-mgmt change log: camera firmware 7.3.0 pushed by Vialux remote support to gantries G-115..G-122 "
              "at 01:40\nplate-ocr: 7 of 10 pods OOMKilled in the last 30m")
    assert "recent_deploy" not in read(vendor, service="plate-ocr").features
    # errors that began "almost 40 minutes before that sync" clear it
    sync = ("ArgoCD: lims-sample-router synced 2.7.4 at 13:41:10\nnginx: first 5xx at 13:02:37\n"
            "13:52 ola: errors started almost 40 minutes before that sync")
    assert "recent_deploy" not in read(sync, service="lims-sample-router").features


def test_a_stuck_job_a_deadlock_and_a_paused_rollback_are_not_closed_or_acted_on_by_what_is_named_beside_them():
    # the hourly export named in the alert is the one that is stuck, not a scheduled spike that explains it
    stuck = ("Heartbeat 'regulator-export-worker' expired: last ping 10:14:03\nhourly export usually done in 40s; "
             "11:00 export not started")
    assert diagnose(Evidence("Heartbeat expired", stuck)).outcome != "benign"
    # a liveness probe passing beside a Java-level deadlock is no recovery
    deadlock = ("RecipeDispatchStalled: no batch dispatched for 26m while 7 batches are queued\n"
                "/actuator/health: {\"status\":\"UP\"} (liveness probe passing)\njstack 1: Found one Java-level "
                "deadlock:\n\"batch-dispatch-1\": waiting to lock monitor 0x00007f1c9c0062d8")
    assert diagnose(Evidence("RecipeDispatchStalled", deadlock)).action == "RESTART"
    # the owners holding a rollback of our own release while they decide
    held = ("deploy edi-gateway 4.12.0 finished 13:02 (prev 4.11.2); rejections start 13:05\n"
            "13:33 carla: STOP - don't go back yet. going back means re-issuing 900+ ASNs already sent")
    assert diagnose(Evidence("edi.outbound.rejected 855 > 20/15m", held)).outcome == "human"
    # WAL a psql table shows an inactive slot holding, under a disk alert whose growth is no memory's
    wal = ("/pgwal: Disk space is critically low (used > 90%)\n/pgwal used 91.4% (457 GB of 500 GB), +6 GB/h\n"
           "SELECT slot_name, active, pg_size_pretty(...) FROM pg_replication_slots;\n"
           " analytics_cdc  | f | 402 GB\n claims_standby | t | 12 MB")
    assert diagnose(Evidence("/pgwal: Disk space is critically low", wal)).outcome == "human"


def test_a_disk_alert_on_a_read_only_image_is_noise_and_one_on_our_volume_is_not():
    snap = diagnose(Evidence("HostOutOfDiskSpace", "stream-ingest-02 /snap/core20/2264 (/dev/loop3, squashfs) avail 0B "
                             "(100% used)\nstream-ingest: writes OK, no errors"))
    assert snap.outcome == "benign", snap.justification
    ours = diagnose(Evidence("HostOutOfDiskSpace", "stream-ingest-02 /var/lib/stream-ingest avail 0B (100% used)\n"
                             "write /var/lib/stream-ingest/seg-0041: no space left on device"))
    assert ours.action == "RESTART", ours.justification


def test_idle_capacity_held_on_purpose_is_closed_but_not_while_its_owners_are_deciding():
    held = ("FinOps: idle standby doi-replay\ndoi-replay: 6 replicas, CPU avg 0.9% for 45 days\n"
            "design doc MD-19: hot standby that replays queued deposits after a registry outage")
    assert diagnose(Evidence("FinOps: idle standby doi-replay", held)).outcome == "benign"
    deciding = diagnose(Evidence("FinOps: idle standby doi-replay", held + "\nmetadata lead: please leave the replica "
                                 "count alone; we're deciding with finance on Thursday whether the SLA justifies it"))
    assert deciding.outcome == "human" and deciding.situation == "awaiting_decision", deciding.justification


def test_a_rollout_in_progress_whose_new_pods_fail_is_a_recent_deploy():
    stuck = ("16:20 deploy-bot: doi-registrar 2.8.4 -> 2.9.0\nnew ReplicaSet doi-registrar-6d8f4b7c9: 0/3 ready, "
             "CrashLoopBackOff; old ReplicaSet (2.8.4): 2/3 still serving\npanic: runtime error: invalid memory "
             "address or nil pointer dereference\nno config changes outside the image")
    assert "recent_deploy" in read(stuck.lower()).features
    assert diagnose(Evidence("KubeDeploymentRolloutStuck", stuck)).action == "ROLLBACK"
    # "no config changes" without the image beside it still clears a deploy nobody stamped
    assert "old_deploy" in read("no config changes since monday\npanic: nil pointer dereference").features
    # a rollout that finished with every new pod ready is no failing rollout
    assert "recent_deploy" not in read("new replicaset fulfillment-api-7c8d9f: 6/6 ready; image unchanged").features


def _goes_to_a_human_as(situation: str, alert: str, logs: str) -> Diagnosis:
    """The diagnosis of the alert, asserted to be `situation` with a human's outcome."""
    found = diagnose(Evidence(alert, logs))
    assert (found.situation, found.outcome) == (situation, "human"), found.justification
    return found


def test_work_that_an_interruption_would_damage_is_a_humans_call_also_when_a_runbook_says_so():
    stalled = _goes_to_a_human_as(
        "unsafe_to_interrupt", "archive-writer heartbeat late",
        "no heartbeat since 01:14; drive throughput 38 MB/s (expected ~300), the process looks stuck\n"
        "archive runbook: 'Never kill archive-writer mid-set. Interrupting leaves tapes 1..n unreadable.'")
    assert "“Never kill”" in " ".join(stalled.evidence)  # quoted from the runbook line, which is otherwise blanked
    plain = diagnose(Evidence("archive-writer heartbeat late",
                              "no heartbeat since 01:14; deadlock detected: 8 threads blocked on the same lock"))
    assert plain.action == "RESTART", plain.justification


def test_a_failure_that_repeats_on_every_run_is_not_closed_as_noise():
    _goes_to_a_human_as(
        "fails_the_same_way", "Airflow SLA miss: nightly_rollup",
        "nightly batch job running 4h52m (expected by 05:00)\n"
        "on-call: cleared and re-ran the task at 03:40, 04:55 and 06:05, it stalls at the same 02:00 window "
        "every time")


def test_a_check_failing_from_every_location_or_most_of_them_is_no_partial_reach():
    hung = ("check 'portal login' FAILED 3/3 locations: navigation timeout of 30000 ms exceeded\n"
            "nodejs_eventloop_lag_seconds{pod=\"portal-5b8d-kc4lt\"} 41.7 (other pod 0.004)\n"
            "last line from that pod 12:58:03 'parsing upload size=48.2MB' - nothing logged since")
    said = rank(Evidence("Synthetic: portal login", hung))[1]
    assert "partial_reach" not in said
    assert diagnose(Evidence("Synthetic: portal login", hung)).action == "RESTART"
    assert "partial_reach" not in rank(Evidence("site DOWN", "check failed 2/3 locations"))[1]
    assert "partial_reach" in rank(Evidence("site DOWN", "check failed 2/7 locations, the rest pass"))[1]


def test_a_deploy_of_a_sibling_service_while_ours_is_dated_apart_is_not_ours():
    other = "deploy-bot 13:52: verifier-upload-svc v5.3.0 -> prod (verifier-api last deployed 2024-05-29)\ncrash 13:58"
    assert deploy_age(other, "verifier-api") == (None, "")
    # named as the deployed one, ours is ours: "verifier-api v5.3.0 deployed 13:52"
    assert deploy_age("verifier-api v5.3.0 deployed 13:52; crash 13:58", "verifier-api")[0] == 6


def test_a_chat_channel_and_its_clock_are_no_closed_ticket():
    _goes_to_a_human_as(
        "awaiting_decision", "WagerRejectRateHigh",
        "wager-api pods healthy; rejections are correct for the draw state in the DB (draws.status=CLOSED)\n"
        "#draw-ops 18:07: sales closed an hour early?? do we reopen? compliance has to sign off and the regulator "
        "needs to be told")


def test_one_input_that_kills_every_attempt_is_not_restarted_again():
    text = ("thread 'main' panicked at src/parse/ticket.rs:212:38: called `Result::unwrap()` on an `Err` value\n"
            "claims-batch-processor.service: Start request repeated too quickly.\n"
            "every attempt dies on claims_20250121_retail.csv line 88,412: barcode field contains bytes 0x9f 0x3c")
    assert diagnose(Evidence("SystemdUnitFailed", text)).action != "RESTART"


def test_a_release_of_what_the_business_sells_is_no_deploy_and_demand_denied_is_not_rising():
    assert deploy_age("series finale released 21:00 and trailed on all channels\nrps 21:06 61k", "vod-player-api") \
        == (None, "")
    assert deploy_age("~9,400 import boxes released for pickup from 06:00; p95 780ms since 06:20")[0] is None
    assert deploy_age("gate-lane-api 4.2.0 released 06:00; p95 780ms since 06:20", "gate-lane-api")[0] == 20
    quiet = read("traffic since mar 16: 3-6 rps, no spikes; 21-day avg cpu 1.2% of request".lower())
    assert "traffic_rising" not in quiet.features


def test_a_dependencys_maintenance_that_is_over_does_not_excuse_a_service_still_failing():
    stuck = ("synthetic member-login: 0/12 passing since 02:14 (timeout waiting for /account after submit)\n"
             "pumactl stats: {\"workers\":4,\"worker_status\":[{\"pid\":41,\"last_status\":{\"backlog\":58,"
             "\"running\":5,\"pool_capacity\":0,\"max_threads\":5}}]}\n"
             "redis-sessions planned failover 02:13-02:16 by platform (patching), done; redis-sessions healthy, "
             "other apps reconnected fine")
    found = diagnose(Evidence("Synthetic: member login journey failing", stuck))
    assert found.situation == "hang", found.justification
    during = diagnose(Evidence("Synthetic: login failing",
                               "redis-sessions planned failover 02:13-02:16 by platform, announced in #ops"))
    assert during.situation == "benign", during.justification


def test_data_processed_twice_and_a_freeze_on_it_go_to_a_human():
    text = ("reconcile: 37 containers RELEASED in TOS but still HOLD in the customs feed\n"
            "batch 5e2c processed CUSRES with control ref 00041822 twice (replayed by broker after a network blip)\n"
            "pods healthy, 0 restarts, error rate 0%\n"
            "customs liaison: freeze it, nobody touch the hold table")
    found = diagnose(Evidence("CustomsHoldReconciliationMismatch", text))
    assert found.outcome == "human", found.justification


def test_a_migration_half_applied_under_a_release_is_not_rolled_back():
    text = ("16:10 deploy-bot: results-cert 6.1.0 released (includes migration 0047)\n"
            "16:11:58 ERROR 0047 step 3/5 failed: duplicate key value violates unique constraint; steps 1-2 committed "
            "(new tables, penalty_s moved), steps 3-5 rolled back\n"
            "16:12:30 psycopg2.errors.UndefinedColumn: column penalty_s does not exist\n"
            "release notes: 6.0.x cannot run against a schema with 0047 step 2 applied")
    found = diagnose(Evidence("results-cert 5xx ratio > 10%", text))
    assert found.action != "ROLLBACK" and found.outcome == "human", found.justification


def test_a_vrrp_backup_and_a_labelled_test_incident_are_left_alone():
    backup = diagnose(Evidence("Low utilisation on trk-tim-04",
                               "timing-relay on trk-tim-04: CPU avg 0.6% over 7d, messages forwarded 0/s\n"
                               "keepalived: VRRP instance TIMING_B state BACKUP priority 90; trk-tim-03 MASTER"))
    assert backup.action != "SCALE_DOWN", backup.justification
    test = diagnose(Evidence("[TEST] results-cert OutOfMemoryError",
                             "This is a test incident triggered via Events API v2 to verify routing\n"
                             "payload.summary: TEST: java.lang.OutOfMemoryError: Java heap space on results-cert\n"
                             "results-cert 3/3 Running, heap 41%, no restarts in 11 days"))
    assert test.action != "RESTART", test.justification


def test_one_hot_key_on_one_partition_is_not_scaled_and_a_panic_every_start_is_not_restarted():
    hot = diagnose(Evidence("KafkaConsumerGroupLag",
                            "lag total 1,904,220; partition 17: 1,901,880; partitions 0-16,18-47 each < 400\n"
                            "telemetry-ingest 12/12 replicas (HPA max 24), cpu avg 31%\n"
                            "top key on p17: machine_id=VM-31877 at 420 msg/s (fleet avg 0.05 msg/s per machine)"))
    assert hot.action != "SCALE_UP", hot.justification
    again = diagnose(Evidence("KubePodCrashLooping",
                              "panic: runtime error: integer divide by zero\n"
                              "on-call: deleted the pods at 11:15 and 11:28, same panic every time during cache warm"))
    assert again.action != "RESTART", again.justification


def test_a_rate_against_last_months_is_a_demand_ratio_and_a_latency_is_not():
    assert read("rps 05:00-07:30: 410/s (last month 240/s)").demand_ratio == 410 / 240
    assert read("p95 1.4s (last month 0.6s)").demand_ratio is None


def test_memory_that_rises_with_uptime_across_instances_is_a_leak_reading():
    from services.analyst.diagnosis.uptime import memory_tracks_uptime

    pods = ("pod trip-builder-5c8f7d-2mxl9 uptime 2d19h heap_inuse 6.1GiB | "
            "pod trip-builder-5c8f7d-v8r4d uptime 14h heap_inuse 1.9GiB")
    assert "2mxl9" in memory_tracks_uptime(pods.lower())  # a pod name ending in "4d" is no uptime
    assert "memory_tracks_uptime" in read(pods).features
    # the older one holds less, both hold about the same, or the figures are disk: no leak reading
    assert memory_tracks_uptime(pods.lower().replace("6.1gib", "1.2gib")) == ""
    assert memory_tracks_uptime(pods.lower().replace("6.1gib", "2.2gib")) == ""
    assert memory_tracks_uptime("pod a uptime 9d scratch 9.1gi used | pod b uptime 2d scratch 3.1gi used") == ""
    assert memory_tracks_uptime("pod a uptime 9d rss 900mb") == ""  # one instance: nothing to compare
    # several instances on one line, each uptime with the size after it
    line = "nodejs_heap_size_used_bytes: pod a1 (up 16d) 1.71 GB, pod a3 (up 2d, node replaced) 0.31 GB"
    assert "a3 (up 2d" in memory_tracks_uptime(line.lower())
    assert memory_tracks_uptime(line.lower().replace("1.71", "0.29")) == ""


def test_a_datastores_own_upgrade_a_future_build_and_merged_parts_are_no_release_of_the_service():
    consul = ("2024-07-18T03:14:01Z FATAL config: load routes from consul: connect: connection refused\n"
              "#infra 03:15 consul rolling upgrade 1.17 -> 1.18 finished, 5/5 servers healthy, leader elected")
    assert "recent_deploy" not in read(consul, service="mt-router").features
    client = "03:10 redis client upgrade 4.2 -> 5.0 rolled out\n03:14 ERROR timeouts talking to the cache"
    assert "recent_deploy" in read(client, service="mt-router").features  # a library inside the service is ours
    future = ("no space left on device\n"
              "#edge-ops: pod restart gives it a fresh emptyDir; new build with cleanup lands next sprint")
    assert "recent_deploy" not in read(future).features
    merge = ("node cpu busy 01:00-01:38 91%\n"
             "2024-09-22T01:37:40Z info VictoriaMetrics/lib/storage/partition.go:1235 merged 12 parts (1.96B rows)")
    assert "recent_deploy" not in read(merge).features


def test_a_rate_inside_its_baseline_range_or_beside_a_clock_hour_is_no_demand_rise():
    from services.analyst.diagnosis.readings import demand_ratio

    assert demand_ratio("ingest_requests_total rate 0.31/s (7d baseline 0.2-0.4/s)") == 1.0  # inside the range
    assert demand_ratio("ingest_requests_total rate 0.9/s (7d baseline 0.2-0.4/s)") >= 2  # above it: a rise
    assert demand_ratio("publish rate 42 msg/min (normal for 3am); rabbitmq ready=0") is None  # 3am is no baseline
    assert demand_ratio("produce rate fastq-ready 42 msg/min (7d avg 13): exome batch released") > 3
    # a figure closing one line is not the rate the next line starts with
    assert demand_ratio('"POST /v2/reports" 504 rt=60.001 addr_len=4812\nreq/s 62 (7d avg 60)') < 1.2


def test_a_deploy_stamped_days_before_the_texts_own_day_is_not_a_fresh_one():
    text = ("2024-10-14T06:12:03Z container_memory_working_set_bytes 1.87Gi / limit 2Gi (93.5%)\n"
            "deploys: proof-portal v3.22.1 on 2024-10-10 06:00")
    assert "recent_deploy" not in read(text, service="proof-portal").features
    same_day = text.replace("2024-10-10 06:00", "2024-10-14 06:00")
    assert "recent_deploy" in read(same_day, service="proof-portal").features
    # a date without a clock may lie ahead ("valid until"): it says nothing of the incident's own day
    ahead = "deploys: proof-portal v3.22.1 on 2024-10-14 06:00\n06:09 ERROR 5xx rising\ncert valid until 2025-06-05"
    assert "recent_deploy" in read(ahead, service="proof-portal").features


def test_a_pods_restart_for_a_node_drain_is_no_maintenance_window_and_a_restart_that_changed_nothing_repeats():
    drained = _goes_to_a_human_as(
        "fails_the_same_way", "shore-power-meter-ingest latency and CPU up",
        "p99 120ms -> 780ms over 5 days; cpu per pod +40%; rps flat at 42/s; memory flat\n"
        "no deploy since 2024-02-19; restarts last Thursday (node drain) changed nothing, latency same within an hour")
    assert not any(h.situation == "benign" and h.score >= 0.8 for h in drained.hypotheses)
    helm = ("helm history meter-readings-api: rev 56 2024-05-21 | rev 57 2024-06-04 13:05 'bump resources'\n"
            "p99 latency: 80ms (12:00-13:05) -> 2.4s (13:07 onwards)")
    assert "recent_deploy" in read(helm, service="meter-readings-api").features  # rev 57's own day and clock


def test_a_latency_called_normal_is_no_word_on_demand():
    assert "traffic_flat" not in read("brokers healthy, produce latency normal").features
    assert "traffic_flat" not in read("ingest rate errors normal, p99 up").features
    assert "traffic_flat" in read("producer rate 1.2k/s steady").features


def test_a_panic_the_process_recovered_from_is_not_the_service_recovering():
    logs = ("14:20:31 ERROR recovered panic in drainLoop: assignment to entry in nil map\n"
            "14:20:31 INFO drainLoop exiting; outbox depth 4096 (cap 4096) since 14:21, 0 sends/min\n"
            "db and broker healthy; handler goroutines blocked on outbox send")
    d = diagnose(Evidence("OutboxNotDraining", logs))
    assert not any("says recovered" in e for h in d.hypotheses for e in h.evidence), d.hypotheses


@pytest.mark.parametrize(("line", "falling"), [
    ("consumer lag 09:10 4.8M -> 09:40 3.1M -> 10:10 1.2M (~60k/min)", True),  # clock times skipped
    ("visible messages: 120k → 60k → 25k", True),
    ("queue depth 12k -> 6k", True),
    ("consumer lag 1.2M -> 1.9M -> 2.4M", False),  # growing
    ("backlog 41,200 -> 38,900", False),  # barely moving: not yet draining
    ("queue depth 40k, replicas 6 -> 3", False),  # the series counts replicas, not the queue
    ("queue: 4 -> 0 workers", False),
    ("lag 2024-05-01 -> 2024-05-02", False),  # dates, not readings
    # one keyed reading a line, as a metrics dump prints them
    ("ts=1733004120 lag=5900\nts=1733004300 lag=2104\nts=1733004480 lag=0", True),
    ("lag=100\nlag=400\nlag=900", False),  # growing
    ("queue_depth=5900\nqueue_depth=5800\nqueue_depth=5700", False),  # barely moving
    ("lag=900\nlag=400", False),  # two readings make no series down the lines
    ("lag=9000\nworkers=3\nlag=2000\nerrors=0\nlag=100", True),  # other keys between
    # a nightly burst past its peak: three readings falling from the highest
    ("depth: 00:00 120 -> 00:06 98,200 -> 00:15 41,300 -> 00:24 2,100 -> 00:31 12", True),
    ("lag 100 -> 5000 -> 4000", False),  # one reading after the peak makes no drain
    ("lag 100 -> 200 -> 300", False),
    # a series joined by '|' counts when every part carries its clock time
    ("lag samples: 00:10 1,213,400 | 00:20 804,100 | 00:30 377,950 | 00:40 61,220 | 00:44 3,902", True),
    ("consumer lag 500 | cpu 40 | mem 20", False),  # a table row of different figures, not a series
    ("lag 00:10 100 | 00:20 400 | 00:30 900", False),
    # named on the line above, readings left out ("..."), and wobbling at the floor once drained
    ('rabbitmq_queue_messages_ready{queue="obs.metar"} (1m step):\n13:00 12480 | 13:01 9930 | 13:02 7110 | '
     "13:03 4240 | 13:04 1390 | 13:05 52 | 13:06 38 | ... | 13:40 41", True),
    ("queue depth:\n13:00 12480 | 13:01 9930 | 13:02 38 | 13:40 2000", False),  # rose again from the floor
    ("cpu by minute:\n13:00 90 | 13:01 70 | 13:02 40", False),  # no backlog named above
    ("queue depth (1m step)\n13:00 12480 | 13:01 9930 | 13:02 7110", False),  # the line above does not lead in
])
def test_a_backlog_whose_readings_fall_is_read_as_draining(line, falling):
    from services.analyst.diagnosis.backlog import draining

    assert bool(draining(line.lower())) is falling


def test_a_lag_alert_whose_lag_already_falls_is_no_case_for_more_replicas():
    logs = ("Opsgenie P3 KafkaConsumerLagHigh settlement-matcher lag 5.1M\n"
            "lag 10:05 5.1M -> 10:35 3.3M -> 11:05 1.4M; 8/8 pods CPU 75%, 0 errors\n"
            "re-processing yesterday's files after the bank resent them (CHG-4471)")
    d = diagnose(Evidence("KafkaConsumerLagHigh", logs))
    assert d.action != "SCALE_UP", d.justification


def test_a_zero_ending_one_line_denies_nothing_on_the_next():
    # "lag=0" closes one line; "same shape every Saturday" on the next is not "0 same shape"
    logs = ("KafkaConsumerLagHigh consumergroup=wire-normaliser lag=5900\nts=1733004120 lag=5900\n"
            "ts=1733004300 lag=2104\nts=1733004480 lag=0\nsame shape every Saturday 22:00-22:10")
    d = diagnose(Evidence("KafkaConsumerLagHigh", logs, "warning", "wire-normaliser"))
    assert d.outcome == "benign" and d.action == "NOOP", d.justification
    # on one line, the zero still denies what follows it
    denied = diagnose(Evidence("KafkaConsumerLagHigh", "lag=5900; 0 same shape every Saturday"))
    assert not any("expected_spike" in e for h in denied.hypotheses for e in h.evidence), denied.hypotheses


def test_a_certificate_renewed_minutes_after_the_alert_is_not_a_renewal_for_a_human():
    logs = ("[FIRING] X509CertificateExpiringSoon secret shop/shop-tls expires in 29.8d (threshold 30d)\n"
            "cert-manager 2025-03-02T07:00:12Z shop/shop-tls: The certificate has been successfully issued\n"
            "07:31 [RESOLVED] X509CertificateExpiringSoon")
    d = diagnose(Evidence("X509CertificateExpiringSoon", logs))
    assert d.situation != "cert_expiry", d.justification


@pytest.mark.parametrize(("alert", "logs"), [
    ("status.example.org is DOWN (Sydney)", "DOWN 02:40:11 UTC from Sydney: timeout after 30 s\n"
                                            "UP   02:41:11 UTC from Sydney: HTTP 200 in 390 ms\n"
                                            "every other probe location 100% up"),
    ("orders-api database unreachable", "PD incident triggered via integration 'Alertmanager orders' (created today)\n"
                                        "note: routing check for the new integration key, please ack\n"
                                        "orders-db up, orders-api /health 200"),
    ("Host Alert: batch-old-2 is DOWN", "CRITICAL - Host Unreachable\n"
                                        "batch-old-2 decommissioned last Tuesday (VM deleted); host never removed from "
                                        "nagios hostgroup batch-prod"),
])
def test_a_down_alert_already_up_sent_as_a_test_or_about_a_retired_host_is_not_restarted(alert, logs):
    d = diagnose(Evidence(alert, logs))
    assert d.action == "NOOP", d.justification  # closed, or (a retired host against "is DOWN") a human's call
    assert "decommissioned" in logs or d.outcome == "benign", d.justification


@pytest.mark.parametrize(("alert", "logs"), [
    # every start of the worker takes the same job first and dies on it: a poison message, not a crash to restart
    ("KubePodCrashLooping", "pod scan-ocr-7c9 restarting 14 times / 60 minutes\n"
                            "INFO picked job SC-20250311-0042 from intake queue (attempt 15)\n"
                            "Fatal Python error: Segmentation fault\n"
                            "every start picks SC-20250311-0042 first; the queue has no dead-letter queue"),
    # an unexpected root login with a crontab replaced: a possible break-in, whatever the service's health
    ("Unexpected root login on ctrl-07", "sshd[311]: Accepted password for root from 198.51.100.23 port 50122 ssh2\n"
                                         "crontab[340]: (root) REPLACE (root)\n"
                                         "controller.service active (running), displays updating"),
    # a database's own pages unreadable and a disk's media errors: data damage for people, not a restart
    ("PostgreSQL error rate - ledger-db", "ERROR:  invalid page in block 9120 of relation base/16384/24601\n"
                                          "ERROR:  could not read block 9121 in file \"base/16384/24601\"\n"
                                          "SMART /dev/nvme0n1: Media and Data Integrity Errors: 6\n"
                                          "02:30 nightly VACUUM ANALYZE finished normally"),
    # a publisher that held back a feed failing its own validation: on purpose, for people to look at
    ("Feed validation failed - publication halted",
     "validator: stops.txt: 311 rows with stop_lat out of range\n"
     "publisher: threshold exceeded (errors=311 > 0), feed NOT published; portal keeps yesterday's feed\n"
     "publisher v4.2.0 deployed 6 days ago, 6 successful nightly runs since"),
    # credential stuffing: the demand is an attacker's, more replicas would only serve them
    ("Portal - Failed login ratio > 40%", "failed_login_ratio=0.91 over 15m; login attempts 9,800 vs 7-day avg 420\n"
                                          "unique source IPs 2,104 (37 hosting-provider ASNs); auth CPU 78%\n"
                                          "on-call: latency is up, shall I add auth replicas?"),
    # card numbers in the logs: a data exposure for people, not a config change to roll back
    ("DLP: card data detected in logs", "DLP rule PAN_UNMASKED matched 4,210 documents in index shop-prod (last 6h)\n"
                                        "checkout log level changed INFO -> DEBUG via config map yesterday 17:10\n"
                                        "checkout healthy, no errors"),
    # restarted, and each fresh instance is back at the same memory at once: a restart changes nothing
    ("ContainerMemoryHigh", "route-model using 3.8GiB of 4GiB (95%) for 15m\n"
                            "restarted all pods at 10:02, no change: each one is back at ~3.7G a minute after start\n"
                            "model segments 52k (was 30k last month)"),
    # the old release cannot run on the migrated schema: rolling back is for people to plan
    ("catalog-api 5xx after release 3.2.0", "Release 3.2.0 deployed 10:20 (migration 0091_drop_legacy_sku)\n"
                                            "ERROR: column items.legacy_sku does not exist; 5xx 15% on /v1/legacy\n"
                                            "0091 has no down migration; 3.1.4 will crash against the current schema\n"
                                            "let's get the DBA on a call before anyone touches it"),
    ("KubeJobFailed", "Job reports/ledger-import-2025-06 failed to complete\n"
                      "pod ledger-import-x1: Terminated, Reason: OOMKilled, Exit Code: 137\n"
                      "attempts 1-4: same file (ledger_2025_06.csv, 9 GB where 400 MB is usual), OOMKilled each time"),
    ("KubeJobFailed", "Job billing/statements-2025-05 failed; 3 pods OOMKilled\n"
                      "each attempt killed while 'loading meter reads: 8.2M rows' (limit 8Gi); last month 3.9M rows"),
    ("KubePodCrashLooping", "FATAL open /etc/relay/secrets/broker_password: no such file or directory\n"
                            "image unchanged since last week\non-call: deleted 3 pods at 02:10, same FATAL"),
])
def test_what_no_action_here_can_mend_or_a_scheduled_job_does_not_explain_goes_to_a_human(alert, logs):
    d = diagnose(Evidence(alert, logs))
    assert (d.action, d.outcome) == ("NOOP", "human"), d.justification


def test_a_disk_warning_with_a_third_of_the_volume_free_is_no_full_disk_to_restart_for():
    d = diagnose(Evidence("Disk usage above 70%: app-03 /var/log",
                          "DISK WARNING - free space: /var/log 6120 MB (31.4% inode=97%)\n"
                          "logrotate daily, rotate 14; growth 0.1% per day"))
    assert d.situation != "disk_full" and d.action == "NOOP", d.justification


def test_workers_with_no_work_arriving_are_idle_not_hung():
    d = diagnose(Evidence("Low utilisation: import-worker",
                          "import-worker 10 replicas, avg CPU 0.3% and 0 jobs processed for 18 days\n"
                          "queue imports: messages 0, publish rate 0 since the one-off migration ended 2025-02-02\n"
                          "ticket says the workers can go back to 1; nothing scheduled uses this queue"))
    assert d.situation != "hang", d.justification


@pytest.mark.parametrize(("line", "cut"), [
    ("JAVA_OPTS '-Xmx2g' -> '-Xmx512m'", True),
    ("resources.limits.memory: 2Gi -> 768Mi", True),
    ("--max-old-space-size=4096 to 1536", True),
    ("GOMEMLIMIT 1GiB -> 900MiB", True),
    ("JAVA_OPTS '-Xmx512m' -> '-Xmx2g'", False),  # raised
    ("memory 3.1 -> 2.0 GB", False),  # usage falling, no limit named
    ("memory limit 4g -> 4g", False),
    ('+/- MemoryMB: "2048" => "512"', True),  # a Nomad job's diff
    ('+/- MemoryMB: "512" => "2048"', False),
])
def test_a_memory_limit_cut_by_a_change_is_read_with_its_figures_compared(line, cut):
    from services.analyst.diagnosis.limits import lowered_limit

    assert bool(lowered_limit(line.lower())) is cut


def test_out_of_memory_right_after_this_services_heap_was_cut_is_rolled_back_not_restarted():
    logs = ("java.lang.OutOfMemoryError: Java heap space\n"
            "change 09:30 (CHG-2231): fare-api JAVA_OPTS '-Xmx3g' -> '-Xmx1g' to save memory, pods restarted\n"
            "GC after 09:30: Full GC 1010M->1008M(1024M) repeating; before: 10 days without OOM at ~1.6G of 3G")
    assert diagnose(Evidence("JVM OutOfMemoryError: fare-api", logs)).action == "ROLLBACK"
    # another team's admission policy cut it: no rollback of ours brings the limit back
    imposed = logs.replace("change 09:30 (CHG-2231): fare-api JAVA_OPTS '-Xmx3g' -> '-Xmx1g' to save memory",
                           "Kyverno policy 'memory-cap' (owner platform-team) mutated limits.memory 3Gi -> 1Gi 09:30")
    assert diagnose(Evidence("JVM OutOfMemoryError: fare-api", imposed)).action != "ROLLBACK"


def test_an_old_pod_still_serving_beside_crashing_new_ones_is_no_recovery():
    logs = ("pager-7d9-aaa 0/1 CrashLoopBackOff 6 (40s ago) 9m\n"
            "pager-7d9-bbb 0/1 CrashLoopBackOff 6 (35s ago) 9m\n"
            "pager-5c1-ccc 1/1 Running 0 12d\n"
            "one old pod is serving all pages")
    assert diagnose(Evidence("KubePodCrashLooping", logs)).outcome != "benign"


def test_a_log_volume_at_its_usual_level_under_a_tightened_threshold_is_no_disk_to_restart_for():
    logs = ("Zabbix: PROBLEM: Free disk space is less than 30% on volume /var/log (edge-02) - 27.9%\n"
            "df -h /var/log -> /dev/sda3  20G  14.4G  5.6G  73% /var/log\n"
            "/var/log usage last 60d: 70-74%, sawtooth with daily logrotate at 00:05\n"
            "trigger threshold raised from 15% to 30% free by the template update in May")
    opinion = Opinion("disk_full", 0.85, "benign", 0.1, "ref-1", "disk_full", 0.3)  # a resemblance says full disk
    d = diagnose(Evidence("Disk space low", logs), opinion=opinion)
    assert d.action == "NOOP", d.justification


def test_versions_of_what_the_business_keeps_are_no_release():
    logs = ("CPU usage above 85% for 10m on menu-svc (current 95%)\n"
            "2025-01-07 02:00:02 INFO Scheduler starting job PriceRecalcNightly\n"
            "2025-01-07 02:00:04 INFO PriceRecalc recalculating 41,220 menu versions\n"
            "2025-01-07 02:24:10 INFO PriceRecalc done errors=0")
    assert diagnose(Evidence("High CPU usage", logs)).action != "ROLLBACK"
    assert deploy_age("02:00:04 recalculating 41,220 menu versions\n02:14 CPU 95%")[0] is None


@pytest.mark.parametrize(("line", "room"), [
    ("HPA web: 8 -> 18 replicas between 10:01 and 10:06, max 40", True),
    ("HPA configurator: 4 -> 9 replicas (min 4, max 20), CPU 52%", True),
    ("HPA web: 10 -> 20 replicas (max 20)", False),  # at its maximum: hand scaling may be needed
    ("HPA scaled 6 -> 14 replicas", False),  # no maximum stated
])
def test_an_autoscaler_below_its_maximum_is_read_as_having_room(line, room):
    from services.analyst.diagnosis.limits import autoscaler_room

    assert bool(autoscaler_room(line.lower())) is room


def test_announced_demand_the_autoscaler_absorbs_below_its_maximum_is_not_scaled_by_hand():
    logs = ("Anomalous request rate on shop-web: 2,700 req/s (expected band 650-1,300)\n"
            "10:00 spring sale page went live (marketing calendar, announced in #shop)\n"
            "HPA shop-web: 6 -> 15 replicas between 10:01 and 10:05, max 36\n"
            "p95 290ms (SLO 800ms), error rate 0.05%; 10:40 request rate 1,500 req/s and falling")
    assert diagnose(Evidence("Request rate anomaly", logs)).action != "SCALE_UP"


@pytest.mark.parametrize("holder_line", [
    "pg-shared-01 (owned by DBA team): max_connections=300, current 300; by application: forecast-batch 260, "
    "menu-api 20, other 20",
    "menu-api connections in pg_stat_activity: 20, all 'active', waiting on Lock: relation (menus) held by "
    "forecast-batch pid 4411",
])
def test_a_pool_full_because_another_application_holds_the_shared_database_is_no_restart(holder_line):
    logs = ("HikariPool-1 - Connection is not available, request timed out after 30000ms (total=20, active=20)\n"
            "FATAL: sorry, too many clients already\n" + holder_line)
    d = diagnose(Evidence("Request timeouts", logs, container_name="menu-api"))
    assert d.action == "NOOP" and d.outcome == "human", d.justification


@pytest.mark.parametrize("kept", [
    "bucket raw_readings: retention infinite since March (kept for the audit)",
    "archive retention 36 months by contract with the customers",
    "nightly purge paused: legal hold LH-12 on all 2024 records",
    "growth matches the ingest forecast for the new region (as planned in CAP-31)",
])
def test_a_volume_filling_with_data_kept_on_purpose_is_no_restart_but_a_human(kept):
    logs = ("The PersistentVolume claimed by data-ledger-store-0 is expected to fill up within 3 days; 7% available\n"
            f"{kept}\n"
            "runbook (2021): if the data disk is high, recycle the pod")
    d = diagnose(Evidence("KubePersistentVolumeFillingUp", logs))
    assert (d.action, d.outcome) == ("NOOP", "human"), d.justification
    # the same alert over the pod's own spool, with nothing kept on purpose, is still restarted
    spool = diagnose(Evidence("KubePersistentVolumeFillingUp",
                              "The PersistentVolume claimed by spool-writer-0 is expected to fill up within 3 hours\n"
                              "du: /spool/tmp 41G of failed-upload retries since 06:10, never cleaned"))
    assert spool.action == "RESTART", spool.justification


_HEAP_OVER_A_SAWTOOTH = ("heap used 4.1 GB of 4.5 GB (91%)\n"
                         "GC(7710) Pause Young (Normal) (G1 Evacuation Pause) 4102M->1320M(4608M) 22.1ms\n"
                         "heap after GC across the last 12 days: 1.29-1.34 GB, flat; no full GC\n"
                         "error rate 0.02%, p99 80 ms")


def test_a_heap_alert_over_a_collectors_sawtooth_with_a_level_live_set_is_benign():
    d = diagnose(Evidence("JvmHeapUsageHigh", _HEAP_OVER_A_SAWTOOTH))
    assert (d.situation, d.outcome) == ("benign", "benign"), d.justification
    # the casebook's resemblance to a leak alone does not make it one
    leak_like = Opinion("memory_leak", 0.94, "benign", 0.03, "ref-9", "memory_leak", 0.35)
    d = diagnose(Evidence("JvmHeapUsageHigh", _HEAP_OVER_A_SAWTOOTH), opinion=leak_like)
    assert d.action != "RESTART", d.justification
    # a level heap beside a process whose RSS climbs is an off-heap leak, not a sawtooth
    growing = _HEAP_OVER_A_SAWTOOTH + "\nRSS 3.1 GB and rising ~60 MB/h (NMT: Other)"
    native = diagnose(Evidence("JvmHeapUsageHigh", growing), opinion=leak_like)
    assert native.situation != "benign", native.justification


def test_a_code_flag_left_set_is_no_feature_flag_change_and_a_crash_that_follows_a_reschedule_repeats():
    spin = diagnose(Evidence("CPU above 95%: telemetry-scorer",
                             "telemetry-scorer-2 CPU 1.00 core (limit 1) since 03:41, 0 readings scored since\n"
                             "py-spy: 99% in drain() (scorer/queue.py:88)\n"
                             "busy flag not reset after exception at 03:41\n"
                             "other replicas 0.1 cores, input volume normal; no deploy since last month"))
    assert spin.situation == "cpu_runaway" and spin.action == "RESTART", spin.justification
    moved = diagnose(Evidence("KubePodCrashLooping",
                              "relay-7d9-abc 0/1 CrashLoopBackOff 14\n"
                              "Fatal Python error: Segmentation fault in ssl.py do_handshake\n"
                              "10:05 pods evicted and moved to node pool b: still segfaulting there\n"
                              "no deploy in a month"))
    assert (moved.action, moved.outcome) == ("NOOP", "human"), moved.justification


@pytest.mark.parametrize(("line", "flat"), [
    ("rps 2,100 (normal evening 400); p50 80 ms", False),  # the baseline's own figure in the brackets
    ("lag 2.1M and growing; consume rate flat at 6.2k msg/s", False),  # what the consumers manage, at their ceiling
    ("site traffic ~60 req/min (normal for 3am)", True),
    ("requests 410 rps, flat since Monday", True),
])
def test_a_baseline_in_brackets_and_a_consumers_own_rate_are_no_flat_demand(line, flat):
    assert ("traffic_flat" in read(line).features) is flat


@pytest.mark.parametrize(("alert", "logs"), [
    ("KafkaConsumerGroupLagHigh", "lag 900k; consumers rejoin the group every 40 s, generation 310 -> 512 in 2 h\n"
                                  "09:12 on-call restarted the ingest deployment; rebalancing resumed 3 min later\n"
                                  "09:31:02 INFO (Re-)joining group ingest\nno deploys to ingest since last month"),
    ("OrdersApiErrorRateHigh", "orders-api 5xx 31% for 5m: pq: the database system is starting up\n"
                               "orders-api last deploy: 2024-03-02 16:05 (v4.2.0), no errors until 10:14 today\n"
                               "shared-pg (owned by the DBA team): Multi-AZ failover started 10:14"),
    ("Synthetic check failed: pricing-canary", "synthetic 'pricing-canary' FAILED in 2 of 3 locations\n"
                                               "one replica answers price=0.12 for a 12.00 basket, the others 12.00\n"
                                               "image digest identical on all replicas; 1/3 of quotes affected"),
    ("navaid-feed.service failed", "06:02:11 caster: mountpoint FEED_A not found; fatal: no correction source\n"
                                   "national survey network bulletin: mountpoints renamed during the caster migration,"
                                   " old names removed 06:00\nrestart counter is at 12"),
])
def test_a_restarted_deployment_a_clock_after_until_a_synthetic_canary_and_an_outside_partys_change_are_no_release(
        alert, logs):
    d = diagnose(Evidence(alert, logs))
    assert d.action != "ROLLBACK", d.justification


def test_card_numbers_a_scanner_finds_in_logs_are_a_security_incident_for_a_human():
    d = diagnose(Evidence("Sensitive data scanner: card numbers in logs",
                          "credit card numbers detected in 3,100 log events (checkout)\n"
                          "debug logging switched on at 11:02 via flag 'checkout-debug'\n"
                          "the archive bucket keeps logs unredacted\n11:40 dev: turning debug off now"))
    assert (d.situation, d.outcome) == ("security_incident", "human"), d.justification


def test_a_zabbix_problem_with_its_resolved_time_and_duration_is_a_recovery():
    d = diagnose(Evidence("/var/log: Disk space is low (used > 90%)",
                          "Problem: /var/log: Disk space is low (used > 90%)  Host: gw-02  Started: 01:10:04\n"
                          "Resolved: 01:31:40  Duration: 21m 36s\nlogrotate: rotating gwd.log, compressing gwd.log.1"))
    assert (d.situation, d.action) == ("benign", "NOOP"), d.justification


def test_a_liveness_failure_count_of_zero_is_no_hang():
    d = diagnose(Evidence("KubeContainerRestartsFrequent",
                          "scheduler restarted 4 times in 24h, Exit Code: 137, no OOMKilled reason recorded\n"
                          "liveness probe failures 24h: 0; node dmesg: no oom-killer entries\n"
                          "terminations at 02:08, 08:09, 14:09, 20:10"))
    assert d.situation != "hang" and d.action != "RESTART", d.justification
    # a crontab's own schedule that starts with a 0 is no count of none
    nightly = diagnose(Evidence("High CPU utilization (over 90% for 5m)",
                                "ps: python3 /opt/dedupe.py (crontab: 0 2 * * *)\n"
                                "same problem 02:00-02:34 on the last three nights, each auto-resolved"))
    assert nightly.action == "NOOP" and nightly.outcome == "benign", nightly.justification


@pytest.mark.parametrize(("alert", "logs"), [
    ("viability-ecs-cpu-high", "Threshold Crossed: 3 datapoints [97.8, 96.1, 91.3] > the threshold (85.0)\n"
                               "EventBridge rule weekly-refit: cron(0 2 ? * SUN *), last invocation 02:00:03, RUNNING\n"
                               "02:14:52 INFO progress 112,900/181,422 lots; API p95 140ms"),
    ("High CPU utilization (over 60% for 5m)", "PROBLEM 14:51 opt-02: CPU utilization 91.3%\n"
                                               "solve start 14:45, solve done in 6m41s, plan sent\n"
                                               "RESOLVED 14:53 opt-02: CPU utilization 4.1%"),
])
def test_a_cpu_alarm_under_a_cloud_cron_rule_or_already_resolved_is_not_restarted(alert, logs):
    d = diagnose(Evidence(alert, logs))
    assert d.action != "RESTART", d.justification


@pytest.mark.parametrize("change", [
    "CHG-2291 (approved): pump house full power-down for switchgear replacement, 06:00 - 18:00 today",
    "RFC-88 (scheduled): gateway shut down for firmware servicing until 14:00",
])
def test_a_host_down_under_an_approved_power_down_is_not_restarted(change):
    d = diagnose(Evidence("Host Alert: pump-gw is DOWN", f"CRITICAL - 10.2.0.1: rta nan, lost 100%\n{change}\n"
                                                          "monitoring downtime entered 06:00-06:30 by mistake"))
    assert d.action != "RESTART", d.justification


def test_a_pod_that_pins_the_cpu_within_seconds_of_each_recycle_is_not_recycled_again():
    d = diagnose(Evidence("CPUThrottlingHigh", "97% throttling of CPU for container indexer in pod indexer-0\n"
                                               "resume from checkpoint doc_id=88120; no log output after this line\n"
                                               "on-call recycled the pod 3 times since 07:30; each time CPU pins at "
                                               "1.0 core within seconds"))
    assert (d.action, d.outcome) == ("NOOP", "human"), d.justification


def test_a_pool_full_because_every_call_waits_on_a_backend_not_ours_is_no_restart():
    d = diagnose(Evidence("api p95 latency > 800ms", "ioredis Command timed out after 500ms: GET sess:8a1f\n"
                                                     "redis pool in-use 64/64, pending 210\n"
                                                     "#api 14:57: pool is full because every GET is slow, "
                                                     "the redis isn't ours"))
    assert d.action != "RESTART" and d.situation != "pool_exhaustion", d.justification


@pytest.mark.parametrize("down", [
    "docker ps -a: print-bridge  Exited (1) 38 minutes ago  (restart policy: no)",
    "PM2 | Script /srv/push/index.js had too many unstable restarts (16). Stopped. \"errored\"",
])
def test_a_process_still_down_after_its_dependency_recovered_is_no_recovery(down):
    d = diagnose(Evidence("print-bridge is not running",
                          f"{down}\nError: Connection is closed (ECONNRESET) at RedisClient.flushQueue\n"
                          "redis: connections reset 02:14-02:15, status: resolved 02:16, healthy since"))
    assert d.action != "NOOP" or d.outcome == "human", d.justification


def test_a_chat_channel_named_release_is_no_release_and_a_hold_until_someone_speaks_is_a_decision_pending():
    assert deploy_age("[#pay-release] 10:02 ana: keep it paused\n10:40 alert fired")[0] is None
    assert deploy_age("release 4.2 deployed 10:02\n10:05 errors")[0] == 3.0
    d = diagnose(Evidence("ArgoRolloutPausedTooLong", "rollout pay-api paused at step 2/5 for 2h14m\n"
                                                      "[#pay-release] 10:02 ana: keep it paused, waiting on the "
                                                      "vendor\n[#pay-release] 10:03 ana: don't promote or abort "
                                                      "until I've spoken to them\ncanary error rate 0.1% vs stable "
                                                      "0.1%"))
    assert (d.action, d.outcome) == ("NOOP", "human"), d.justification


def test_a_partner_restarted_for_a_patch_and_healthy_since_is_its_recovery_not_ours():
    d = diagnose(Evidence("erp-sync no progress",
                          "consumer offset unchanged for 47 min (lag 1,306)\n"
                          "thread dump: posting-worker-1 RUNNABLE at socketRead0 (readTimeout=0)\n"
                          "SAP PI: restarted for kernel patch 01:00-01:20, healthy since; billing postings to the "
                          "same endpoint succeed now"))
    assert d.outcome != "benign", d.justification


def test_memory_is_read_from_memory_words_only():
    # "ram" inside "histogram" is no memory word; a disk's "88G of 100G" under a MemoryPressure line is no memory
    assert "high_memory" not in read("prediction_value histogram for park=canyon: 100% in bucket le=0").features
    assert "high_memory" not in read("node conditions: DiskPressure=True, MemoryPressure=False\n"
                                     "node-exporter: /var/lib/containerd 88G of 100G").features
    assert "high_memory" in read("Icinga: MEMORY CRITICAL on mailer-01\nCRITICAL - 92.4% used (7.39 GB of 8.00 GB)"
                                 ).features
    assert "high_memory" in read("container_memory_working_set 3.8Gi of 4Gi limit").features


def test_the_alerts_own_resolved_line_is_a_recovery_and_a_broker_is_no_broken_deploy():
    d = diagnose(Evidence("KubeDeploymentReplicasMismatch",
                          "Deployment rs-prod/ill-broker has not matched the expected number of replicas\n"
                          "deployment \"ill-broker\" successfully rolled out (16:47:12)\n"
                          "17:01:30 Alertmanager: KubeDeploymentReplicasMismatch resolved"))
    assert d.action != "ROLLBACK", d.justification
    other = diagnose(Evidence("KubePodCrashLooping", "api-7f9 CrashLoopBackOff, restarted 7 times\n"
                                                     "10:02 Alertmanager: KubeDeploymentReplicasMismatch resolved"))
    assert other.outcome != "benign", other.justification


def test_an_unreachable_host_is_no_process_to_restart():
    d = diagnose(Evidence("SERVICE ALERT: rfid-gate-1;PING;CRITICAL",
                          "SERVICE ALERT: rfid-gate-1;PING;CRITICAL;HARD;3;CRITICAL - Host Unreachable (10.61.8.21)"))
    assert d.action != "RESTART", d.justification


def test_a_pool_whose_connections_all_wait_on_another_jobs_lock_is_no_restart():
    d = diagnose(Evidence("TicketValidationLatencyHigh",
                          "WARN HikariPool-1 - Connection is not available, request timed out after 3000ms "
                          "(total=40, active=40, idle=0, waiting=212)\n"
                          "all 40 ticket-validation-api connections in wait_event 'Lock: transactionid'\n"
                          "pg_stat_activity: pid 77102 user=bi_loader holding locks on entitlements"))
    assert d.action != "RESTART", d.justification


PENDING_RETRIED_OR_TAMPERED = [
    ("RabbitMQ queue depth high",
     "messages_ready=186,402, consumers=0\nsender scaled to 0 (CHG-2291: pause notices pending board decision)"),
    ("ContainerOOMKilled",
     "OOMKilled, Restart Count: 5\nloading 3.9 GB file whole\n"
     "#oncall: each retry starts on the same file, same result"),
    ("Kiosk peripheral change detected",
     "WARN usb_inventory changed on kiosk-3: +1 device \"USB Keyboard\" (no keyboard in baseline)\n"
     "cpu=7% since 2024-07-30"),
]


def test_a_process_its_supervisor_gave_up_on_is_restarted_though_its_dependency_recovered_under_a_change():
    d = diagnose(Evidence("SystemdUnitFailed receipt-mailer.service",
                          "receipt-mailer[880]: redis.exceptions.ConnectionError: Error 111 connecting to "
                          "redis-queue:6379. Connection refused.\n"
                          "systemd[1]: receipt-mailer.service: Start request repeated too quickly.\n"
                          "systemd[1]: receipt-mailer.service: Failed with result 'exit-code'.\n"
                          "redis-queue: planned patch reboot 02:09:50-02:10:40 (CHG-6120), up and serving since "
                          "02:10:41"))
    assert d.action == "RESTART", d.justification


def test_figures_that_are_not_memory_or_demand_and_a_restart_that_met_the_same_cpu_are_no_action():
    # "B2B" holds no baseline of 2; "49.9M / 50M" of a plan's requests is no memory; CPU back at 90% on new pods
    assert "traffic_rising" not in read("requests/sec 12 (normal for B2B, same on -01/-02 at 6% CPU)").features
    assert "high_memory" not in read("Mapbox dashboard: tile requests this month 49.9M / 50M plan limit").features
    d = diagnose(Evidence("HighCPUUsage pricing-engine", "pods 4/4 at 88-93% CPU; 410 rps (same hour last week: 405)\n"
                                                         "11:05 all 4 pods rolling-restarted by on-call; 11:07 CPU "
                                                         "back at 90% on all new pods"))
    assert d.action != "RESTART", d.justification


def test_a_pool_blocked_by_another_teams_nightly_job_is_a_humans_not_an_expected_spike():
    d = diagnose(Evidence("HikariCP pool exhausted - tm-service",
                          "HikariPool-1 - Connection is not available, request timed out after 30000ms (total=30, "
                          "active=30, idle=0, waiting=94)\n"
                          "pg_stat_activity on tm-db-shared: 92 sessions wait_event_type=Lock wait_event=relation "
                          "on public.tm_units, blocked by pid 40211\n"
                          "pid 40211 usename=analytics_etl application_name=dbt-nightly query='VACUUM FULL'\n"
                          "tm-db-shared is owned by data-platform; the dbt-nightly job is theirs"))
    assert (d.action, d.outcome) == ("NOOP", "human"), d.justification


OTHERS_ERRORS_OUTAGES_AND_STUFFING = [
    ("quote-engine 5xx rate > 3%",
     "ERROR PostcodeRiskResolver: GET http://address-service.customer-data.svc/v4/postcodes/LS6 -> 500 "
     "{\"error\":\"NoSuchMethodError: com.petcover.addr.Geo.normalise\"}\n"
     "argo: customer-data/address-service synced 4.2.0 at 13:20 (team customer-data)"),
    ("PortalLoginErrors",
     "token exchange failed: POST https://petcover.okta-emea.com/oauth2/default/v1/token -> 502 Bad Gateway\n"
     "status.okta.com: 'Degraded Performance - Okta EMEA cell OK14' (08:47 UTC)\n"
     "portal-auth 2.4.1 deployed 08:30 (log format change only); pods healthy, cpu 9%"),
    ("High login failure rate - portal-auth",
     "POST /api/login 680 req/s (normal ~25), cpu 78% across 8/8 pods\n"
     "27k distinct emails tried, 92% not registered customers\n"
     "successful logins from those ASNs in last hour: 47 accounts, 3 changed bank details for claim payouts"),
]


@pytest.mark.parametrize("alert, text, action", [
    ("customer-portal-bff CPU high",
     "container.cpu.usage = 100% of limit for 40m\nsame pod: event loop lag 1.8s, readiness flapping (3 failures / "
     "10m)\nnode --cpu-prof top self time: 91.4% retryWithBackoff -> setTimeout\nother 7 bff pods normal cpu 35%",
     "RESTART"),
    ("claims-settlement request timeouts",
     "ProxyLeakTask - Connection leak detection triggered on thread settlement-retry-4\n"
     "HikariPool-1 - Pool stats (total=30, active=30, idle=0, waiting=88)\n"
     "leak warnings began after the 10:40 PayRail blip (payout retries took the error path)", "RESTART"),
])
def test_a_flapping_probe_and_a_past_blip_elsewhere_are_no_recovery(alert, text, action):
    d = diagnose(Evidence(alert, text))
    assert (d.action, d.outcome) == (action, "act"), d.justification


HELD_FOR_APPROVAL_OR_RETENTION = [
    ("ClaimsSettlementBacklog", "2,317 approved claims awaiting payout > 6h\npods 3/3 Ready, cpu 4%, looks stuck\n"
                                "tick: candidates=2317 eligible=0 held=2317 reason=AWAITING_SECOND_APPROVAL"),
    ("KubePersistentVolumeFillingUp", "The PersistentVolume claimed by data-docs-0 is only 3.1% free.\n"
                                      "/data/originals = uploaded invoices, retention 7y (policy DOC-RET-04)"),
]


SCRAPER_OR_NODE_FILLED_BY_ANOTHER = [
    ("KubeHpaMaxedOut", "HPA opac-web: current 20 / max 20, cpu 88% (target 60%)\n"
                        "requests/s 1,940 (same hour last week 310)\n"
                        "top client ASN: AS14061 (DigitalOcean) 81% of requests from 214 IPs, UA \"Mozilla/5.0 "
                        "(compatible; MarcHarvester/0.3)\"\nlogged-in patron sessions: 1,210 (same hour last week "
                        "1,180)"),
    ("KubePodNotReady", "Events: Warning Evicted kubelet The node was low on resource: ephemeral-storage.\n"
                        "node-exporter: /var/lib/containerd 88G of 100G; largest /var/log/pods/fluent-bit 34G\n"
                        "locker-kiosk-gw emptyDir usage: 12Mi"),
]


def test_another_hosts_last_sync_age_is_no_deploy_and_requests_queued_are_no_idleness():
    assert deploy_age("gate-ctrl-ca-south (same agent version): last_sync 38s ago")[0] is None
    d = diagnose(Evidence("opac-web upstream request queueing",
                          "sockets in use 256/256 on all 9 pods; 1,400+ requests queued in the agent\n"
                          "catalog-search: QPS 90 (normal 400), p95 70ms, CPU 15%\nopac-web ingress 504 18%\n"
                          "sockets in use per pod: 40 -> 120 -> 256 over 3 days since pods last started"))
    assert d.action != "SCALE_DOWN", d.justification


def test_a_pool_full_while_the_cloud_database_is_unreachable_beside_a_typo_release_is_a_humans():
    d = diagnose(Evidence('ALARM: "yield-analytics-api-5xx"',
                          "HikariPool-1 - Connection is not available, request timed out after 30000ms (total=25, "
                          "active=25, idle=0, waiting=140)\n"
                          "PSQLException: The connection attempt failed. Caused by: java.net.SocketTimeoutException: "
                          "Connect timed out (yield-pg.db.cloud.example.com:5432)\n"
                          "provider health dashboard [us-west-2] Operational issue - Networking, started 16:12\n"
                          "deploy note: yield-analytics-api 1.44.1 went out 15:58 (typo fix in export CSV header); "
                          "errors began 16:13 with the provider event"))
    assert (d.action, d.outcome) == ("NOOP", "human"), d.justification


def test_a_cache_at_maxmemory_with_lru_eviction_is_by_design_unless_its_evictions_log_users_out():
    cache = ("redis_memory_used_bytes / redis_memory_max_bytes = 0.971 (playlist-cache-0)\n"
             "CONFIG GET maxmemory-policy -> allkeys-lru | maxmemory 12gb\nevicted_keys ~40/s, hit ratio 0.96")
    assert diagnose(Evidence("RedisMemoryHigh", cache)).action != "RESTART"
    sessions = diagnose(Evidence("Redis evictions on session-store",
                                 "used_memory 11.98G / maxmemory 12G, maxmemory-policy allkeys-lru\n"
                                 "mobile-bff: 'session not found' 401s are 4.1% (users being logged out)"))
    assert sessions.outcome != "benign", sessions.justification


def test_a_pool_exhausted_while_the_databases_failover_has_not_completed_is_a_humans():
    d = diagnose(Evidence("wms-inventory 5xx",
                          "RDS event 04:12:33 UTC wms-inventory-prod: Multi-AZ instance failover started.\n"
                          "Npgsql.NpgsqlException: The connection pool has been exhausted, either raise 'Max Pool "
                          "Size' (currently 100) or 'Timeout'\n"
                          "no 'Multi-AZ instance failover completed' event yet (04:21)"))
    assert (d.action, d.outcome) == ("NOOP", "human"), d.justification


def test_a_clock_stated_as_before_the_deploy_dates_no_deploy():
    assert deploy_age("first rejection 05:00:14, 70 minutes before the deploy\nerrors at 05:00")[0] is None
    assert deploy_age("05:02 deploy of v2\nerrors 05:10")[0] == 8.0


@pytest.mark.parametrize("alert, text", [
    ("KubeHpaMaxedOut", "HPA crew-mobile-api has been running at max replicas (10)\nrequests 140 rps -> 610 rps; 83% "
                        "are POST /api/session/refresh returning 502\ntablet app retries refresh every 2s with no "
                        "backoff; normal shift-start peak ~160 rps"),
    ("pledge-checkout RPS 5x baseline", "pledge-checkout rps 2,940 (baseline Thu 15:00: 560)\n88% carry "
                                        "X-Retry-Attempt >= 1 (mobile app 7.12 retries 502s with no backoff)\n"
                                        "fraud-scorer: 0/8 endpoints healthy since 14:51 (trust team incident open)"),
])
def test_retries_without_backoff_are_no_demand_and_none_healthy_since_is_no_recovery(alert, text):
    d = diagnose(Evidence(alert, text))
    assert d.action != "SCALE_UP" and d.outcome != "benign", d.justification


def test_a_maintenance_page_served_is_announced_maintenance():
    d = diagnose(Evidence("retailer-portal login DOWN",
                          "https://retailers.example.com/login DOWN since 01:02 UTC (HTTP 503)\n"
                          "nginx serving /usr/share/nginx/html/maintenance.html (flag /etc/nginx/maint.on present)"))
    assert d.action != "RESTART", d.justification


ACME_ORDER_OR_KEY_SERVICE_DOWN = [
    ("SSLCertExpiringSoon", "probe_ssl_earliest_cert_expiry - time() = 4d 6h\ncert-manager: Certificate hooks-tls "
                            "Ready=False: order is in \"errored\" state: 403 "
                            "urn:ietf:params:acme:error:unauthorized\n#platform: did anyone touch the DNS API token "
                            "for the cert solver? it was rotated last week"),
    ("KubePodCrashLooping", "CrashLoopBackOff (3 of 4 pods)\nFATAL config: decrypt DB credentials: operation error "
                            "KMS: Decrypt, https response error StatusCode: 503, api error "
                            "ServiceUnavailableException\n"
                            "other KMS-dependent services in the region showing the same startup failures"),
]


# a restart that meets the same limit, message or block again, a person's "don't touch it", a database's own volume
RESTART_MEETS_IT_AGAIN_OR_HANDS_OFF = [
    ("KubeContainerOOMKilled", "OOMKilled, exit 137, 6 restarts in 30m\n"
                               "each new container hits the 3Gi limit ~40s after start while loading the route table"),
    ("ContainerMemoryNearLimit", "container_memory_working_set_bytes 3.6Gi of 4Gi on both pods\n10:41 dana: I bounced "
                                 "both pods at 10:18 when this first fired, they went straight back to ~3.6G within 4 "
                                 "minutes"),
    ("RabbitMQ consumer stalled", "queue invoices: 1,286 ready, deliver 0/min for 35m\nworker ERROR ValueError on "
                                  "invoice INV-5501, nack requeue\nkubectl: worker restarts: 3 (last 07:58), same "
                                  "invoice first after each start"),
    ("ThreadPoolBlocked", "export-api 100/100 worker threads busy in publish()\nbroker: connection blocked (resource "
                          "alarm)\non-call restarted both pods at 11:02 -> stuck again within a minute"),
    ("Planner frozen", "#ops 09:12 ravi: planner looks frozen, should I kick it?\n"
                       "#ops 09:13 meg: no, don't touch it, I'm mid-way through a manual replan and it holds the lock"),
    ("Free disk space is less than 10% on volume /var/lib/mysql", "db-07: /var/lib/mysql 93% used, 4 GB free"),
    ("PostgresDiskFilling", "pg-main data volume 94% used\n"
                            "pg_replication_slots: slot 'etl_old' active=f, retained WAL 280 GB"),
]

@pytest.mark.parametrize("line", [
    "sync-vm-01 on the same build is healthy; known rare race (SYNC-311)",
    "previous image v3.11.4 healthy for 19 days",
    "the partner's feed is healthy and expected to stay at this volume",
])
def test_another_hosts_the_previous_images_or_a_partners_health_is_no_recovery_of_ours(line):
    d = diagnose(Evidence("PROC profile-sync CRITICAL",
                          "PROCS CRITICAL: 0 processes with command name 'profile-sync'\n"
                          "profile-sync[1184]: fatal error: concurrent map writes\n"
                          f"profile-sync.service: Failed with result 'exit-code'.\n{line}"))
    assert d.outcome != "benign", d.justification


@pytest.mark.parametrize("line", [
    "mqtt publisher loop exited: write: broken pipe (not restarted); local mosquitto up since 06:14:05",
    "The carrier API itself is fine: a synthetic check shows 0 errors, and their status page is green",
])
def test_a_loop_not_restarted_and_a_partners_green_status_page_are_no_recovery_of_ours(line):
    d = diagnose(Evidence("label-api HikariCP pool exhausted",
                          "HikariPool-1 - Connection is not available, request timed out after 30000ms (total=20, "
                          f"active=20, idle=0, waiting=61)\n{line}"))
    assert d.outcome != "benign", d.justification


def test_restarts_a_node_upgrade_explains_are_no_maintenance_of_the_incident():
    d = diagnose(Evidence("iOS push failures",
                          "APNs: 403 InvalidProviderToken for every iOS push since 08:10; Android delivery normal\n"
                          "kubectl -n notify get pods: 6/6 Running, RESTARTS 2 (both from Sunday's node upgrade)"))
    assert d.outcome != "benign", d.justification


# load that is an attack or abuse, not demand: stuffing logins, a spam bot, a scripted scraper from a hosting network
ATTACKS_NOT_DEMAND = [
    ("portal CPU > 85% for 15m", "avg CPU 92% across 3 pods, HPA is maxed at 3\nPOST /login 12,400 in 10m from 1,100 "
                                 "IPs (normal ~50), 401 ratio 99.5%\n2,870 distinct usernames tried; 2 logins "
                                 "succeeded from IPs never seen for those accounts"),
    ("comments/min anomaly", "comments/min 5,200 (threshold 800)\n~95% of comments in the last 30 min contain casino "
                             "links\nmoderation queue depth 120,000 (normal < 200)"),
    ("CatalogApiHighCPU", "cpu 84% across 6 pods, request rate 1,900 rps (7d avg same hour 300 rps)\ntop client: "
                          "1,600 rps from 200 IPs, user-agent python-requests/2.31, sequential page walk of "
                          "/api/products"),
]

# an unsigned image (security, not a deploy to roll back), a node drain beside a provider's open incident
UNSIGNED_IMAGE_OR_DRAIN_BESIDE_AN_INCIDENT = [
    ("verify-image-signatures: FAIL",
     "policy verify-image-signatures: FAIL - image registry.example.io/ledger:2.4.1 has no valid "
     "cosign signature (audit mode, pod admitted)\nledger-9dmx2 created 2024-05-02 03:41 on a "
     "fresh node; tag 2.4.1 re-pushed to the registry 2024-05-02 02:58 by user old-build-bot "
     "(no CI run)\nledger: all pods 200 OK"),
    ("SensorUplinkRateLow",
     "uplinks 3/min (7d avg same hour 210/min) for 25m; webhook pod healthy\n"
     "tracker restarted 08:00 (node drain for k8s 1.29 upgrade); uplinks normal 08:00-09:10\n"
     "status.thethings.industries 09:12 UTC: Investigating - degraded uplink routing"),
]


MINER_POISON_DISPUTE_SIGTERM_AND_DISK = [
    ("ContainerCpuUsageHigh", "webcam-snapshotter-0 CPU 3.98 cores (limit 4) for 35m\nsnapshot throughput normal\n"
     "311 app 394 00:36:12 /tmp/.X11-unix/.kworker -c /tmp/.X11-unix/.c.json\n$ cat /tmp/.X11-unix/.c.json -> "
     '{"autosave": true, "pools": [{"url": "pool.supportxmr.com:443"'),
    ("KubePodCrashLooping", "restarts 14 in 40m\nUncaught exception in consumer loop, partition 7 offset 88412019\n"
     "every restart: same partition, same offset 88412019\nno deploy since 2024-01-22"),
    ("SkipassSales503Sporadic", "12:05 Argo CD synced skipass-sales-api v7.4.0\nworking set per pod: 520Mi -> 1.31Gi, "
     "rising\nsame climb pattern seen last Thursday on v7.3.2\n#inc: Lena: \"roll back 7.4.0\" / Tom: \"it did this "
     "on 7.3.2 too, just restart them\""),
    ("PatientRecordsLatencyHigh", "p99=11.2s for 20m\nfail: Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddleware"
     "[1]\n      An unhandled exception has occurred while executing the request.\n      System.Threading.Tasks."
     "TaskCanceledException: HttpClient.Timeout of 100 seconds elapsing\nrecords-api 5/5 Ready, CPU 22%"),
    ("KubePodRestartsHigh", "restarts 9 in 2h across 3 pods\nLast State: Terminated  Reason: Error  Exit Code: 143\n"
     "(no Unhealthy probe events, no OOMKilled, no Evicted)\napp log: Received SIGTERM, shutting down gracefully\n"
     "kube-audit: no pod deletions recorded"),
    ("NodeRAIDDiskFailure", "kernel: md/raid:md1: Disk failure on sdc1, disabling device.\nsmartctl -a /dev/sdd: "
     "Reallocated_Sector_Ct 312 (was 8 last week)\northanc: store p95 slower (410ms vs 150ms)"),
]


@pytest.mark.parametrize("alert, text", [*PENDING_RETRIED_OR_TAMPERED, *OTHERS_ERRORS_OUTAGES_AND_STUFFING,
                                         *HELD_FOR_APPROVAL_OR_RETENTION, *SCRAPER_OR_NODE_FILLED_BY_ANOTHER,
                                         *ACME_ORDER_OR_KEY_SERVICE_DOWN, *RESTART_MEETS_IT_AGAIN_OR_HANDS_OFF,
                                         *ATTACKS_NOT_DEMAND, *UNSIGNED_IMAGE_OR_DRAIN_BESIDE_AN_INCIDENT,
                                         *MINER_POISON_DISPUTE_SIGTERM_AND_DISK])
def test_what_only_a_person_can_resolve_goes_to_a_human(alert, text):
    # a decision pending, a retry on the same input, a tampered kiosk, another service's error body, a vendor outage
    # beside a log-only release, credential stuffing, work held for a second approver, a volume kept by retention,
    # a scraper's surge, a node another pod filled, an ACME order errored, a key service down at start, a restart
    # that meets the same limit, message or block again, "don't touch it", a database's own volume, an attack or a
    # scraper as load, an unsigned image, a node drain beside a provider's open incident, a miner's pool config, a
    # crash loop on one offset, two people proposing different remedies, a request's exception the middleware
    # handled, a SIGTERM nobody sent, a failed RAID member (not a 39x demand from "/dev/sdd: … 312 (was 8)")
    d = diagnose(Evidence(alert, text))
    assert d.outcome == "human", d.justification


def test_a_release_the_text_shows_succeeding_from_its_deploy_until_later_is_cleared():
    text = ("2024-05-06T19:22:31Z error pay: provider API error (status=500)\n"
            "shop-checkout v3.2.0 deployed 2024-05-06 16:05 - payment success 99.3% from 16:05 to 19:04")
    assert "old_deploy" in read(text.lower()).features





def test_a_full_cpu_or_a_daily_growth_is_no_idle_utilisation():
    assert "low_utilisation" not in read("cpu usage 100% for 30 days, 6 replicas".lower()).features
    d = diagnose(Evidence("Disk /var/log is WARNING",
                          "DISK WARNING - free space: /var/log 2943 MB (29% inode=96%)\n"
                          "usage growth last 60 days: +0.2%/day, no jumps"))
    assert d.action != "SCALE_DOWN", d.justification


@pytest.mark.parametrize("alert, text", [
    ("KubePodCrashLooping", "gateway-0 restarting 4 times / 10 minutes\nERROR pki: own certificate "
                            "/etc/opcua/pki/own/certs/gw.der: no such file or directory\n"
                            "$ kubectl get secret opcua-client-pki\n"
                            "Error from server (NotFound): secrets \"opcua-client-pki\" not found"),
    ("Stale data > 60 min: PS12.*", "'Stale data > 60 min' for PS12.* (48 tags)\nWO-86210: PS-12 lift station out "
                                    "of service for wet well rehab until 2024-06-30, RTU powered down"),
])
def test_a_deleted_secret_and_a_station_out_for_works_are_not_restarted(alert, text):
    d = diagnose(Evidence(alert, text))
    assert d.action not in ("RESTART", "SCALE_UP"), d.justification


def test_every_pod_at_a_memory_share_below_ninety_percent_is_no_capacity_maxed_out():
    d = diagnose(Evidence("Container memory > 85% of limit", "memory 3.49 GiB of 4 GiB limit (87%)\n"
                                                             "pod age 19d, 0 restarts, all 4 pods at 86-88%"))
    assert d.action != "SCALE_UP", d.justification


def test_a_rollback_already_done_with_the_errors_still_there_is_no_bad_deploy():
    text = ("09:02 Flux: billing-api 4.1.0 applied\n09:06 alert ApiErrorRatio 18%\n"
            "09:15 Omar: rolled back to 4.0.7, all pods replaced\n"
            "09:27 Omar: still 17% errors on 4.0.7: ERROR 1054 (42S22): Unknown column 'plan_code' in 'field list'\n"
            "09:29 Ines: 4.1.0 ran its migration at startup; the rollback doesn't undo it")
    d = diagnose(Evidence("ApiErrorRatio", text, "critical", "billing-api"))
    assert d.action != "ROLLBACK" and d.outcome == "human", d.justification
    # a rollback that did fix it says nothing against the deploy
    assert "deploy_not_the_cause" not in read("rolled back to 3.1.0 at 10:20; still on 3.1.0 now and errors 0").features


def test_a_quoted_alert_title_marked_resolved_is_another_alerts_recovery():
    text = ('orders-web CPU high\n'
            'Sentry: "Upstream failure: tax-service" [RESOLVED] 08:40 (their status: operational)\nx')
    assert [text[a:b] for a, b in others_resolved(text)] == [text.split("\n")[1]]
    # this alert's own title, and a name resolved by DNS, are not another alert's recovery
    assert others_resolved('CPU high\nGrafana: "CPU high on web-3" resolved') == []
    assert others_resolved('orders-web\nname "db.internal" resolved to 127.0.0.1') == []
    d = diagnose(Evidence("orders-web CPU high",
                          "orders-web 3.4.0 deployed 08:51 UTC (12 min ago)\n"
                          "CPU per pod 0.2 -> 0.9 cores at ~410 req/s before and after; p95 90 ms -> 870 ms\n"
                          'Sentry: "Upstream failure: tax-service" [RESOLVED] 08:40 (their status page: operational)',
                          "high", "orders-web"))
    assert d.action == "ROLLBACK", d.justification


@pytest.mark.parametrize("text, ratio", [
    ("inbound 412 msg/s (same as yesterday 14:00: 405 msg/s)", 412 / 405),
    ("incoming 1,240 events/s (season opening, last Sunday 500 events/s)", 1240 / 500),
    ("signups 3.1/min, last Tuesday 3.0/min", 3.1 / 3.0),
])
def test_a_rate_beside_the_same_rate_at_an_earlier_time_is_a_demand_ratio(text, ratio):
    assert read(text.lower()).demand_ratio == pytest.approx(ratio)


def test_a_period_right_after_a_figure_names_that_figure_not_the_baseline():
    # "410 msg/min last month -> 1,060 msg/min this week" rose; it must not read as demand falling to 0.39×
    assert "traffic_falling" not in read("produce rate 410 msg/min last month -> 1,060 msg/min this week").features


def test_a_frozen_consumer_with_inflow_as_yesterdays_is_a_hang_not_saturation():
    text = ("kafka_consumergroup_lag{group=\"ledger-sink\"} = 288,410 (rising ~150/s)\n"
            "topic inflow 152 msg/s (same as yesterday 10:00: 149 msg/s)\n"
            "last log line 09:12 'flushed batch', nothing since (now 09:48); pod Running, CPU 1m\nno deploy since May")
    assert "traffic_flat" in read(text.lower()).features
    hypotheses, _ = rank(Evidence("KafkaConsumerLagHigh", text, "warning", "ledger-sink"))
    assert hypotheses[0].situation == "hang", hypotheses
    assert diagnose(Evidence("KafkaConsumerLagHigh", text, "warning", "ledger-sink")).action != "SCALE_UP"


def test_two_threads_waiting_on_each_others_locks_is_a_hang():
    text = ("health check timeout after 5s\nprocess CPU 0.1%, last log 02:14\n"
            "thread 7 waits on InventoryIndex lock, thread 11 waits on PriceCache lock\nno deploy since 2025-01-03")
    d = diagnose(Evidence("SyncServiceUnresponsive", text, "high", "sync-service"))
    assert d.action == "RESTART" and d.situation == "hang", d.justification
    assert "stalled_progress" in fired("worker 3 is waiting for the Ledger lock, worker 9 is waiting for the Journal "
                                       "lock")


def test_a_jvm_crash_reports_runtime_version_and_zero_ecc_errors_leave_a_plain_crash():
    text = ("connect to port 8443: Connection refused\n"
            "Mar 03 02:11:40 app-03 java[2210]: # SIGSEGV (0xb) at pc=0x00007f1a, pid=2210\n"
            "Mar 03 02:11:40 app-03 java[2210]: # JRE version: OpenJDK Runtime Environment (21.0.2+13)\n"
            "Mar 03 02:11:41 app-03 systemd[1]: quote-engine.service: Main process exited, code=killed, status=6/ABRT\n"
            "edac-util -v: mc0: 0 Uncorrected Errors, 0 Corrected Errors\nlast quote-engine deploy 2025-01-14")
    assert "recent_deploy" not in read(text.lower()).features
    d = diagnose(Evidence("check_tcp_quote_engine", text, "critical", "quote-engine"))
    assert d.action == "RESTART" and d.situation == "crash", d.justification


def test_gunicorns_perhaps_out_of_memory_is_a_guess_not_an_oom():
    text = ("[CRITICAL] WORKER TIMEOUT (pid:88)\n[ERROR] Worker (pid:88) was sent SIGKILL! Perhaps out of memory?\n"
            "worker RSS 150-170 MB of a 2 GB limit\n"
            "on-call: restarted the deployment at 10:02 and again at 10:20, same state within 2 min both times")
    d = diagnose(Evidence("ScoringApiDown", text, "critical", "scoring-api"))
    assert d.action == "NOOP" and d.outcome == "human", d.justification
    hypotheses, _ = rank(Evidence("ScoringApiDown", "[ERROR] Worker (pid:88) was sent SIGKILL! Perhaps out of memory?"))
    assert all(h.score < 0.5 for h in hypotheses if h.situation == "memory_leak")


def test_memory_that_climbed_to_a_bounded_lru_cache_and_levelled_is_by_design():
    series = ("heap since start (mon 08:00): 0.4 -> 1.6 (mon 14:00) -> 2.3 (tue 02:00) -> 2.41 (tue 14:00) -> 2.42 "
              "-> 2.42 gib")
    assert memory_levelled(series)
    assert not memory_levelled("heap since start: 0.4 -> 1.6 -> 2.3 -> 2.9 -> 3.5 gib")
    text = ("ErlangVmMemoryHigh: 2.42 GiB > 75% of 3 GiB\n" + series + "\n"
            "config :pricing, QuoteCache, max_entries: 1_500_000, eviction: :lru (evictions ~25/s)\nerrors 0")
    d = diagnose(Evidence("ErlangVmMemoryHigh", text, "warning", "pricing"))
    assert d.action == "NOOP" and d.outcome == "benign", d.justification


def test_req_rate_against_the_same_hour_on_other_days_is_a_demand_ratio():
    assert read("req rate 1,120/s now vs ~350 req/s same hour last thursdays").demand_ratio == pytest.approx(3.2)


def test_no_deploy_said_of_a_neighbour_is_no_statement_about_this_service():
    text = "is invoice-mailer failing too? -> no, no deploy on invoice-mailer today\npublish failures since 09:17"
    assert "old_deploy" not in read(text, None, "ledger-publisher").features
    assert "old_deploy" in read(text.replace("invoice-mailer", "ledger-publisher"), None, "ledger-publisher").features


def test_workers_blocked_again_seconds_after_a_restart_are_not_restarted_again():
    text = ("[CRITICAL] WORKER TIMEOUT (pid:41)\nLiveness probe failed: context deadline exceeded\n"
            "py-spy: every busy worker in readinto (socket.py) <- partner_client.check_access\n"
            "pods restarted by kubelet 19:05 - workers hung again within 50s")
    d = diagnose(Evidence("KubePodNotReady", text, "high", "access-api"))
    assert d.action == "NOOP" and d.outcome == "human", d.justification
    # a restart that buys half an hour is still the remedy for a deadlock that comes back
    slow = text.replace("hung again within 50s", "get stuck again within ~30 min")
    assert diagnose(Evidence("KubePodNotReady", slow, "high", "access-api")).action == "RESTART"


def test_a_siblings_deploy_is_not_ours_when_a_line_of_its_own_dates_ours():
    text = ("TypeError: Cannot read properties of undefined (reading 'roomId')\n"
            "State: CrashLoopBackOff, Last State: Terminated, Reason: Error, Exit Code: 1\n"
            "Restart Count: 3 (08:14, 10:52, 12:06) - ran for hours between crashes\n"
            "chat-gateway image 2.8.0, deployed 2025-02-11 (12 days ago)\n"
            "#deploys 11:40 chat-admin 4.1.0 -> prod (moderation UI)")
    assert "recent_deploy" not in read(text.lower(), None, "chat-gateway").features
    d = diagnose(Evidence("KubePodCrashLooping", text, "warning", "chat-gateway"))
    assert d.action == "RESTART", d.justification
    # a label line that names ours beside the sibling's release dates the sibling's, not ours
    labelled = ("ChunkLoadError: Loading chunk 77 failed\nlabels: project=shop-web-app, release=shop-web@3.2.0\n"
                "deploy log: shop-web 3.2.0 released 10:31 by CI\nfirst seen 10:33")
    assert "recent_deploy" in read(labelled.lower(), None, "shop-web-app").features


def test_a_database_stores_full_volume_is_not_our_disk():
    text = ("reserve failed: ERROR: write /crdb/data/000812.log: no space left on device (SQLSTATE XX000)\n"
            "$ kubectl exec deploy/stock-api -- df -h /tmp\nFilesystem  Size  Used Avail Use% Mounted on\n"
            "overlay      80G   31G   50G  39% /")
    d = diagnose(Evidence("StockWriteErrors", text, "critical", "stock-api"))
    assert d.action == "NOOP" and d.outcome == "human", d.justification
    spoken = "ENOSPC: no space left on device, write '/data/store/7.log'\nthat path is the kafka volume, not your pod"
    assert diagnose(Evidence("WriteErrors", spoken, "critical", "stock-api")).action != "RESTART"
    assert "not_our_disk" in said("Filesystem Size Used Avail Use% Mounted on\n/dev/sda1 60G 25G 36G 41% /var")
    # a table where another row is full says nothing of which disk is ours
    assert "not_our_disk" not in said("Filesystem Size Used Avail Use% Mounted on\n/dev/sda1 40G 12G 28G 30% /\n"
                                      "/dev/sdb1 200G 197G 3.0G 99% /data")


def test_a_change_whose_old_side_fails_as_often_is_not_rolled_back():
    from services.analyst.diagnosis.cohorts import versions_fail_alike

    table = ("5xx by rollouts-pod-template-hash:\n  6d7f (stable, v2.4.0, 6 pods)   3.9 %\n"
             "  8a1c (canary, v2.5.0, 2 pods)   4.2 %")
    assert versions_fail_alike(table)
    assert versions_fail_alike("errors from 10:05; flag-on cohort 2.2% vs flag-off 2.0%")
    assert not versions_fail_alike("canary 5xx 9.5% vs stable 0.2%")  # the new side alone fails
    assert not versions_fail_alike("canary at 20 % since 14:02 (38 min before the errors)")  # a share of traffic
    text = ("[FIRING:1] LedgerApi5xxHigh — 5xx 4.0 % since 14:40\ncanary v2.5.0 at 20 % since 14:02 (38 min before the "
            "errors)\n" + table + "\nerror text on both: upstream connect error or disconnect/reset before headers")
    assert diagnose(Evidence("LedgerApi5xxHigh", text, "high", "ledger-api")).action != "ROLLBACK"
    assert diagnose(Evidence("LedgerApi5xxHigh", text.replace("3.9 %", "0.1 %"), "high", "ledger-api")).action \
        == "ROLLBACK"


def test_a_load_error_spike_is_failures_rising_not_demand():
    assert "traffic_rising" not in read("sentry: chunk load error spike, 18,240 events in 30m").features
    assert "traffic_rising" in read("load spike since 10:00: checkout traffic doubled").features


def test_another_incident_resolved_earlier_does_not_cancel_this_deploy():
    text = ("413 Payload Too Large on 58% of uploads\n09:15 ConfigMap updated: MAX_UPLOAD_SIZE 100MB -> 1MB\n"
            "first 413 at 09:16, none in the previous 7 days\nCDN incident earlier today 06:10-06:40 (resolved)")
    assert diagnose(Evidence("UploadRejections", text, "high", "intake-api")).action == "ROLLBACK"


def test_the_alerts_own_message_gone_since_the_rollout_ended_is_recovery():
    text = ('linkerd_reconnect: Failed to connect error=connect timed out after 1s\n'
            'Argo Rollouts availability-api revision 19: 14:20 -> 14:31, old pods terminated one by one\n'
            '14:31 rollout Healthy; "Failed to connect" lines since 14:31: 0')
    assert diagnose(Evidence("LinkerdProxyConnectErrors", text, "warning", "availability-api")).action != "ROLLBACK"
    assert "recovered" in said('"Failed to connect" lines since 14:31: 0')
    assert "recovered" not in said("lag 2184 and rising\nCPU 2m, errors logged since 14:07: 0")  # a hang logs nothing


def test_a_release_still_to_come_dates_no_deploy():
    text = ("checkout-api: nothing deployed since Monday; next release train Thursday 10:00\n"
            "alert fired Thursday 11:00: 504s on 3% of /api/cart, app logs 0 ERROR lines")
    assert "recent_deploy" not in read(text.lower(), None, "checkout-api").features


def test_another_component_healthy_or_another_alerts_flap_is_no_recovery_of_this_one():
    fastly = ("Fastly audit: service www-prod version 212 activated 10:31:07\n"
              "  diff: backend F_render: .first_byte_timeout = 15000ms -> 1500ms\n"
              "fastly.status_503 www-prod: 0.04% -> 6.8% from 10:32\n"
              "[10:39] origin is healthy, direct curl to origin returns 200 in 1.9s")
    assert "recovered" not in said(fastly)
    assert diagnose(Evidence("Fastly503RateHigh", fastly, "high", "www-prod")).action == "ROLLBACK"
    handover = ("ErrorBudgetBurn paywall-api: burn rate 14.6 (1h), 504s on 3% of /api/entitlements\n"
                "handover: Stripe webhook retry alert flapped at 11:00, resolved on its own")
    d = diagnose(Evidence("ErrorBudgetBurn", handover, "high", "paywall-api"))
    assert d.outcome == "human", d.justification
    assert "recovered" in said("the alert flapped twice overnight and stayed green since 06:00")


def test_millicores_are_cpu_not_memory():
    r = read("pods: cpu 985m/1000m each, memory 300mi/1gi, 0 restarts")
    assert "high_memory" not in r.features and "high_cpu" in r.features
    assert "high_cpu" in read("per-pod cpu 870m-940m of 1000m limit; memory 410-455mi of 1gi, flat").features


def test_a_rate_series_is_compared_to_the_past_at_its_last_reading():
    text = "stream inflow: 11:00 41 msg/s · 12:00 96 msg/s · 13:00 128 msg/s   (last thursday 13:00: 43 msg/s)"
    assert read(text).demand_ratio == pytest.approx(128 / 43)
    assert "capacity_maxed" in fired("KEDA ScaledObject lab-ingest: maxReplicaCount 4, current 4")


def test_an_argo_rollouts_replicaset_age_dates_the_release():
    text = ("panic: runtime error: invalid memory address or nil pointer dereference\n"
            "├──# revision:31\n│  └──⧉ scheduler-5d9b7c6f4           ReplicaSet  ✔ Healthy      18m   stable\n"
            "│     ├──□ scheduler-5d9b7c6f4-2xk8d  Pod         ✔ Running      18m   ready:2/2,restarts:3\n"
            "└──# revision:30\n   └──⧉ scheduler-7f9c6d8b5           ReplicaSet  • ScaledDown   6d\n"
            "revision 30 (v3.7.2) ran 6 days with 0 restarts")
    assert deploy_age(text)[0] == pytest.approx(18)
    assert diagnose(Evidence("KubePodCrashLooping", text, "critical", "scheduler")).action == "ROLLBACK"


def test_a_websocket_upgrade_and_a_pushed_message_are_no_release():
    rejected = '08:12:40z "msg":"rejecting websocket upgrade","reason":"max_connections"'
    assert "recent_deploy" not in read(rejected).features
    text = 'p99 1.84s (threshold 0.8)\n[08:21] the owner app pushed "book your spring check-up" at 08:00'
    assert "recent_deploy" not in read(text.lower()).features
    assert "recent_deploy" in read("08:00 pushed v3.7.3 to prod, errors from 08:02").features


def test_a_certificate_with_months_left_and_a_green_provider_dashboard_are_no_cause():
    segv = ("kernel: renderer[2231]: segfault at 0 ip 00007f3a1c2b4e10 error 4 in libvips.so.42\n"
            "systemd[1]: renderer.service: Main process exited, code=killed, status=11/SEGV\n"
            "package unchanged since 2024-02-21\n"
            "blackbox: probe_ssl_earliest_cert_expiry news.example.co.uk -> 212 days")
    assert diagnose(Evidence("SystemdUnitFailed", segv, "critical", "renderer")).action == "RESTART"
    assert "certificate_expiry" in fired("probe_ssl_earliest_cert_expiry news.example.co.uk -> 6 days")
    green = ("deploy-resizer #413 succeeded (\"upgrade sharp 0.32.6 -> 0.33.2\") - alias live -> 63 at 11:20:44Z\n"
             "CloudWatch ALARM resizer-errors: Errors 100% since 11:21\n"
             "AWS Health Dashboard: Lambda eu-west-1 operating normally; S3 no issues")
    assert "upstream_partner_down" not in fired(green)
    assert "upstream_partner_down" in fired("AWS Health Dashboard [Operational issue] Amazon EBS: increased error "
                                            "rates for volume attachments")


def test_another_services_deploy_named_as_theirs_or_not_ours_is_no_release_of_ours():
    hang = ('network-model-service 0/3 ready for 2h50m (readiness /actuator/health/readiness timing out)\n'
            'requests 55/s (flat), all waiting ~30 s then 503 from the mesh\n'
            'log 06:12:04 WARN region-loader-4: GET https://gis-api.kgd.internal/regions/NORD returned 503\n'
            'gis-api: 503s only between 06:12:00 and 06:13:10 (their deploy), 200s since, p99 90 ms')
    assert "recent_deploy" not in read(hang.lower(), None, "network-model-service").features
    oom = ("Exception in thread \"boundedElastic-17\" java.lang.OutOfMemoryError: Java heap space\n"
           "heap used after GC, same pod since start: day1 0.9G, day2 1.6G, day3 2.3G, day4 3.0G\n"
           "Note from on-call: the deploy at 02:40 tonight was meter-validator, not meter-ingest.\n"
           "alert 03:14")
    assert diagnose(Evidence("KubePodContainerRestarted", oom, "critical", "meter-ingest")).action == "RESTART"
    # the same note about our own service still dates a release of ours
    ours = oom.replace("was meter-validator, not meter-ingest", "was meter-ingest 4.2.0")
    assert "recent_deploy" in read(ours.lower(), None, "meter-ingest").features


def test_a_denial_naming_our_service_outweighs_a_clock_beside_a_release_word():
    text = ("Problem: CPU utilization > 90% for 20m (search-suggest), started 01:31:20\n"
            "haproxy bk_search_suggest: req rate 610/s (same hour yesterday 590/s)\n"
            'Zabbix: "memcached is down on mc-fra1-03" PROBLEM 01:24:10 -> RESOLVED 01:28:52\n'
            "app-fra1-13 (new release, same mc ring) reconnected at 01:29 and is at 12 % CPU\n"
            "no deploy of search-suggest since 14 Nov")
    assert "recent_deploy" not in read(text.lower(), None, "search-suggest").features
    assert "recent_deploy" in read(text.lower().replace("of search-suggest", "of search-ranker"), None,
                                   "search-suggest").features
    # "same release" names a release to say two hosts share it: nothing was released
    assert "recent_deploy" not in read("app-13 (same release, same ring) reconnected at 01:29; alert 01:31").features
    # a flag flip is a change of its own that a deploy denial does not cover
    flag = ("flipper audit: 17:41:55 feature \"pricing_rounding\" enabled for 100% of actors\n"
            "NoMethodError spike first seen 17:42:10; no deploy today, last deploy of hotel-booking was 2 days ago")
    assert read(flag.lower(), None, "hotel-booking").deploy_age_minutes == pytest.approx(1)
    launch = ('Event 15:30:12 UTC LaunchDarkly: sam.k changed flag "deck.ranker_v4" in Production: rollout 5% -> 100%\n'
              "From 15:31: error rate 0.2% -> 3.8%\nNo deployments of discover-deck-api since 2024-05-22")
    assert "recent_deploy" in read(launch.lower(), None, "discover-deck-api").features


def test_an_age_since_the_deploy_and_an_informational_aside_are_not_causes():
    gc = ("task hotel-content-sync using 390 % of 4 cores, content events 220/min (7-day avg 215/min) - flat\n"
          "gc.log: Pause Full (G1 Compaction Pause) 3998M->3996M(4096M) 1988.331ms\n"
          "uptime 11 days = time since last deploy")
    assert "recent_deploy" not in read(gc.lower(), None, "hotel-content-sync").features
    assert "deploy_regression_words" not in fired(gc)
    assert "deploy_regression_words" in fired("5xx since the last deploy")
    aside = 'Zabbix (weekly, informational): "SSL certificate on www.tripnest.com valid for 203 more days"'
    assert not {"expected_spike", "certificate_expiry"} & fired(aside)
    assert "expected_spike" in fired("This alert is informational; tune the threshold, don't bounce the pod")
    assert "expected_spike" not in fired("rps 700 flat; the nightly batch runs on wrk-02, not on app servers")
    assert "upstream_partner_down" not in fired("FX provider fine: rate-quote-1/-3 refresh every 60 s without errors")
    assert "runtime_out_of_memory" not in fired("[FIRING] Redis is running out of memory (> 90%)")


def test_flapping_over_the_last_minutes_is_still_going_not_recovered():
    text = ("Azure Monitor: UnhealthyHostCount > 0 for backend pool portal-web, flapping 0-2 over the last 40 min\n"
            "pods behind those IPs: Running, 0 restarts; client-side 502 rate 0.6 %")
    assert "recovered" not in said(text)
    assert "recovered" in said("backend health flapped twice at 09:10, stable and green since 09:12")


def test_idle_siblings_and_a_batch_on_another_host_do_not_excuse_one_spinning_worker():
    text = ("Problem: CPU utilization > 85% on app-fra1-05 for 30m (hotel-booking)\n"
            " 2291 522100 99.8 812400 puma: cluster worker 0: 2210 [hotel-booking]\n"
            " 2295 522100  6.1 790332 puma: cluster worker 1: 2210 [hotel-booking]\n"
            "rps 700 flat; the other 3 workers at 5-6 % CPU; the nightly batch runs on wrk-02, not on app servers")
    assert "low_utilisation" not in said(text)
    assert diagnose(Evidence("High CPU utilization", text, "high", "hotel-booking")).action == "RESTART"
    assert "low_utilisation" in said("all 12 workers at 5-6 % CPU for 14 days")


def test_a_go_pool_with_every_connection_in_use_is_exhausted_and_upgrade_is_no_postgres():
    stats = ('/debug/dbstats: {"MaxOpenConnections":40,"OpenConnections":40,"InUse":40,"Idle":0,'
             '"WaitCount":18422,"WaitDuration":"5h12m33.4s"}')
    assert "connection_pool_exhausted" in fired(stats)
    assert "connection_pool_exhausted" not in fired(stats.replace('"InUse":40,"Idle":0', '"InUse":12,"Idle":28'))
    ws = '{"msg":"rejecting websocket upgrade","reason":"max_connections","current":5000,"max":5000}'
    assert "connection_pool_exhausted" not in fired(ws)
    assert "connection_pool_exhausted" in fired("pg: FATAL remaining connection slots are reserved, "
                                                "max_connections=100")


def test_a_helm_config_checksum_roll_is_a_change_and_a_crdb_upgrade_is_not_ours():
    text = ("Argo CD: Application pharmacy-stock sync succeeded\n"
            "  pods rolled by checksum/config annotation at 15:31\n"
            "[FIRING:1] GrpcServerErrorRate (pharmacy-stock)   15:35 UTC  error ratio 38 %\n"
            "  rpc error: code = ResourceExhausted desc = grpc: received message larger than max (5242880 vs. 4194304)")
    assert diagnose(Evidence("GrpcServerErrorRate", text, "high", "pharmacy-stock")).action == "ROLLBACK"
    assert "provider_quota" not in fired(text)
    assert "provider_quota" in fired("rpc error: code = ResourceExhausted desc = Quota exceeded for quota metric")
    crdb = ("#maintenance 2025-06-10 22:00-23:30 UTC - crdb-main rolling upgrade v24.3.6 -> v25.1.2, one node at a time"
            "\n"
            "[FIRING:1] GrpcErrorRateHigh records (patient-records warning)   22:42 UTC")
    assert "recent_deploy" not in read(crdb.lower(), None, "patient-records").features


def test_go_gc_taking_a_third_of_the_time_and_goroutines_blocked_for_an_hour_are_read():
    gctrace = ("gc 48213 @91244.118s 31%: 0.051+212+0.044 ms clock, 1498->1512->1490 MB, 1500 MB goal, 4 P\n"
               "rps flat 80/s; p99 3.4 s (normal 120 ms)")
    assert diagnose(Evidence("CPUThrottlingHigh", gctrace, "warning", "inventory-catalog")).action == "RESTART"
    assert "gc_spiral" not in fired("gc 112 @4021.551s 2%: 0.031+3.1+0.020 ms clock, 210->214->108 MB, 216 MB goal")
    dump = ("grpc_server_started_total - grpc_server_handled_total = 100, unchanged 71m\n"
            "goroutine dump: 100 goroutines [chan receive, 71 minutes] in internal/cache.(*Refresher).Wait\n"
            "refresher goroutine: not present (panicked at 10:49 and was recovered by the middleware)\n"
            "other 2 pods: healthy, ~40 rps each; total rps 118 (yesterday 121)")
    assert diagnose(Evidence("GrpcServerInflightStuck", dump, "high", "clinic-directory")).action == "RESTART"
    assert "unresponsive" not in fired("goroutine 7 [chan receive, 1440 minutes]: main.worker(0xc000112000)")


def test_a_client_librarys_version_in_a_connection_name_is_no_release():
    slow = ('[1] 2025/06/27 11:42:03.118772 [INF] 10.40.3.77:51522 - cid:90211 - "v0.1.4:go:NATS CLI Version 0.1.4" '
            '- Slow Consumer Detected: WriteDeadline of 10s exceeded\n[FIRING:1] NatsSlowConsumers 11:43')
    assert "recent_deploy" not in read(slow.lower()).features
    assert "recent_deploy" in read("11:40 rolled v0.1.4 to prod; errors from 11:42").features


def test_a_logger_named_version_is_no_release_and_a_rollback_that_did_not_help_goes_to_a_human():
    flyway = ("2025-08-19 07:41:09.553  INFO 1 --- [main] o.f.c.i.license.VersionPrinter : Flyway Community Edition\n"
              "2025-08-19 07:41:10.204 ERROR 1 --- [main] o.s.boot.SpringApplication : Application run failed")
    assert "recent_deploy" not in read(flyway.lower()).features
    assert "recent_deploy" in read("07:30 version 2.4.0 went live; errors since 07:31").features
    again = diagnose(Evidence("KubePodCrashLooping", "Back-off restarting failed container\n2.4.0 deployed 06:55, "
                              "Argo CD rolled back to 2.3.7 at 07:38 after failed smoke test\nnew 2.3.7 pods "
                              "crashloop", "warning", "claims-party"))
    assert (again.action, again.outcome) == ("NOOP", "human"), again.justification
    helped = diagnose(Evidence("KubePodCrashLooping", "Back-off restarting failed container since 07:00\n"
                               "2.4.0 deployed 06:55", "warning", "claims-party"))
    assert helped.action == "ROLLBACK", helped.justification


def test_a_zabbix_recovery_message_and_a_database_refusing_our_connections():
    cpu = ("Zabbix: PROBLEM: print-worker-02: High CPU utilization (over 90% for 5m)  Item value: 97.4 %\n"
           "Zabbix: RESOLVED: print-worker-02: High CPU utilization (over 90% for 5m)  Problem duration: 33m 46s")
    assert "recovered" in said(cpu)
    assert diagnose(Evidence("High CPU utilization", cpu, "warning", "print-worker")).action == "NOOP"
    db = ('django.db.utils.OperationalError: connection to server at "comments-db.example.rds.amazonaws.com" '
          '(10.20.4.18), port 5432 failed: Connection refused\n'
          "#eng-announce (Tue): CHG-2287 comments-db minor version upgrade, Thu 03:00-03:30, expect ~2 min of errors")
    assert "service_down" not in fired(db)
    assert diagnose(Evidence("Comments5xxHigh", db, "high", "comments-api")).outcome == "human"
    assert "recent_deploy" not in read(db.lower(), None, "comments-api").features
    assert "service_down" in fired("curl: (7) Failed to connect to 127.0.0.1 port 8080: Connection refused")


def test_a_zero_oom_kill_counter_and_a_varnish_cache_nuking_its_lru_are_no_leak():
    assert "kernel_oom_killer" not in fired("swap used 0, node_vmstat_oom_kill 0")
    assert "kernel_oom_killer" in fired("node_vmstat_oom_kill 3 in the last hour")
    varnish = ("[FIRING] NodeMemoryHighUtilization varnish-edge-03 - memory is filling up: 91.4% used\n"
               "varnishd -a :80 -f /etc/varnish/default.vcl -s malloc,24G   (host 28 GiB RAM)\n"
               "varnishstat: SMA.s0.g_bytes 25769279488   SMA.s0.g_space 0   MAIN.n_lru_nuked +18k/h   hit ratio 0.93\n"
               "swap used 0, node_vmstat_oom_kill 0")
    assert diagnose(Evidence("NodeMemoryHighUtilization", varnish, "warning", "varnish-edge")).action != "RESTART"


def test_an_oom_under_a_limit_someone_forgot_to_raise_is_not_restarted():
    text = ("Container meter-validator in pod ami-ingest/meter-validator-backfill-manual-xk2p9 has been OOMKilled.\n"
            "pod created 10:02 by user d.okonkwo (kubectl run from runbook RB-AMI-09 backfill), limits memory 512Mi\n"
            "#ami-ops 10:19 Daniel Okonkwo: the OOM is my backfill pod, forgot to bump memory")
    assert diagnose(Evidence("KubeContainerOOMKilled", text, "warning", "meter-validator")).action != "RESTART"


def test_yesterdays_rollout_in_a_series_past_midnight_is_hours_old():
    text = ("Fired 2025-01-15 06:10 UTC: working set 83 % (2.9Gi of 3.5Gi) for outage-map-tiles\n"
            "Pods restarted yesterday 17:00 by the 2.4.1 rollout; working set since then:\n"
            "  17:00 0.7Gi | 19:00 1.4Gi | 22:00 2.3Gi | 01:00 2.8Gi | 03:00 2.9Gi | 06:00 2.9Gi | 06:10 2.9Gi")
    assert deploy_age(text.lower(), "outage-map-tiles")[0] == pytest.approx(790)
    # a note written the morning after, about failures right after yesterday's deploy, still dates it minutes before
    after = "yesterday 17:00 the 2.4.1 rollout finished; 5xx from 17:03 until 17:40"
    assert deploy_age(after.lower())[0] == pytest.approx(3)


def test_a_failure_happening_again_or_ongoing_is_not_recovered_and_no_cause_found_is_doubt():
    again = ("- Mon 14:09-14:16, Tue 14:11-14:17: p99 300ms -> 3-4s, then back to normal by itself\n"
             "- today (Thu) 14:13: happening again, p99 3.6s")
    assert "recovered" not in said(again)
    handover = ("1. 01:02 KafkaConsumerGroupLagHigh billing-exporter - auto-resolved 01:27. nothing to do.\n"
                "4. 03:40 -> ongoing: trip-billing 5xx 2.1% (baseline 0.1%)\n"
                "   - didn't restart anything, didn't find a cause. still 2.1% at 06:55.")
    assert "recovered" not in said(handover)
    assert "uncertain" in said(handover)
    assert "uncertain" in said("nobody can say yet why the job writes the files but the pointer does not move")
    assert "recovered" in said("p99 back to normal by itself at 14:16 and stayed there")


def test_argo_cd_names_and_ages_a_sync_and_a_tls_min_version_is_no_release():
    other = ("10:02 argocd-notifications: Application geofence-service sync succeeded (ConfigMap geofence-polygons)"
             " - 25 min ago\ngeo-event-router: last image change 2025-04-11 (19 days ago)")
    assert "recent_deploy" not in read(other.lower(), None, "geo-event-router").features
    ours = 'Argo CD telematics-ingest  Synced  rev 9a3e77c  "4.2.0: schema validation"  synced 9 minutes ago'
    assert deploy_age(ours.lower(), "telematics-ingest")[0] == pytest.approx(9)
    assert deploy_age("ldap directory last synced 9 minutes ago")[0] is None
    tls = ('time="2025-04-22T09:31:02Z" level=warning msg="dicom tls: MinVersion TLS1.1 is deprecated"\n'
           "fatal error: concurrent map writes\nExited (2) 14 minutes ago; alert 09:47")
    assert "recent_deploy" not in read(tls.lower()).features


def test_a_provider_incident_marked_resolved_is_no_provider_outage():
    text = ('AWS Health (eu-central-1): "Increased S3 error rates" 10:17-10:22 - RESOLVED\n'
            "S3 PUTs from other services since 10:22: normal")
    assert "upstream_partner_down" not in fired(text)
    assert "upstream_partner_down" in fired('AWS Health (eu-central-1): "Increased S3 error rates" since 10:17')


def test_a_sidecars_oom_kill_that_recovered_asks_nothing_of_the_service():
    describe = ("[FIRING] KubeContainerOOMKilled clinical-int/fhir-facade-5c7b8d9f6-q7tnm\n"
                "  fluent-bit:\n    Last State: Terminated\n      Reason: OOMKilled\n      Exit Code: 137")

    def diagnosed(container: str, service: str = "fhir-facade", text: str = describe) -> set[str]:
        evidence = Evidence("KubeContainerOOMKilled", text, container_name=service,
                            labels={"container": container, "pod": "fhir-facade-5c7b8d9f6-q7tnm"})
        return fired_on(evidence)

    # the sidecar's own kill still asks for a restart of the pod, until the text shows it recovered and held
    assert {"container_oomkilled", "sidecar_out_of_memory"} & diagnosed("fluent-bit") == {"sidecar_out_of_memory"}
    recovered = describe.replace("[FIRING]", "[RESOLVED]") + "\nNow 11:05: fluent-bit 31Mi steady, no dropped records"
    assert not {"container_oomkilled", "sidecar_out_of_memory"} & diagnosed("fluent-bit", text=recovered)
    assert "container_oomkilled" in diagnosed("fhir-facade", text=recovered)  # the service's own kill is a leak
    assert "container_oomkilled" in diagnosed("fhir-facade")
    assert "container_oomkilled" in diagnosed("app")  # a container of any other name may be the service's own
    assert "container_oomkilled" in diagnosed("envoy", service="envoy")  # a front proxy deployed as envoy is ours
    # a text that labels the service's own container beside a sidecar's is no sidecar alert
    both = describe + '\ncontainer_memory_working_set_bytes{container="fhir-facade"} 2.1e9 {container="istio-proxy"}'
    assert "container_oomkilled" in diagnosed("istio-proxy", text=both)


def test_platform_and_datastore_upgrades_table_headers_and_influxdb_are_no_release_of_ours():
    def recent(text: str, service: str = "shipment-tracker") -> bool:
        return "recent_deploy" in read(text.lower(), None, service).features

    upgrade = ("#ops-announce 21:00: OpenShift 4.14.21 -> 4.14.24 upgrade on ocp-prd-fra tonight 22:00-02:00\n"
               "[FIRING] KubePodNotReady 22:00")
    assert not recent(upgrade)
    assert not recent("05:00 InfluxDB 2.7.6 -> 2.7.10 upgrade on influx-01\nalert 05:02: write errors", "tlm-ingest")
    assert recent("05:00 tlm-ingest 2.7.6 -> 2.7.10 upgrade\nalert 05:02: write errors", "tlm-ingest")
    # the columns of `oc get mcp` are no configuration updated; the words in a sentence are
    header = ("NAME     CONFIG                   UPDATED   UPDATING   DEGRADED\n"
              "worker   rendered-worker-9f   False     True")
    assert not recent(header)
    assert recent("config updated at 21:58 by the pipeline; 5xx from 22:01")
    # InfluxDB is no Flux sync, and the product's name is no influx of demand
    assert deploy_age('05:03 "WARN influx write failed (connection refused)"\nalert 05:19'.lower())[0] is None
    assert deploy_age("flux reconciled kustomization at 05:03\nalert 05:19".lower())[0] == pytest.approx(16)
    assert "traffic_rising" not in read("influx db write errors on influx-01").features
    assert "traffic_rising" in read("a sudden influx of users after the tv spot").features
    # a baseline inside the brackets after a '; '
    assert "traffic_rising" in read("produce rate 1.3k msg/s (heatwave in the south; 7-day avg 250 msg/s)").features


def test_services_not_deployed_failing_alike_clear_our_release():
    from services.analyst.diagnosis.cohorts import services_fail_alike

    text = ("14:02:31 argo cd: excursion-evaluator synced to 5.2.0\n"
            "14:12:05 error io error: the network adapter could not establish the connection\n"
            'splunk: "network adapter could not establish" earliest=14:00 | stats count by service\n'
            "  gdp-audit-trail       3112\n  wms-core              2877\n  excursion-evaluator   1940\n"
            "  (only excursion-evaluator was deployed today)")
    assert services_fail_alike(text, "excursion-evaluator")
    assert "others_fail_alike" in read(text, None, "excursion-evaluator").features
    # the others far below ours, or ours not among them: no shared cause read
    alone = text.replace("3112", "12").replace("2877", "9")
    assert not services_fail_alike(alone, "excursion-evaluator")
    assert not services_fail_alike(text, "shipment-tracker")


def test_one_caller_a_whole_cpu_figure_and_a_restarted_deployment():
    # a breakdown by a tagged facet that states the one caller's share
    one = "breakdown by @device_id: zb-tc52-bru2-017 -> 9,790 (99.8 % of the 401s)"
    assert "one_caller" in read(one).features
    # top's 2310 % on a 32-core host is 2310 %, not 310 %
    assert read("top (02:20): influxd 2310% cpu, telegraf 3%").cpu_pct == pytest.approx(2310)
    # kubectl's deploy/x restarted by hand is no release
    assert deploy_age("10:14 jonas: restarted deploy/notif-dispatcher\nalert 10:19 same error") == (None, "")


def test_a_baseline_named_before_its_arrow_or_beside_a_percentile_is_read():
    assert read("topic in-rate: baseline ~3.1k msg/s (30d p50) -> 7.9k msg/s since 10:40").demand_ratio == \
        pytest.approx(7.9 / 3.1, rel=0.01)
    assert read("rps: 1.2k (weekday p50 baseline 400 req/s) - ramping since 11:00").demand_ratio == pytest.approx(3)
    far = ("requests 1.9k rps - first working day after easter, inbound receiving peak at all depots "
           "(typical monday 700-800 rps)")
    assert "traffic_rising" in read(far).features
    assert read("latency: baseline 80 ms -> 900 ms").demand_ratio is None  # no rate's unit: no demand


def test_a_release_no_worse_after_than_before_is_cleared_and_an_unexplained_kill_is_no_crash():
    from services.analyst.diagnosis.cohorts import before_after_alike

    rolled = ("argocd: shipment-tracker synced to v2.14.3 (deployed 10:02 utc, prev v2.14.2)\n"
              "10:19 deployment successfully rolled out; 12/12 available\n"
              "error rate 0.11% before / 0.10% after, p95 210ms before / 204ms after, no restarts on new pods.")
    assert before_after_alike(rolled)
    assert "recent_deploy" not in read(rolled, None, "shipment-tracker").features
    assert not before_after_alike("error rate 0.1% before / 4.2% after")
    assert not before_after_alike("cpu 40% before / 41% after")  # no failure or latency figure
    # the figure now with the earlier one in brackets, on a line measured after the change
    assert before_after_alike("warehouse-api after deploy: error 0.05% (before 0.06%), p95 120 ms (before 118 ms)")
    assert not before_after_alike("warehouse-api after deploy: error 5.2% (before 0.06%)")
    assert not before_after_alike("error 0.05% (before 0.06%)")  # no change named on the line
    # a SIGKILL the text says was no OOM kill: whatever the words for a crash, no restart
    killed = ("systemd[1]: poller.service: Main process exited, code=killed, status=9/KILL\n"
              "journalctl -k: no oom-killer entries\nsystemd[1]: poller.service: Start request repeated too quickly.")
    assert all(h.situation != "crash" for h in rank(Evidence("systemd poller", killed))[0])


def test_an_oom_kill_line_naming_only_a_sidecar_and_prose_after_container_is_no_label():
    from services.analyst.diagnosis.sidecars import sidecar_alerted

    status = ("api          restartcount=0  state.running.startedat=2025-03-10t08:11:42z\n"
              "fluent-bit   restartcount=1  laststate.terminated.reason=oomkilled exitcode=137\n"
              "api container: memory 410mi flat, 5xx 0")
    assert sidecar_alerted(status, "warnings-api") == "fluent-bit"
    # the service's own line reporting a kill, or a kill line naming no sidecar: not a sidecar's
    assert not sidecar_alerted(status + "\nwarnings-api oomkilled at 02:20", "warnings-api")
    assert not sidecar_alerted("api  lastState.terminated.reason=OOMKilled".lower(), "warnings-api")
    # a sidecar that recovered and holds its memory since asks for no restart of the pod
    held = "[firing] kubecontainerrestarted warnings-api\n" + status + \
        "\nfluent-bit memory since restart: 38-44Mi of 64Mi, flat (now 08:20, six hours later)"
    fired_here = fired_on(Evidence("KubeContainerRestarted", held, container_name="warnings-api"))
    assert not fired_here & {"container_oomkilled", "sidecar_out_of_memory"}


def test_a_capitalised_resolved_notice_of_another_rule_is_not_this_alerts_recovery():
    relayed = "CPUThrottlingHigh\n#alerts 10:55 RESOLVED KubePodNotReady warnings/api-2mhxs (node drain)"
    assert others_resolved(relayed)
    assert not others_resolved("CPUThrottlingHigh\n10:55 RESOLVED CPUThrottlingHigh warnings/api-9dz4k")
    assert not others_resolved("CPUThrottlingHigh\nthe ticket was resolved yesterday")  # a word, not a notice


def test_requests_in_flight_are_no_demand():
    # in-flight counts are arrival rate × time taken: they pile up as well when nothing finishes
    assert "traffic_rising" not in read("W3SVC_W3WP CrewDispatchApi on P05: Active Requests 251 (normal < 10), "
                                        "Requests/sec 0.0").features
    assert "traffic_rising" in read("CrewDispatchApi on P05: Requests 251/s (normal < 10/s)").features


def test_a_datastores_upgrade_named_before_the_datastore_is_no_release_of_ours():
    scylla = ("08:30 dba: rolling upgrade scylladb 5.4.9 -> 5.4.10 on scylla-prod-01..06\n"
              "09:02 write timeouts from feed-api")
    assert deploy_age(scylla, "feed-api")[0] is None
    # a client library's upgrade inside the service stays its own release
    assert deploy_age("08:30 upgrade redis client to 5.0\n09:02 write timeouts", "feed-api")[0] == 32.0


def test_rising_demand_on_replicas_with_idle_cpu_is_no_case_for_more_replicas():
    # tuning dump (no casebook), session 47: of the SCALE_UP decisions whose CPU read 30% or less, 4 were right and
    # 10 unsafe; replicas that idle are not saturated by the demand
    idle = diagnose(Evidence("HighRequestRate", "rps 2,400 vs 800 usual\nCPU 12% on all pods, p99 90ms", "warning",
                             "api"))
    assert idle.action != "SCALE_UP", idle.justification
    busy = diagnose(Evidence("HighRequestRate", "rps 2,400 vs 800 usual\nCPU 92% on all pods, p99 900ms", "warning",
                             "api"))
    assert busy.action == "SCALE_UP", busy.justification


def test_a_percentage_ending_a_line_is_no_cpu_or_memory_figure_of_the_next():
    assert read("5xx ratio 0.2% -> 6.5%\nCPU per pod 91%").cpu_pct == 91.0
    assert read("failed requests 1.1%\nCPU per request about 1.6x last week").cpu_pct is None
    assert read("error rate 3%\nmemory per pod 2Gi").memory_pct is None
    assert read("97% CPU on all pods").cpu_pct == 97.0 and read("40 % of memory").memory_pct == 40.0


def test_a_commit_message_and_a_camelcase_name_are_read_for_what_they_say_of_the_deploy():
    # the quoted commit message's "deps we don't use" is the change's own words, not the text dismissing the release
    release = ('GitHub Actions ocr-worker / release #412 succeeded 08:10Z: "slim base image (drop opencv system '
               "deps we don't use)\"\nevery job since 08:12Z:\nImportError: libGL.so.1: cannot open shared object file")
    assert deploy_age(release, "ocr-worker")[0] == 2.0
    # "BillingApi: no deploy in 11 days" denies billing-api a release that another service's deploy line reports
    other = ('Watchdog suggestions: "Deployment: invoice-renderer 3.7.1 (2h 14m ago)"\n'
             "BillingApi: no deploy in 11 days, CPU 30 %")
    assert "recent_deploy" not in read(other, service="billing-api").features


def test_a_resolved_notice_before_a_quoted_title_names_another_alert():
    text = 'BatchJobFailureRate ocr-worker\nTextract: no throttling. [RESOLVED] "sqs-ocr-intake-age" 07:55Z'
    assert others_resolved(text) == [(len("BatchJobFailureRate ocr-worker\n"), len(text))]
    assert others_resolved('BatchJobFailureRate ocr-worker\n[RESOLVED] "BatchJobFailureRate ocr-worker"') == []


def test_a_degradation_is_trouble_after_a_change():
    text = ("AWX job #8120 \"config-push timetable-planner\" 2024-12-12 09:40 - changed=3\n"
            "  application-prod.yml: server.tomcat.threads.max: 200 -> 20\n"
            "Dynatrace 09:52: timetable-planner response time degradation, 12.4 s (baseline 210 ms)")
    assert {"recent_deploy", "trouble"} <= read(text, service="timetable-planner").features
    assert diagnose(Evidence("timetable-planner response time degradation", text, "high",
                             "timetable-planner")).action == "ROLLBACK"


def test_a_release_by_another_team_named_in_brackets_is_no_release_of_ours():
    # "(different team)" between the name and "deployed" hid whose release it was: the crash was rolled back
    crash = ("#alerts-disputes  Alertmanager  10:22\n"
             "[FIRING] ContainerExitedNonZero: disputes/dispute-service-68c7f4d9b-pz9tw exit_code=134\n"
             "#  SIGSEGV (0xb) at pc=0x00007f3c2a1b4e2d, pid=1, tid=58\n"
             "Restart Count: 1, previous container ran 23d 6h. Image dispute-service:4.7.0, rolled out 2024-04-16.\n"
             "Note: chargeback-api (different team) deployed 4.2.0 at 10:05; dispute-service doesn't call it "
             "synchronously.")
    hypotheses, _ = rank(Evidence("ContainerExitedNonZero", crash, container_name="dispute-service"))
    assert hypotheses[0].situation == "crash"
    assert "bad_deploy" not in {h.situation for h in hypotheses}
