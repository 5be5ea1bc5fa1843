"""The NUL guard: 422 naming the field for a NUL in a path, query, JSON or text body; else untouched."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from kit.web.nul import in_body, install_nul_guard
from kit.web.problems import install_problem_handlers


def _app() -> FastAPI:
    app = FastAPI()
    install_nul_guard(app)
    install_problem_handlers(app)

    @app.post("/echo/{name}")
    async def echo(name: str, request: Request) -> dict[str, Any]:
        return {
            "name": name,
            "query": dict(request.query_params),
            "size": len(await request.body()),
        }

    @app.post("/json")
    async def json_body(body: dict[str, Any]) -> dict[str, Any]:
        return body

    return app


async def _post(path: str, **kwargs: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.post(path, **kwargs)


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"comment": "a\u0000b"}, ["body", "comment"]),
        ({"items": [{"ok": "x"}, {"text": "\u0000"}]}, ["body", "items", 1, "text"]),
        ({"a\u0000": "key"}, ["body"]),
        (["\u0000"], ["body", 0]),
    ],
)
async def test_a_json_string_with_nul_is_refused_naming_the_field(
    body: Any, loc: list[Any]
) -> None:
    response = await _post("/json", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    (error,) = response.json()["errors"]
    assert error["loc"] == loc
    assert error["type"] == "nul_char"


async def test_clean_and_escaped_text_passes() -> None:
    body = {"comment": "路灯 \\u0000 is six characters here", "n": [1, None, True]}
    response = await _post("/json", json=body)
    assert response.status_code == 200
    assert response.json() == body


async def test_query_and_path_with_nul_are_refused() -> None:
    query = await _post("/echo/x", params={"township": "990101\u0000"})
    assert query.status_code == 422
    assert query.json()["errors"][0]["loc"] == ["query", "township"]
    path = await _post("/echo/a%00b")
    assert path.status_code == 422
    assert path.json()["errors"][0]["loc"] == ["path"]


async def test_text_bodies_are_checked_and_binary_ones_are_not() -> None:
    csv = await _post(
        "/echo/x", content=b"id,name\n1,a\x00b\n", headers={"content-type": "text/csv"}
    )
    assert csv.status_code == 422
    assert csv.json()["errors"][0]["loc"] == ["body"]
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00"
    binary = await _post("/echo/x", content=png, headers={"content-type": "image/png"})
    assert binary.status_code == 200
    assert binary.json()["size"] == len(png)


async def test_a_body_in_many_chunks_reaches_the_route_whole() -> None:
    async def chunks() -> Any:
        yield b'{"comment": "'
        yield "办理".encode() * 1000
        yield b'"}'

    response = await _post("/json", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert response.json() == {"comment": "办理" * 1000}


def test_not_json_is_left_to_the_route() -> None:
    assert in_body(b'{"a": "\\u0000', "application/json") is None
