"""The shared authorisation-matrix runner judges cells and finds routes no entry calls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI, Header, HTTPException

from kit.authz_matrix import Operations, Report, run_matrix


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item}")
    async def item(item: str, x_role: str | None = Header(default=None)) -> dict[str, str]:
        if x_role is None:
            raise HTTPException(401)
        if x_role == "operator":  # a bug the matrix must see: the operator is let through
            return {"item": item}
        if x_role != "county_admin":
            raise HTTPException(403)
        if item == "broken":
            raise HTTPException(500)
        return {"item": item}

    @app.get("/items/export")
    async def export() -> dict[str, str]:
        return {}

    @app.post("/items")
    async def create() -> dict[str, str]:
        return {}

    return app


@dataclass(frozen=True)
class Route:
    """A test route: its name and the item it reads."""

    name: str
    item: str

    def call(self, client: httpx.AsyncClient, ctx: Any, auth: dict[str, str]) -> Any:
        """Read the item."""
        return client.get(f"/items/{self.item}", headers=auth)


async def _run(routes: tuple[Route, ...], **options: Any) -> Report:
    app = _app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await run_matrix(
            "test",
            client,
            openapi=app.openapi(),
            routes=routes,
            expect=lambda route, role, where: None if role == "county_admin" else 403,
            auth=lambda role, where: {"X-Role": role},
            **options,
        )


async def test_wrong_cells_server_errors_and_routes_without_entries_are_reported() -> None:
    report = await _run((Route("read", "a"), Route("read broken", "broken")))
    assert 'read / operator / own: 200, expected 403 {"item":"a"}' in report.wrong
    assert any(
        w.startswith("read broken / county_admin / own: 500 (server error)") for w in report.wrong
    )
    assert report.uncovered == ["GET /items/export", "POST /items"]
    assert report.operations == {
        "read": {"GET /items/{item}"},
        "read broken": {"GET /items/{item}"},
    }
    assert len(report.cells) == 2 * (1 + 7 * 2)  # anonymous, then 7 roles x own/other
    assert report.statuses[401] == 2


async def test_exempt_operations_are_not_reported() -> None:
    report = await _run(
        (Route("read", "a"),),
        exempt={"GET /items/export": "no cell reaches it", "POST /items": "checked elsewhere"},
        roles=("county_admin", "auditor"),
    )
    assert report.uncovered == []
    assert report.wrong == []
    report.check()


def test_a_literal_path_wins_over_a_template() -> None:
    known = Operations(_app().openapi())
    assert known.of("GET", "/items/export") == "GET /items/export"
    assert known.of("GET", "/items/7") == "GET /items/{item}"
    assert known.of("DELETE", "/items/7") is None
