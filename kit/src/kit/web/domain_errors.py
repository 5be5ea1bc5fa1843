"""Render the domain's refusals (``kit.errors``) as RFC 9457 problems, the same in every service."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from kit.errors import (
    ConcurrentRequestError,
    DomainError,
    ForbiddenError,
    InputError,
    NotFoundError,
    OutOfScopeError,
    PreconditionRequiredError,
    TransitionError,
    VersionConflictError,
)
from kit.web.problems import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionRequired,
    ProblemError,
    Unprocessable,
    record_refusal,
)


def as_problem(error: DomainError) -> ProblemError:
    """Return the problem a domain error is for the client (422, 409, 428, 403, 404 or 400)."""
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
    if isinstance(error, ConcurrentRequestError):
        return ProblemError(409, "Request in progress", str(error), headers={"Retry-After": "1"})
    if isinstance(error, VersionConflictError):
        return Conflict(str(error), title="Version conflict")
    if isinstance(error, PreconditionRequiredError):
        return PreconditionRequired(str(error) or None)
    if isinstance(error, ForbiddenError):
        township = getattr(error, "township", None)
        return Forbidden(str(error), reason="scope" if township else "forbidden", township=township)
    if isinstance(error, NotFoundError):
        return NotFound(str(error))
    return ProblemError(400, detail=str(error))


def install_domain_errors(app: FastAPI) -> None:
    """Let routes raise domain errors; clients get the matching problem."""

    async def handle(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, DomainError)
        problem = as_problem(error)
        if isinstance(problem, Forbidden):
            await record_refusal(
                request,
                status=403,
                reason=problem.reason,
                township=problem.township,
                detail=problem.detail or "",
            )
        elif isinstance(error, OutOfScopeError):
            township = getattr(error, "township", None)
            await record_refusal(
                request, status=404, reason="hidden", township=township, detail=str(error)
            )
        return problem.to_response(request.url.path)

    app.add_exception_handler(DomainError, handle)
