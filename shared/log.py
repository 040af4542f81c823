"""Structured JSON logging; the current incident id rides along through a context variable."""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import sys
import time
from typing import Any

incident_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("incident_id", default=None)
_service = "aegis"

_RESERVED = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}
# credentials that may ride in a request line or an error (a WebSocket's ?api_key=, a bearer token, a key by its
# prefix): replaced before a line is written, whoever logged it (our code, uvicorn, a library)
_SECRETS = re.compile(r"(?i)((?:api_key|token|password|secret)=)[^&\s\"'\\]+|(bearer\s+)[A-Za-z0-9._~+/=-]{8,}|"
                      r"\bagops_[A-Za-z0-9_-]{8,}")


def redact(text: str) -> str:
    """`text` with every credential it carries replaced by [redacted]."""
    return _SECRETS.sub(lambda m: (m.group(1) or m.group(2) or "") + "[redacted]", text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, service, logger, msg, incident_id and any extras."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "service": _service,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        incident = getattr(record, "incident_id", None) or incident_id_var.get()
        if incident:
            doc["incident_id"] = incident
        for key, value in record.__dict__.items():
            if key not in _RESERVED and key not in doc:
                doc[key] = value
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return redact(json.dumps(doc, default=str))


def setup_logging(service: str, level: str = "INFO", log_file: str | os.PathLike[str] | None = None) -> None:
    """Route every logger to stderr (or `log_file`) as JSON lines tagged with the service name."""
    global _service
    _service = service
    if log_file:
        os.close(os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))  # created private
        os.chmod(log_file, 0o600)
    handler: logging.Handler = logging.FileHandler(log_file) if log_file else logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("nats", "uvicorn.access", "asyncio"):
        logging.getLogger(noisy).setLevel("WARNING")


def get_logger(name: str) -> logging.Logger:
    """A logger under the aegis namespace."""
    return logging.getLogger(f"aegis.{name}")
