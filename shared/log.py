"""Structured JSON logging; the current incident id rides along through a context variable."""

from __future__ import annotations

import contextvars
import json
import logging
import os
import sys
import time
from typing import Any

incident_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("incident_id", default=None)
_service = "aegis"

_RESERVED = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, service, logger, msg, incident_id and any extras."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "service": _service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        incident = getattr(record, "incident_id", None) or incident_id_var.get()
        if incident:
            doc["incident_id"] = incident
        for key, value in record.__dict__.items():
            if key not in _RESERVED and key not in doc:
                doc[key] = value
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


def setup_logging(service: str, level: str = "INFO", log_file: str | os.PathLike[str] | None = None) -> None:
    """Route every logger to stderr (or `log_file`) as JSON lines tagged with the service name."""
    global _service
    _service = service
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
