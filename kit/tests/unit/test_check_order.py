"""Authenticate → authorise → validate → precondition, whatever else a request lacks."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from kit.auth import AuthConfig, install_auth
from kit.errors import ForbiddenError
from kit.principal import Principal, Role
from kit.web.domain_errors import install_domain_errors
from kit.web.problems import install_problem_handlers
from kit.web.requests import Authenticated, IfMatch, IfMatchLater, install_precondition_docs

CONFIG = AuthConfig(secret="unit-test-secret-of-at-least-32-bytes-long")


class Body(BaseModel):
    """A body with one required field."""

    title: str


def make_app() -> FastAPI:
    """Return an app with one eager and one late If-Match route."""
    app = FastAPI()
    install_auth(app, CONFIG)
    install_problem_handlers(app)
    install_domain_errors(app)
    api = APIRouter()

    @api.post("/eager/{record_id}")
    async def eager(record_id: str, body: Body, version: IfMatch) -> dict[str, int]:
        return {"version": version}

    @api.post("/late/{record_id}")
    async def late(
        record_id: str, body: Body, expected: IfMatchLater, principal: Authenticated
    ) -> dict[str, int]:
        if not principal.has(Role.county_admin):  # the handler's role check comes first
            raise ForbiddenError("only the county administration may do this")
        return {"version": expected.required()}

    app.include_router(api, prefix="/api/v1")
    install_precondition_docs(app)
    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as http:
        yield http


def bearer(role: Role) -> dict[str, str]:
    """Return the Authorization header of a user with one role."""
    who = Principal(subject="u", name="", roles=frozenset({role}), scope="990101")
    return {"Authorization": f"Bearer {CONFIG.issue(who)}"}


@pytest.mark.parametrize("path", ["/api/v1/eager/r1", "/api/v1/late/r1", "/api/v1/nowhere"])
async def test_no_token_is_401_even_with_a_broken_body(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.post(
        path, content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_missing_if_match_is_428_after_authentication(client: httpx.AsyncClient) -> None:
    admin = bearer(Role.county_admin)
    response = await client.post("/api/v1/eager/r1", json={"title": "x"}, headers=admin)
    assert response.status_code == 428
    assert response.json()["title"] == "Precondition Required"
    sent = await client.post(
        "/api/v1/eager/r1", json={"title": "x"}, headers={**admin, "If-Match": '"3"'}
    )
    assert sent.json() == {"version": 3}
    malformed = await client.post(
        "/api/v1/eager/r1", json={"title": "x"}, headers={**admin, "If-Match": "three"}
    )
    assert malformed.status_code == 422


async def test_a_late_precondition_lets_the_role_check_answer_first(
    client: httpx.AsyncClient,
) -> None:
    staff = bearer(Role.township_staff)
    refused = await client.post("/api/v1/late/r1", json={"title": "x"}, headers=staff)
    assert refused.status_code == 403  # not 428: the caller may not write at all
    invalid = await client.post("/api/v1/late/r1", json={}, headers=bearer(Role.county_admin))
    assert invalid.status_code == 422  # validation before the precondition
    admin = bearer(Role.county_admin)
    missing = await client.post("/api/v1/late/r1", json={"title": "x"}, headers=admin)
    assert missing.status_code == 428
    sent = await client.post(
        "/api/v1/late/r1", json={"title": "x"}, headers={**admin, "If-Match": 'W/"7"'}
    )
    assert sent.json() == {"version": 7}


async def test_openapi_marks_if_match_required_where_it_is(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    for path in ("/api/v1/eager/{record_id}", "/api/v1/late/{record_id}"):
        operation = schema["paths"][path]["post"]
        header = next(p for p in operation["parameters"] if p["name"] == "If-Match")
        assert header["required"] is True
        assert "428" in operation["responses"]
    assert "Problem" in schema["components"]["schemas"]
