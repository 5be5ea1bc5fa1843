"""Request plumbing of the routes: who calls."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kit.principal import Principal
from kit.service.api import caller_dependency
from notify.handlers.context import Caller


def caller_of(principal: Principal) -> Caller:
    """Return the service's caller for a verified principal."""
    return Caller(principal=principal)


get_caller = caller_dependency(caller_of)
CallerDep = Annotated[Caller, Depends(get_caller)]

__all__ = ["CallerDep", "caller_of", "get_caller"]
