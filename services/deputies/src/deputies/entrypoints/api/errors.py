"""Map domain errors to the kit's RFC 9457 problems (422 fields, 409 state, 403 scope, 404)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from deputies.domain.access import ScopeError
from deputies.domain.errors import (
    DomainError,
    InputError,
    NotFoundError,
    TransitionError,
    VersionConflictError,
)
from kit.web.problems import Conflict, Forbidden, NotFound, ProblemError, Unprocessable


def as_problem(error: DomainError) -> ProblemError:
    """Return the problem a domain error is for the client."""
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
        return Conflict(str(error), title="Illegal state change")
    if isinstance(error, VersionConflictError):
        return Conflict(str(error), title="Version conflict")
    if isinstance(error, ScopeError):
        return Forbidden(str(error))
    if isinstance(error, NotFoundError):
        return NotFound(str(error))
    return ProblemError(400, detail=str(error))


def install_domain_errors(app: FastAPI) -> None:
    """Render the domain's refusals as problems."""

    async def handle(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, DomainError)
        return as_problem(error).to_response(request.url.path)

    app.add_exception_handler(DomainError, handle)
