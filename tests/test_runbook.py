"""The runbook: import/export from the CLI (validated, idempotent), GET /runbook, GET /rag/test."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from aegis.runbook_cli import parse_runbook
from shared.errors import ValidationError
from shared.events.knowledge import RUNBOOK_STREAM
from tests.data.paraphrases import INCIDENTS

pytestmark = pytest.mark.integration


def runbook_file(tmp_path, entries):
    path = tmp_path / "runbook.json"
    path.write_text(json.dumps({"entries": entries}))
    return path


def curated():
    return [{"incident_id": i, "alert_type": a, "logs": logs, "root_cause": rc, "action": act,
             "justification": "curated", "confidence": 0.9} for i, a, logs, rc, act, _ in INCIDENTS[:5]]


def aegis(*args, nats_url):
    return subprocess.run([sys.executable, "-m", "aegis.cli", "runbook", *args, "--nats-url", nats_url],
                          capture_output=True, text=True, timeout=60)


async def test_import_is_validated_idempotent_and_exported(tmp_path, nats_server, store):
    path = runbook_file(tmp_path, curated())
    first = aegis("import", str(path), nats_url=nats_server.url)
    assert first.returncode == 0 and "5 added, 0 updated, 0 unchanged" in first.stdout
    again = aegis("import", str(path), nats_url=nats_server.url)
    assert again.returncode == 0 and "0 added, 0 updated, 5 unchanged" in again.stdout
    changed = curated()
    changed[0]["root_cause"] = "better explanation"
    third = aegis("import", str(runbook_file(tmp_path, changed)), nats_url=nats_server.url)
    assert "0 added, 1 updated, 4 unchanged" in third.stdout
    assert len(await store.load_subject("runbook.>", RUNBOOK_STREAM)) == 6
    out = aegis("export", nats_url=nats_server.url)
    exported = json.loads(out.stdout)
    assert exported["total"] == 5 and exported["entries"][0]["root_cause"] == "better explanation"
    assert set(exported["entries"][0]) == {"incident_id", "alert_type", "logs", "root_cause", "action",
                                           "justification", "container_name", "severity", "confidence",
                                           "council_approved", "replicas_used", "resolved_at"}


async def test_bad_file_imports_nothing_and_says_why(tmp_path, nats_server, store):
    entries = curated()
    entries[1]["action"] = "DELETE_PROD"
    entries[3]["confidence"] = 7
    del entries[4]["logs"]
    proc = aegis("import", str(runbook_file(tmp_path, entries)), nats_url=nats_server.url)
    assert proc.returncode == 2
    assert "3 invalid entries; nothing imported" in proc.stderr
    assert "entry 1: action 'DELETE_PROD'" in proc.stderr and "entry 4" in proc.stderr
    assert await store.load_subject("runbook.>", RUNBOOK_STREAM) == []


@pytest.mark.parametrize("text, why", [
    ("{oops", "not JSON"),
    ('{"items": []}', "expected"),
    ('[{"incident_id": "a.b", "alert_type": "x", "logs": "l", "root_cause": "r", "action": "NOOP"}]', "must match"),
    ('[{"incident_id": "a", "alert_type": "x", "logs": "l", "root_cause": "r", "action": "NOOP"},'
     ' {"incident_id": "a", "alert_type": "x", "logs": "l", "root_cause": "r", "action": "NOOP"}]', "twice"),
    ('[{"incident_id": "a", "alert_type": "x", "logs": "l", "root_cause": "r", "action": "NOOP", "extra": 1}]',
     "unknown field"),
])
def test_parse_runbook_errors(text, why):
    with pytest.raises(ValidationError, match=why):
        parse_runbook(text)


def test_missing_file_is_a_clear_error(tmp_path, nats_server):
    proc = aegis("import", str(tmp_path / "nope.json"), nats_url=nats_server.url)
    assert proc.returncode == 2 and "cannot read" in proc.stderr
