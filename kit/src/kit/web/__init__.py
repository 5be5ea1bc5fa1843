"""HTTP helpers shared by the services' FastAPI apps."""

from kit.web.problems import (
    PROBLEM_JSON,
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    PreconditionRequired,
    Problem,
    ProblemError,
    ServiceUnavailable,
    Unauthorized,
    Unprocessable,
    install_problem_handlers,
    problem_responses,
)

__all__ = [
    "PROBLEM_JSON",
    "Conflict",
    "FieldError",
    "Forbidden",
    "NotFound",
    "PreconditionRequired",
    "Problem",
    "ProblemError",
    "ServiceUnavailable",
    "Unauthorized",
    "Unprocessable",
    "install_problem_handlers",
    "problem_responses",
]
