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


class ForbiddenError(DomainError):
    """The caller's role or scope does not allow the action (HTTP 403)."""


def invalid(loc: str | tuple[str | int, ...], msg: str, type_: str = "value_error") -> InputError:
    """Return an ``InputError`` with a single field error."""
    where = (loc,) if isinstance(loc, str) else loc
    return InputError([FieldError(where, msg, type_)])
