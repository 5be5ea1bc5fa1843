"""Errors a service's domain raises; pure Python, mapped to HTTP problems at the entrypoints."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    """One invalid field: where (``loc``), why (``msg``) and a machine-readable ``type``."""

    loc: tuple[str | int, ...]
    msg: str
    type: str = "value_error"


class DomainError(Exception):
    """Base of every rule the domain refuses."""


@dataclass
class InputError(DomainError):
    """The request breaks a rule about its fields (HTTP 422); nothing was written."""

    errors: list[FieldError] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in self.errors)


class TransitionError(DomainError):
    """The requested state change is not allowed from the current state (HTTP 409)."""

    def __init__(
        self, message: str, *, state: str | None = None, allowed: Iterable[str] = ()
    ) -> None:
        super().__init__(message)
        self.state = state
        self.allowed = tuple(allowed)


class VersionConflictError(DomainError):
    """The record changed since the client read it (HTTP 409)."""


class NotFoundError(DomainError):
    """The record does not exist, or not in the caller's scope (HTTP 404)."""


class OutOfScopeError(NotFoundError):
    """A record outside the caller's scope, answered as not found (404) and recorded as a refusal."""

    def __init__(self, message: str, *, township: str | None = None) -> None:
        super().__init__(message)
        self.township = township


class ForbiddenError(DomainError):
    """The caller's role or scope does not allow the action (HTTP 403)."""

    def __init__(self, message: str = "", *, township: str | None = None) -> None:
        super().__init__(message)
        self.township = township


class ConcurrentRequestError(DomainError):
    """Another request with the same Idempotency-Key won the race (HTTP 409, retry to replay)."""


class PreconditionRequiredError(DomainError):
    """A write that needs the version the client read came without ``If-Match`` (HTTP 428)."""


def invalid(loc: str | tuple[str | int, ...], msg: str, type_: str = "value_error") -> InputError:
    """Return an ``InputError`` with a single field error."""
    where = (loc,) if isinstance(loc, str) else loc
    return InputError([FieldError(where, msg, type_)])


def out_of_scope(what: str, township: str | None = None) -> OutOfScopeError:
    """Return the 404 that hides a record outside the caller's scope (recorded as a refusal)."""
    return OutOfScopeError(f"no such {what}", township=township)
