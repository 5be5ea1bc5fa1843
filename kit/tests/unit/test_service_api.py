"""The API caller dependency: a service's caller from the bearer token, 401 without one."""

# No ``from __future__ import annotations``: FastAPI must evaluate the route annotations.

from dataclasses import dataclass
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI

from kit.auth import AuthConfig, Principal, Role, install_auth
from kit.service.api import caller_dependency
from kit.service.context import CallerBase
from kit.web import install_problem_handlers

CONFIG = AuthConfig(secret="unit-test-secret-long-enough-for-hs512-" + "x" * 32)


@dataclass(frozen=True)
class Caller(CallerBase):
    """A service's own caller: here only the subject and scope."""

    subject: str
    scope: str


def caller_of(principal: Principal) -> Caller:
    return Caller(subject=principal.subject, scope=principal.scope)


def app() -> FastAPI:
    api = FastAPI()
    install_auth(api, CONFIG)
    install_problem_handlers(api)
    get_caller = caller_dependency(caller_of)

    @api.get("/me")
    def me(caller: Annotated[Caller, Depends(get_caller)]) -> dict[str, str]:
        return {"subject": caller.subject, "scope": caller.scope}

    return api


async def test_the_caller_comes_from_the_token_and_none_is_refused() -> None:
    principal = Principal(subject="u-7", roles=frozenset({Role.township_staff}), scope="990101001")
    token = CONFIG.issue(principal)
    transport = httpx.ASGITransport(app=app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        ok = await client.get("/me", headers={"Authorization": f"Bearer {token}"})
        refused = await client.get("/me")
    assert (ok.status_code, ok.json()) == (200, {"subject": "u-7", "scope": "990101001"})
    assert refused.status_code == 401
