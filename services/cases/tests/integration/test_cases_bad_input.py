"""Bad input gets a 4xx naming the problem, and changes nothing: no row, no step, no event."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from cases.testing import bodies
from cases.testing.harness import COUNTY, TOWNSHIP, count, headers, running_app, settings_for

pytestmark = pytest.mark.integration

Call = Callable[[httpx.AsyncClient, dict[str, Any]], Awaitable[httpx.Response]]


def _step(path: str, who: str, body: dict[str, Any]) -> Call:
    async def call(client: httpx.AsyncClient, ctx: dict[str, Any]) -> httpx.Response:
        case = ctx["case"]
        return await client.post(
            f"/api/v1/cases/{case['case_id']}/{path}",
            json=body,
            headers={**ctx[who], "If-Match": f'"{case["version"]}"'},
        )

    return call


def _file(body: dict[str, Any]) -> Call:
    async def call(client: httpx.AsyncClient, ctx: dict[str, Any]) -> httpx.Response:
        return await client.post("/api/v1/suggestions", json=body, headers=ctx["deputy"])

    return call


BAD: list[tuple[str, Call, int, str]] = [
    ("empty content", _file({**bodies.suggestion(), "content": "   "}), 422, "content"),
    ("empty title", _file({**bodies.suggestion(), "title": ""}), 422, "title"),
    ("bad township", _file({**bodies.suggestion(), "township": "99"}), 422, "township"),
    ("unknown field", _file({**bodies.suggestion(), "colour": "red"}), 422, "colour"),
    (
        "unknown handling unit",
        _step("assign", "admin", {"lead_unit_id": "no-such-unit"}),
        422,
        "lead_unit_id",
    ),
    (
        "unknown co-handler",
        _step("assign", "admin", {"lead_unit_id": "traffic", "co_unit_ids": ["ghost"]}),
        422,
        "co_unit_ids",
    ),
    (
        "feedback by another deputy",
        _step("feedback", "other_deputy", {"process": "satisfied", "result": "satisfied"}),
        403,
        "",
    ),
    (
        "feedback by the co-signatory",
        _step("feedback", "co_deputy", {"process": "satisfied", "result": "satisfied"}),
        403,
        "",
    ),
    ("reply without a class", _step("reply", "unit", {"text": "已办理"}), 422, "reply_class"),
    (
        "reply with an unknown class",
        _step("reply", "unit", {"reply_class": "E", "text": "x"}),
        422,
        "reply_class",
    ),
    (
        "extension beyond the limit",
        _step("extend", "admin", {"due_on": "2099-01-05", "reason": "工程量大"}),
        422,
        "due_on",
    ),
    ("missing If-Match", None, 428, "If-Match"),  # type: ignore[list-item]
    ("stale If-Match", None, 409, ""),  # type: ignore[list-item]
    ("illegal action", _step("accept", "admin", {}), 409, ""),
]


async def _setup(client: httpx.AsyncClient, ctx: dict[str, Any], state: str) -> dict[str, Any]:
    for unit_id, name in bodies.UNITS[:2]:
        await client.post("/api/v1/units", json=bodies.unit(unit_id, name), headers=ctx["admin"])
    body = bodies.suggestion("dep-1", co=("dep-2",))
    case = (await client.post("/api/v1/suggestions", json=body, headers=ctx["deputy"])).json()
    steps = [("accept", {}, "admin"), ("assign", {"lead_unit_id": "traffic"}, "admin")]
    if state == "replied":
        steps.append(("reply", {"reply_class": "A", "text": "已完成"}, "unit"))
    for path, payload, who in steps:
        case = (
            await client.post(
                f"/api/v1/cases/{case['case_id']}/{path}",
                json=payload,
                headers={**ctx[who], "If-Match": f'"{case["version"]}"'},
            )
        ).json()
    return dict(case)


@pytest.mark.parametrize(("name", "call", "status", "field"), BAD, ids=[b[0] for b in BAD])
async def test_bad_input_changes_nothing(
    database_url: str, topic_prefix: str, name: str, call: Call | None, status: int, field: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    ctx: dict[str, Any] = {
        "admin": headers(settings, "county_admin", COUNTY),
        "leader": headers(settings, "county_leader", COUNTY),
        "deputy": headers(settings, "deputy", TOWNSHIP, deputy_id="dep-1"),
        "co_deputy": headers(settings, "deputy", TOWNSHIP, deputy_id="dep-2"),
        "other_deputy": headers(settings, "deputy", TOWNSHIP, deputy_id="dep-9"),
        "unit": headers(settings, "handling_unit", COUNTY, unit_id="traffic"),
    }
    async with running_app(settings, relay=False) as (service, client):
        state = "replied" if name.startswith("feedback") else "assigned"
        ctx["case"] = await _setup(client, ctx, state)
        outbox, timeline = service.runtime.tables.outbox, service.services.tables.timeline
        cases_table = service.services.tables.cases
        before = [
            await count(service.runtime.engine, outbox),
            await count(service.runtime.engine, timeline),
            await count(service.runtime.engine, cases_table),
        ]
        if name == "missing If-Match":
            response = await client.post(
                f"/api/v1/cases/{ctx['case']['case_id']}/extend",
                json={"due_on": "2099-01-05", "reason": "x"},
                headers=ctx["admin"],
            )
        elif name == "stale If-Match":
            ctx["case"] = {**ctx["case"], "version": ctx["case"]["version"] - 1}
            response = await _step("key-chase", "leader", {})(client, ctx)
        else:
            assert call is not None
            response = await call(client, ctx)
        assert response.status_code == status, response.text
        problem = response.json()
        assert response.headers["content-type"].startswith("application/problem+json")
        if field:
            assert field in str(problem.get("errors", problem)), problem
        if name == "illegal action":
            assert problem["current_state"] == "assigned"
            assert "reply" in problem["allowed_actions"]
        after = [
            await count(service.runtime.engine, outbox),
            await count(service.runtime.engine, timeline),
            await count(service.runtime.engine, cases_table),
        ]
        assert after == before
