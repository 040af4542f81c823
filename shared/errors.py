"""One error hierarchy for AegisOps: every layer raises a branch of AegisError."""

from __future__ import annotations

from typing import Any, ClassVar


class AegisError(Exception):
    """Root of every error AegisOps raises on purpose; carries structured fields. `retryable` says whether the
    same work may succeed later: a consumer gives up at once on a message that fails with a non-retryable error
    (the incident fails with the reason) instead of redelivering it max_deliver times."""

    retryable: ClassVar[bool] = True

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

    retryable = False


# --- input validation ------------------------------------------------------------------------
class ValidationError(AegisError):
    """Input from outside (HTTP, CLI, config) does not fit its contract."""

    retryable = False


class NotFoundError(AegisError):
    """A named thing (incident, target, worker) does not exist."""

    retryable = False


class UnauthorizedError(ValidationError):
    """No credentials, or credentials that are not valid (HTTP 401)."""


class ForbiddenError(ValidationError):
    """Valid credentials whose role may not do this (HTTP 403)."""


class RateLimitedError(ValidationError):
    """Too many requests from one principal or address; try again after `retry_after` seconds (HTTP 429)."""

    retryable = True

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


# --- domain ----------------------------------------------------------------------------------
class DomainError(AegisError):
    """A decision or fold refused an event (decided on fresh state, so the same message fails the same way)."""

    retryable = False


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

    retryable = False


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

    @property
    def retryable(self) -> bool:  # type: ignore[override]  # per instance: a 5xx or 429 may pass, a 4xx will not
        return self.status >= 500 or self.status == 429


# --- runtime ------------------------------------------------------------------------------------
class RuntimeStartError(AegisError):
    """A part of the runtime (nats-server, a service) could not be started."""


def is_retryable(exc: BaseException) -> bool:
    """Whether the work that raised `exc` may succeed if tried again (an unexpected exception may: it is treated
    as transient, and bounded redelivery ends it)."""
    return bool(getattr(exc, "retryable", True)) if isinstance(exc, AegisError) else True
