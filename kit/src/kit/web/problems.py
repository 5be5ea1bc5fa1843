"""RFC 9457 problem details (``application/problem+json``) for every error a service returns.

Raise a ``ProblemError`` (or ``NotFound``, ``Conflict``, ``Forbidden``, ``Unauthorized``,
``Unprocessable``, ``PreconditionRequired``) anywhere in a request; ``install_problem_handlers``
renders it, request validation errors (422 with ``loc``/``msg``/``type`` per field, never the
submitted value), HTTP exceptions, a database that cannot be reached (503 with ``Retry-After``)
and unexpected errors (500, no internals) the same way. 401 and 403 problems are recorded as
refusals (``kit.web.refusals``).
"""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException

from kit.principal import Principal
from kit.web.refusals import refusals_of, token_reason

PROBLEM_JSON = "application/problem+json"

log = logging.getLogger(__name__)


class FieldError(BaseModel):
    """One wrong input: where (``["body", "phone"]``), what is wrong, and a machine type."""

    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem; extension members (e.g. ``current_state``) are allowed."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = Field(default=None, description="Field errors of a 422")


def _phrase(status: int) -> str:
    """Return the standard reason phrase of a status code."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class ProblemError(Exception):
    """An error the client should see as a problem response."""

    def __init__(
        self,
        status: int,
        title: str | None = None,
        detail: str | None = None,
        errors: Sequence[FieldError | Mapping[str, Any]] | None = None,
        type_: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        self.status = status
        self.title = title or _phrase(status)
        self.detail = detail
        self.errors = [FieldError.model_validate(e) for e in errors] if errors else None
        self.type = type_ or "about:blank"
        self.headers = dict(headers or {})
        self.extensions = {k: v for k, v in extensions.items() if v is not None}
        super().__init__(detail or self.title)

    def to_problem(self, instance: str | None = None) -> Problem:
        """Return the problem body."""
        return Problem(
            type=self.type,
            title=self.title,
            status=self.status,
            detail=self.detail,
            instance=instance,
            errors=self.errors,
            **self.extensions,
        )

    def to_response(self, instance: str | None = None) -> JSONResponse:
        """Return the ``application/problem+json`` response."""
        return problem_response(self.to_problem(instance), headers=self.headers)


class Unauthorized(ProblemError):  # noqa: N818 - named after the HTTP status
    """401: no token or a token that cannot be trusted; ``reason`` says which (for the record)."""

    def __init__(
        self, detail: str | None = None, *, error: str | None = None, reason: str = "no_token"
    ) -> None:
        challenge = f'Bearer error="{error}"' if error else "Bearer"
        super().__init__(401, "Unauthorized", detail, headers={"WWW-Authenticate": challenge})
        self.reason = reason


class Forbidden(ProblemError):  # noqa: N818 - named after the HTTP status
    """403: the caller lacks the role (``reason="role"``) or the scope (``"scope"``)."""

    def __init__(
        self,
        detail: str | None = None,
        *,
        reason: str = "forbidden",
        township: str | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(403, "Forbidden", detail, **extensions)
        self.reason = reason
        self.township = township


class PreconditionRequired(ProblemError):  # noqa: N818 - named after the HTTP status
    """428: a write that needs ``If-Match`` (the version the client read) came without it."""

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(
            428,
            "Precondition Required",
            detail or 'send the version you read as If-Match, e.g. If-Match: "3"',
        )


class ServiceUnavailable(ProblemError):  # noqa: N818 - named after the HTTP status
    """503: a dependency cannot be reached now; ``Retry-After`` says when to try again."""

    def __init__(self, detail: str | None = None, *, retry_after: int = 5) -> None:
        super().__init__(
            503,
            "Service Unavailable",
            detail or "the database cannot be reached; retry shortly",
            headers={"Retry-After": str(retry_after)},
        )


class NotFound(ProblemError):  # noqa: N818 - named after the HTTP status
    """404: no such record (or not one the caller may know about)."""

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(404, "Not Found", detail, **extensions)


class Conflict(ProblemError):  # noqa: N818 - named after the HTTP status
    """409: an illegal state change or a stale version; says the state and what is allowed."""

    def __init__(
        self,
        detail: str | None = None,
        *,
        title: str = "Conflict",
        current_state: str | None = None,
        allowed_actions: Sequence[str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(
            409,
            title,
            detail,
            current_state=current_state,
            allowed_actions=list(allowed_actions) if allowed_actions is not None else None,
            **extensions,
        )


class Unprocessable(ProblemError):  # noqa: N818 - named after the HTTP status
    """422: input that parses but breaks a rule (e.g. an ID number's checksum)."""

    def __init__(
        self, errors: Sequence[FieldError | Mapping[str, Any]], detail: str | None = None
    ) -> None:
        super().__init__(422, "Unprocessable Content", detail or "the input is invalid", errors)


def problem_response(problem: Problem, *, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """Return a problem as an ``application/problem+json`` response."""
    return JSONResponse(
        problem.model_dump(mode="json", exclude_none=True),
        status_code=problem.status,
        headers=dict(headers or {}),
        media_type=PROBLEM_JSON,
    )


def field_errors(errors: Sequence[Any]) -> list[FieldError]:
    """Return pydantic's error dicts as field errors, dropping the submitted input."""
    return [
        FieldError(
            loc=list(e.get("loc", ())), msg=str(e.get("msg", "")), type=str(e.get("type", ""))
        )
        for e in errors
    ]


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Return OpenAPI ``responses=`` entries documenting problem bodies for the statuses."""
    # "model" registers the schemas (FastAPI files it under application/json too).
    schema = {"$ref": "#/components/schemas/Problem"}
    return {
        status: {
            "model": Problem,
            "description": _phrase(status),
            "content": {PROBLEM_JSON: {"schema": schema}},
        }
        for status in statuses
    }


async def record_refusal(
    request: Request,
    *,
    status: int,
    reason: str,
    township: str | None = None,
    detail: str = "",
) -> None:
    """Record a refused request (log line, counter, audit row) when the app keeps a record."""
    recorder = refusals_of(request.app)
    if recorder is None:
        return
    principal = getattr(request.state, "principal", None)
    await recorder.record(
        request.scope,
        status=status,
        reason=reason,
        principal=principal if isinstance(principal, Principal) else None,
        township=township,
        detail=detail,
    )


async def _on_problem(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ProblemError)
    if isinstance(error, Unauthorized):
        await record_refusal(
            request, status=401, reason=token_reason(error.reason), detail=error.reason
        )
    elif isinstance(error, Forbidden):
        await record_refusal(
            request,
            status=403,
            reason=error.reason,
            township=error.township,
            detail=error.detail or "",
        )
    return error.to_response(request.url.path)


# Errors that mean "the database cannot be reached", not "the request is wrong".
_OUTAGE_NAMES = frozenset(
    {
        "ConnectionDoesNotExistError",
        "ConnectionFailureError",
        "CannotConnectNowError",
        "InterfaceError",
        "InternalClientError",
        "PostgresConnectionError",
        "TooManyConnectionsError",
        "AdminShutdownError",
        "CrashShutdownError",
        "ServerNotReadyError",
    }
)
_NETWORK_ERRNOS = frozenset(
    {errno.ECONNREFUSED, errno.ECONNRESET, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT}
)
RETRY_AFTER_SECONDS = 5


def is_database_outage(error: BaseException) -> bool:
    """Tell whether an error (or one it was raised from) means the database is unreachable."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, (sa_exc.OperationalError, sa_exc.InterfaceError)):
            return True
        if isinstance(current, sa_exc.TimeoutError):  # no pooled connection came back in time
            return True
        if isinstance(current, (ConnectionError, TimeoutError, socket.gaierror)):
            return True
        if isinstance(current, OSError) and current.errno in _NETWORK_ERRNOS:
            return True
        if type(current).__name__ in _OUTAGE_NAMES:
            return True
        current = current.__cause__ or current.__context__
    return False


async def _on_database_error(request: Request, error: Exception) -> JSONResponse:
    if not is_database_outage(error):
        return await _on_unexpected(request, error)
    log.warning(
        "database unreachable on %s %s: %s", request.method, request.url.path, type(error).__name__
    )
    recorder = refusals_of(request.app)
    if recorder is not None:
        recorder.metrics.unavailable.labels(recorder.service, "database").inc()
    return ServiceUnavailable(retry_after=RETRY_AFTER_SECONDS).to_response(request.url.path)


async def _on_validation(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = field_errors(error.errors())
    problem = Problem(
        title="Unprocessable Content",
        status=422,
        detail=f"{len(errors)} invalid field(s)",
        instance=request.url.path,
        errors=errors,
    )
    return problem_response(problem)


async def _on_http(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    phrase = _phrase(error.status_code)
    detail = error.detail if isinstance(error.detail, str) and error.detail != phrase else None
    problem = Problem(
        title=phrase, status=error.status_code, detail=detail, instance=request.url.path
    )
    return problem_response(problem, headers=error.headers)


async def _on_unexpected(request: Request, error: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    problem = Problem(
        title="Internal Server Error",
        status=500,
        detail="an unexpected error occurred; it has been logged",
        instance=request.url.path,
    )
    return problem_response(problem)


def install_problem_handlers(app: FastAPI) -> None:
    """Render problems, validation errors, HTTP exceptions and unexpected errors as problems."""
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(HTTPException, _on_http)
    for error in (
        sa_exc.DBAPIError,
        sa_exc.TimeoutError,
        OSError,
        asyncpg.exceptions.InterfaceError,
        asyncpg.PostgresConnectionError,
    ):
        app.add_exception_handler(error, _on_database_error)
    app.add_exception_handler(Exception, _on_unexpected)
