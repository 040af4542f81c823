"""Logs carry no credential: every line is redacted whoever wrote it, and log files are the operator's alone."""

from __future__ import annotations

import json
import logging
import stat

from shared.log import redact, setup_logging


def test_credentials_in_a_line_are_redacted_whoever_logs_it(tmp_path):
    log_file = tmp_path / "gateway.log"
    setup_logging("gateway", log_file=log_file)
    try:
        logging.getLogger("some.library").warning(  # not ours: a library's own logger, as uvicorn's is
            '127.0.0.1:5123 - "WebSocket /ws?api_key=agops_SECRETKEY1234567890" [accepted]')
        logging.getLogger("aegis.test").error("call failed", extra={"auth": "Bearer eyJhbGciOiJIUzI1NiJ9.x.y"})
    finally:
        setup_logging("test")  # back to stderr
    text = log_file.read_text()
    assert "SECRETKEY" not in text and "eyJhbGciOiJIUzI1NiJ9" not in text
    messages = [json.loads(line)["msg"] for line in text.splitlines()]
    assert '127.0.0.1:5123 - "WebSocket /ws?api_key=[redacted]" [accepted]' in messages
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600


def test_redaction_leaves_telemetry_alone():
    line = "GET /incidents?limit=10 200 in 3 ms; tokens=12 in the prompt"
    assert redact(line) == line
    assert redact("password=hunter2&x=1") == "password=[redacted]&x=1"
