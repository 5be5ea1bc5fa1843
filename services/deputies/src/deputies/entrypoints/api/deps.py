"""Request plumbing shared by the routes: the caller, versions (If-Match), pages."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import Depends
from pydantic import BaseModel

from deputies.handlers.context import Caller
from kit.auth.dependencies import current_principal
from kit.principal import Principal
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


def get_caller(principal: Annotated[Principal, Depends(current_principal)]) -> Caller:
    """Return who calls, from the bearer token."""
    return Caller(viewer=viewer_of(principal), principal=principal)


CallerDep = Annotated[Caller, Depends(get_caller)]


def keyed(caller: Caller, key: str | None, body: BaseModel) -> Caller:
    """Return the caller carrying a creating request's Idempotency-Key and body."""
    return replace(caller, idempotency_key=key, request=body.model_dump(mode="json"))


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
