"""One error hierarchy for AegisOps: every layer raises a branch of AegisError."""

from __future__ import annotations

from typing import Any


class AegisError(Exception):
    """Root of every error AegisOps raises on purpose; carries structured fields."""

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields

    def to_dict(self) -> dict[str, Any]:
        """Structured form for logs and HTTP error bodies."""
        return {"error": type(self).__name__, "detail": self.message, **self.fields}


# --- configuration ---------------------------------------------------------------------------
class ConfigError(AegisError):
    """The configuration file or an AEGIS_* variable is invalid."""


# --- input validation ------------------------------------------------------------------------
class ValidationError(AegisError):
    """Input from outside (HTTP, CLI, config) does not fit its contract."""


class NotFoundError(AegisError):
    """A named thing (incident, target, worker) does not exist."""


class UnauthorizedError(ValidationError):
    """No credentials, or credentials that are not valid (HTTP 401)."""


class ForbiddenError(ValidationError):
    """Valid credentials whose role may not do this (HTTP 403)."""


class RateLimitedError(ValidationError):
    """Too many requests from one principal or address; try again after `retry_after` seconds (HTTP 429)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


# --- domain ----------------------------------------------------------------------------------
class DomainError(AegisError):
    """A decision or fold refused an event."""


class IllegalTransitionError(DomainError):
    """An event does not fit the incident's current state."""


# --- event store / messaging -----------------------------------------------------------------
class EventStoreError(AegisError):
    """The event store (JetStream) failed in a way the caller may want to handle."""


class ConcurrencyError(EventStoreError):
    """Someone appended to the same incident first (JetStream err_code 10071)."""


class StoreUnavailableError(EventStoreError):
    """NATS or JetStream did not answer; usually transient."""


class StoreFullError(StoreUnavailableError):
    """JetStream has no storage left (err_code 10023): nothing was written; free space or raise its limits."""


class DecodeError(EventStoreError):
    """A stored message is not an event we can decode (poison message)."""


# --- handlers ----------------------------------------------------------------------------------
class TransientError(AegisError):
    """A handler failed for a reason that may pass: redeliver later."""


class RetryLater(AegisError):
    """Not a failure: the handler wants this message again after `delay` seconds (e.g. a deadline)."""

    def __init__(self, delay: float, message: str = "not yet") -> None:
        super().__init__(message, delay=delay)
        self.delay = delay


class ActionError(AegisError):
    """A remediation action (restart, scale, rollback) failed on its target."""


class RemoteError(AegisError):
    """Another AegisOps part (the gateway, for the CLI) answered with an error: `status` and its reason."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message, status=status)
        self.status = status


# --- runtime ------------------------------------------------------------------------------------
class RuntimeStartError(AegisError):
    """A part of the runtime (nats-server, a service) could not be started."""
