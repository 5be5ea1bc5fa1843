"""Render the domain's refusals (``kit.errors``) as RFC 9457 problems, the same in every service."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from kit.errors import (
    DomainError,
    ForbiddenError,
    InputError,
    NotFoundError,
    TransitionError,
    VersionConflictError,
)
from kit.web.problems import Conflict, Forbidden, NotFound, ProblemError, Unprocessable


def as_problem(error: DomainError) -> ProblemError:
    """Return the problem a domain error is for the client (422, 409, 403, 404 or 400)."""
    if isinstance(error, InputError):
        return Unprocessable(
            [
                {
                    "loc": list(e.loc) if e.loc[0] == "header" else ["body", *e.loc],
                    "msg": e.msg,
                    "type": e.type,
                }
                for e in error.errors
            ],
            detail=str(error),
        )
    if isinstance(error, TransitionError):
        return Conflict(
            str(error),
            title="Illegal state change",
            current_state=error.state,
            allowed_actions=error.allowed if error.state is not None else None,
        )
    if isinstance(error, VersionConflictError):
        return Conflict(str(error), title="Version conflict")
    if isinstance(error, ForbiddenError):
        return Forbidden(str(error))
    if isinstance(error, NotFoundError):
        return NotFound(str(error))
    return ProblemError(400, detail=str(error))


def install_domain_errors(app: FastAPI) -> None:
    """Let routes raise domain errors; clients get the matching problem."""

    async def handle(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, DomainError)
        return as_problem(error).to_response(request.url.path)

    app.add_exception_handler(DomainError, handle)
