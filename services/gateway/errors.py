"""Error classes to HTTP statuses, in one place."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from shared.errors import (
    ActionError,
    AegisError,
    ConcurrencyError,
    ConfigError,
    DomainError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    StoreFullError,
    StoreUnavailableError,
    UnauthorizedError,
    ValidationError,
)

STATUS_BY_ERROR: list[tuple[type[AegisError], int]] = [
    (ActionError, 500),
    (UnauthorizedError, 401),
    (ForbiddenError, 403),
    (RateLimitedError, 429),
    (ValidationError, 400),
    (NotFoundError, 404),
    (ConcurrencyError, 409),
    (DomainError, 409),
    (StoreFullError, 507),
    (StoreUnavailableError, 503),
    (ConfigError, 500),
    (AegisError, 500),
]


def status_for(exc: AegisError) -> int:
    """The HTTP status an error class maps to."""
    return next(code for cls, code in STATUS_BY_ERROR if isinstance(exc, cls))


def install(app: FastAPI) -> None:
    """Register the handler that turns AegisErrors into `{"detail": ...}` responses."""

    @app.exception_handler(RecursionError)
    async def _too_deep(_: Request, exc: RecursionError) -> JSONResponse:
        # json.loads on a body nested thousands deep; whichever route parsed it, it is the client's input
        return JSONResponse({"detail": [{"loc": ["body"], "msg": "JSON nested too deeply", "type": "json_invalid"}]},
                            status_code=422)

    @app.exception_handler(AegisError)
    async def _aegis_error(_: Request, exc: AegisError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimitedError) else None
        return JSONResponse({"detail": exc.message}, status_code=status_for(exc), headers=headers)
