"""Request plumbing of the routes: who calls, and a creating request's Idempotency-Key."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import Depends
from pydantic import BaseModel

from cases.handlers.context import Caller
from kit.auth.dependencies import current_principal
from kit.principal import Principal


def get_caller(principal: Annotated[Principal, Depends(current_principal)]) -> Caller:
    """Return who calls, from the bearer token."""
    return Caller(principal=principal)


CallerDep = Annotated[Caller, Depends(get_caller)]


def keyed(caller: Caller, key: str | None, body: BaseModel) -> Caller:
    """Return the caller carrying a creating request's Idempotency-Key and body."""
    return replace(caller, idempotency_key=key, request=body.model_dump(mode="json"))
