"""Every error leaves a service as an RFC 9457 ``application/problem+json`` body."""

# No ``from __future__ import annotations``: FastAPI reads the route annotations at runtime.

from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from kit.web import (
    PROBLEM_JSON,
    Conflict,
    Forbidden,
    NotFound,
    Problem,
    ProblemError,
    Unauthorized,
    Unprocessable,
    install_problem_handlers,
    problem_responses,
)


class Suggestion(BaseModel):
    title: str = Field(min_length=2)
    phone: str = Field(pattern=r"^1[3-9]\d{9}$")
    count: int = 1


def build_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/suggestions", status_code=201, responses=problem_responses(409, 422))
    async def create(body: Suggestion, limit: Annotated[int, Query(ge=1)] = 10) -> dict[str, str]:
        return {"title": body.title}

    @app.get("/missing")
    async def missing() -> None:
        raise NotFound("没有这条建议")

    @app.post("/suggestions/{ident}/close")
    async def close(ident: str) -> None:
        raise Conflict(
            "a closed suggestion cannot be closed again",
            current_state="closed",
            allowed_actions=["reopen"],
        )

    @app.get("/custom")
    async def custom() -> None:
        raise ProblemError(
            429,
            "Too many exports",
            "try again in a minute",
            type_="https://npc.example/problems/rate-limit",
            headers={"Retry-After": "60"},
            retry_after=60,
        )

    @app.get("/forbidden")
    async def forbidden() -> None:
        raise Forbidden("990101002 is outside your scope")

    @app.get("/unauthorized")
    async def unauthorized() -> None:
        raise Unauthorized("send a token")

    @app.post("/rules")
    async def rules() -> None:
        raise Unprocessable([{"loc": ["body", "id_number"], "msg": "checksum", "type": "checksum"}])

    @app.get("/teapot")
    async def teapot() -> None:
        raise HTTPException(418, detail="short and stout", headers={"X-Pot": "1"})

    @app.get("/plain-http")
    async def plain_http() -> None:
        raise StarletteHTTPException(404)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("password=hunter2 in postgresql://internal-host/db")

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert "type" in body
    assert isinstance(body["title"], str)
    assert body["title"]
    Problem.model_validate(body)
    return body


async def test_validation_errors_point_at_fields(client: httpx.AsyncClient) -> None:
    body = problem(
        await client.post(
            "/suggestions?limit=0", json={"title": "x", "phone": "12345", "count": "many"}
        ),
        422,
    )
    assert body["title"] == "Unprocessable Content"
    assert body["instance"] == "/suggestions"
    errors = {tuple(e["loc"]): e for e in body["errors"]}
    assert set(errors) == {
        ("body", "title"),
        ("body", "phone"),
        ("body", "count"),
        ("query", "limit"),
    }
    assert errors[("body", "title")]["type"] == "string_too_short"
    assert errors[("body", "count")]["type"] == "int_parsing"
    assert errors[("query", "limit")]["type"] == "greater_than_equal"
    for error in body["errors"]:
        assert set(error) == {"loc", "msg", "type"}  # never echoes the submitted input
    assert "12345" not in str(body)


async def test_missing_body_and_bad_json(client: httpx.AsyncClient) -> None:
    missing = problem(await client.post("/suggestions"), 422)
    assert missing["errors"][0]["loc"] == ["body"]
    assert missing["errors"][0]["type"] == "missing"
    broken = problem(
        await client.post(
            "/suggestions", content=b"{not json", headers={"content-type": "application/json"}
        ),
        422,
    )
    assert broken["errors"][0]["type"] == "json_invalid"


async def test_valid_request_passes(client: httpx.AsyncClient) -> None:
    response = await client.post("/suggestions", json={"title": "修路", "phone": "13812341234"})
    assert response.status_code == 201
    assert response.json() == {"title": "修路"}


async def test_not_found_keeps_chinese_text(client: httpx.AsyncClient) -> None:
    response = await client.get("/missing")
    body = problem(response, 404)
    assert body == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "没有这条建议",
        "instance": "/missing",
    }
    assert "没有这条建议".encode() in response.content


async def test_conflict_says_state_and_allowed_actions(client: httpx.AsyncClient) -> None:
    body = problem(await client.post("/suggestions/s1/close"), 409)
    assert body["current_state"] == "closed"
    assert body["allowed_actions"] == ["reopen"]
    assert "errors" not in body


async def test_custom_problem_type_headers_and_extensions(client: httpx.AsyncClient) -> None:
    response = await client.get("/custom")
    body = problem(response, 429)
    assert body["type"] == "https://npc.example/problems/rate-limit"
    assert body["title"] == "Too many exports"
    assert body["retry_after"] == 60
    assert response.headers["retry-after"] == "60"


async def test_forbidden_and_unauthorized(client: httpx.AsyncClient) -> None:
    assert problem(await client.get("/forbidden"), 403)["title"] == "Forbidden"
    response = await client.get("/unauthorized")
    problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_unprocessable_carries_field_errors(client: httpx.AsyncClient) -> None:
    body = problem(await client.post("/rules"), 422)
    assert body["errors"] == [{"loc": ["body", "id_number"], "msg": "checksum", "type": "checksum"}]


async def test_http_exceptions_become_problems(client: httpx.AsyncClient) -> None:
    teapot = await client.get("/teapot")
    body = problem(teapot, 418)
    assert body["title"] == "I'm a Teapot"
    assert body["detail"] == "short and stout"
    assert teapot.headers["x-pot"] == "1"
    plain = problem(await client.get("/plain-http"), 404)
    assert "detail" not in plain  # the detail only repeated the title
    unknown = problem(await client.get("/no/such/route"), 404)
    assert unknown["instance"] == "/no/such/route"
    problem(await client.put("/missing"), 405)


async def test_unexpected_errors_leak_nothing(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = await client.get("/boom")
    body = problem(response, 500)
    assert body["title"] == "Internal Server Error"
    assert "hunter2" not in response.text
    assert "internal-host" not in response.text
    assert "RuntimeError" not in response.text
    assert any("hunter2" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


def test_problem_error_defaults() -> None:
    error = ProblemError(503)
    assert error.title == "Service Unavailable"
    assert error.type == "about:blank"
    assert error.to_problem("/x").model_dump(exclude_none=True) == {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "instance": "/x",
    }
    assert ProblemError(799).title == "Error"


def test_openapi_documents_problem_bodies() -> None:
    schema = build_app().openapi()
    responses = schema["paths"]["/suggestions"]["post"]["responses"]
    for status in ("409", "422"):
        media = responses[status]["content"][PROBLEM_JSON]
        assert media["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert {"Problem", "FieldError"} <= schema["components"]["schemas"].keys()
