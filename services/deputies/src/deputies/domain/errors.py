"""Domain errors (the kit's, shared by every service); the entrypoints map them to HTTP problems."""

from __future__ import annotations

from kit.errors import (
    DomainError as DomainError,
    FieldError as FieldError,
    ForbiddenError as ForbiddenError,
    InputError as InputError,
    NotFoundError as NotFoundError,
    TransitionError as TransitionError,
    VersionConflictError as VersionConflictError,
    invalid as invalid,
)
