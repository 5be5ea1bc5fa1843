"""Request plumbing every service's routes share: the caller from the token, keyed requests."""

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Annotated, TypeVar

from fastapi import Depends
from pydantic import BaseModel

from kit.auth.dependencies import current_principal
from kit.principal import Principal
from kit.service.context import CallerBase

K = TypeVar("K", bound=CallerBase)


def caller_dependency(make: Callable[[Principal], K]) -> Callable[..., Awaitable[K]]:
    """Return a FastAPI dependency giving the service's caller, from the bearer token."""

    async def get_caller(principal: Annotated[Principal, Depends(current_principal)]) -> K:
        """Return who calls, from the bearer token (a coroutine: no thread-pool hop)."""
        return make(principal)

    return get_caller


def keyed(caller: K, key: str | None, body: BaseModel) -> K:
    """Return the caller carrying a creating request's Idempotency-Key and body (with a key)."""
    if key is None:  # the body is only kept to hash it with the key
        return caller
    return replace(caller, idempotency_key=key, request=body.model_dump(mode="json"))


__all__ = ["caller_dependency", "keyed"]
