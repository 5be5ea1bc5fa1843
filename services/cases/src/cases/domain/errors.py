"""Domain errors; the entrypoints map them to HTTP problems."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


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


class IllegalTransitionError(DomainError):
    """The action is not allowed in the case's current state (HTTP 409)."""

    def __init__(self, state: StrEnum, action: StrEnum, allowed: Iterable[StrEnum]) -> None:
        self.state = state
        self.action = action
        self.allowed = tuple(allowed)
        names = ", ".join(a.value for a in self.allowed) or "none"
        super().__init__(f"cannot {action.value} a case in state {state.value}; allowed: {names}")


class ForbiddenError(DomainError):
    """The actor's role does not allow this action on the case (HTTP 403)."""


def invalid(loc: str | tuple[str | int, ...], msg: str, type_: str = "value_error") -> InputError:
    """Return an ``InputError`` with a single field error."""
    where = (loc,) if isinstance(loc, str) else loc
    return InputError([FieldError(where, msg, type_)])
