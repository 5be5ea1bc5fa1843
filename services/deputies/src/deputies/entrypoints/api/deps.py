"""Request plumbing shared by the routes: the caller, versions (If-Match), pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from deputies.handlers.context import Caller
from kit.principal import Principal
from kit.service.api import caller_dependency, keyed
from kit.web.requests import (
    IdempotencyKey,
    IfMatch,
    OptionalIfMatch,
    Paging,
    PagingDep,
    etag,
    if_match,
    optional_if_match,
    page_body,
)


def viewer_of(principal: Principal) -> Principal:
    """Return who the access rules look at: the kit's principal itself."""
    return principal


def caller_of(principal: Principal) -> Caller:
    """Return the service's caller for a verified principal."""
    return Caller(viewer=viewer_of(principal), principal=principal)


get_caller = caller_dependency(caller_of)
CallerDep = Annotated[Caller, Depends(get_caller)]


__all__ = [
    "CallerDep",
    "IdempotencyKey",
    "IfMatch",
    "OptionalIfMatch",
    "Paging",
    "PagingDep",
    "etag",
    "get_caller",
    "if_match",
    "keyed",
    "optional_if_match",
    "page_body",
    "viewer_of",
]
