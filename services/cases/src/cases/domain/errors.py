"""Domain errors: the kit's shared ones, plus the case-specific illegal transition (HTTP 409)."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from kit.errors import (
    DomainError as DomainError,
    FieldError as FieldError,
    ForbiddenError as ForbiddenError,
    InputError as InputError,
    NotFoundError as NotFoundError,
    TransitionError,
    VersionConflictError as VersionConflictError,
    invalid as invalid,
)


class IllegalTransitionError(TransitionError):
    """The action is not allowed in the case's current state (HTTP 409, with the allowed actions)."""

    def __init__(
        self,
        state: StrEnum,
        action: StrEnum,
        allowed: Iterable[StrEnum],
        reason: str | None = None,
    ) -> None:
        permitted = tuple(allowed)
        names = ", ".join(a.value for a in permitted) or "none"
        why = f": {reason}" if reason else f" a case in state {state.value}"
        super().__init__(
            f"cannot {action.value}{why}; allowed: {names}",
            state=state,
            allowed=permitted,
        )
        self.action = action
