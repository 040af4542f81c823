"""The reports end to end through `aegis up --demo`: a demo incident resolved by a restart gives a post-incident
report naming the target, the action and the timeline, with durations equal to the stored events' timestamps, the
same twice; an unknown id is a 404 with the reason (CLI: a message and a non-zero exit); the judgment report counts
it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from aegis.harness import Platform, alert, demo_ports_free, dump, kill_target, wait_sync
from shared.events import incident as ev
from shared.eventstore import EventStore
from shared.jetstream import connect

pytestmark = pytest.mark.e2e
INCIDENT = "report-restart-1"


@pytest.fixture(scope="module")
def platform(start_platform):
    if not demo_ports_free():
        pytest.fail("demo ports 8000/8002-8004 are taken by something else")
    plat = start_platform("reports", demo=True)
    kill_target(8002)
    assert plat.webhook(alert(INCIDENT, "addition-api")).status_code == 200
    result = plat.wait_terminal(INCIDENT)
    assert result["status"] == "RESOLVED", dump(result)
    yield plat
    plat.shutdown()
    wait_sync(demo_ports_free, timeout=10, what="demo targets stopped")


def cli(platform: Platform, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "aegis.cli", *argv, "--url", platform.url, "--data-dir",
                           str(platform.data_dir)], capture_output=True, text=True, timeout=60)


async def stored(platform: Platform, incident_id: str) -> list:
    nc = await connect(platform.nats_url, "test-reports", credentials=platform.nats_credentials)
    try:
        return [s.envelope for s in await EventStore(nc, "test").load(incident_id)]
    finally:
        await nc.close()


async def test_a_restart_gives_a_report_whose_durations_are_the_events_timestamps(platform):
    response = platform.get(f"/incidents/{INCIDENT}/postmortem")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/markdown")
    text = response.text
    assert text == platform.get(f"/incidents/{INCIDENT}/postmortem").text  # the same incident, the same report
    for part in (f"# Post-incident report: {INCIDENT}", "**Target:** addition-api", "**Action:** RESTART",
                 "## Timeline", "| received → verified / closed |"):
        assert part in text, part
    body = platform.get(f"/incidents/{INCIDENT}/postmortem", params={"format": "json"}).json()
    events = await stored(platform, INCIDENT)
    received = events[0].time

    def since(kind: type) -> float:
        return round((next(e.time for e in events if isinstance(e.payload, kind)) - received).total_seconds(), 3)

    d = body["durations_s"]
    assert (d["to_diagnosis"], d["to_decision"], d["to_action"], d["to_verified"]) == (
        since(ev.AnalysisCompleted), since(ev.CouncilDecided), since(ev.ActionStarted), since(ev.IncidentResolved))
    assert [t["actor"] for t in body["timeline"]][0].startswith("gateway@")
    assert any(t["status"] == "EXECUTING" and t["actor"].startswith("executor@") for t in body["timeline"])
    assert body["summary"]["action"] == "RESTART" and body["summary"]["status"] == "RESOLVED"


def test_an_unknown_incident_is_a_404_with_the_reason_and_polish_without_an_llm_is_refused(platform):
    missing = platform.get("/incidents/no-such-incident/postmortem")
    assert missing.status_code == 404 and "no-such-incident not found" in missing.json()["detail"]
    bad = platform.get(f"/incidents/{INCIDENT}/postmortem", params={"format": "pdf"})
    assert bad.status_code == 422
    polish = platform.get(f"/incidents/{INCIDENT}/postmortem", params={"polish": "true"})
    assert polish.status_code == 409 and "no LLM is configured" in polish.json()["detail"]


def test_the_cli_writes_the_report_and_says_why_when_it_cannot(platform, tmp_path):
    out = tmp_path / "pm.md"
    written = cli(platform, "postmortem", INCIDENT, "-o", str(out))
    assert written.returncode == 0, written.stderr
    assert out.read_text() == platform.get(f"/incidents/{INCIDENT}/postmortem").text
    missing = cli(platform, "postmortem", "no-such-incident")
    assert missing.returncode != 0 and "404" in missing.stderr and "not found" in missing.stderr
    assert "Traceback" not in missing.stderr
    bad = cli(platform, "postmortem", "../etc/passwd")
    assert bad.returncode != 0 and "invalid incident id" in bad.stderr and "Traceback" not in bad.stderr


def test_the_judgment_report_counts_the_restart_and_refuses_a_bad_period(platform):
    body = platform.get("/reports/judgment", params={"since": "1h"}).json()
    assert body["incidents"] >= 1 and body["by_action"]["RESTART"]["resolved_verified"] >= 1, dump(body)
    assert body["time"]["resolved_without_a_human"] >= 1
    bad = platform.get("/reports/judgment", params={"since": "forever"})
    assert bad.status_code == 400 and "not a period" in bad.json()["detail"]
    printed = cli(platform, "report", "judgment", "--since", "1h")
    assert printed.returncode == 0 and "By situation" in printed.stdout, printed.stderr
    refused = cli(platform, "report", "judgment", "--since", "forever")
    assert refused.returncode != 0 and "not a period" in refused.stderr and "Traceback" not in refused.stderr


def test_polish_puts_an_llm_narrative_on_top_and_keeps_the_template_verbatim(start_platform, llm):
    config = f'llm_model = "openai/fake-sre"\nllm_api_base = "{llm.api_base}"\nllm_api_key = "k"\n'
    plat = start_platform("reports-llm", demo=False, config=config)
    try:
        assert plat.webhook(alert("report-llm-1", "nowhere-api")).status_code == 200
        plat.wait_terminal("report-llm-1")
        plain = plat.get("/incidents/report-llm-1/postmortem").text
        llm.mode = "draft"  # the fake answers {"subject", "body": "Restart in progress."}
        polished = plat.get("/incidents/report-llm-1/postmortem", params={"polish": "true"}, timeout=90)
        assert polished.status_code == 200, polished.text
        text = polished.text
        assert text.startswith("# Post-incident report: report-llm-1\n\n## Narrative\n\nRestart in progress.")
        assert "*Written by " in text and text.endswith(plain.split("\n", 2)[2])  # the facts below, verbatim
        assert "post-incident report" in llm.requests[-1]["messages"][0]["content"]
    finally:
        llm.mode = "ok"
        plat.shutdown()
