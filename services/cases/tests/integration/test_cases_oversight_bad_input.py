"""Bad input to units, clocks, topics, digests and instructions: a 4xx naming it, nothing written."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from cases.testing import bodies
from cases.testing.harness import COUNTY, TOWNSHIP, count, headers, running_app, settings_for
from kit.clock import today as china_today

pytestmark = pytest.mark.integration
LATER = (china_today() + timedelta(days=400)).isoformat()

Call = Callable[[httpx.AsyncClient, dict[str, Any]], Awaitable[httpx.Response]]


def _put_clock(client: httpx.AsyncClient, ctx: dict[str, Any]) -> Awaitable[httpx.Response]:
    return client.put(
        f"/api/v1/townships/{TOWNSHIP}/opinion-clock",
        json={"opinion_days": 0},
        headers=ctx["staff"],
    )


def _post(
    path: str,
    who: str,
    body: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]],
    versioned: str | None = None,
) -> Call:
    async def call(client: httpx.AsyncClient, ctx: dict[str, Any]) -> httpx.Response:
        extra = {"If-Match": f'"{ctx[versioned]["version"]}"'} if versioned else {}
        payload = body(ctx) if callable(body) else body
        return await client.post(path.format(**ctx), json=payload, headers={**ctx[who], **extra})

    return call


TOPIC = {
    "township": TOWNSHIP,
    "title": "农村饮用水安全",
    "origin": "plan",
    "year": 2026,
    "measures": [{"description": "改造管网", "owner_unit_id": "water", "due_on": LATER}],
}
TODAY = china_today().isoformat()
BAD: list[tuple[str, Call, int, str]] = [
    (
        "unit registered twice",
        _post("/api/v1/units", "admin", bodies.unit("water", "县水利局")),
        422,
        "unit_id",
    ),
    (
        "unit with a bad id",
        _post("/api/v1/units", "admin", bodies.unit("水 利", "县水利局")),
        422,
        "unit_id",
    ),
    (
        "opinion clock of 0 days",
        _put_clock,
        422,
        "opinion_days",
    ),
    (
        "topic without a title",
        _post("/api/v1/topics", "staff", {**TOPIC, "title": " "}),
        422,
        "title",
    ),
    (
        "topic from a cluster without cases",
        _post("/api/v1/topics", "staff", {**TOPIC, "origin": "case_cluster"}),
        422,
        "case_ids",
    ),
    (
        "topic on an unknown case",
        _post(
            "/api/v1/topics", "staff", {**TOPIC, "origin": "case_cluster", "case_ids": ["ghost"]}
        ),
        422,
        "case_ids",
    ),
    (
        "follow-up on an unknown measure",
        _post("/api/v1/topics/{topic_id}/followups", "staff", {"measure_id": "ghost"}, "topic"),
        422,
        "measure_id",
    ),
    (
        "report before the measures are done",
        _post("/api/v1/topics/{topic_id}/report", "staff", {"text": "报告"}, "topic"),
        422,
        "measures",
    ),
    (
        "vote before a report",
        _post(
            "/api/v1/topics/{topic_id}/votes",
            "staff",
            {"satisfied": 3, "basically_satisfied": 0, "unsatisfied": 0},
            "topic",
        ),
        409,
        "",
    ),
    (
        "digest period ending before it starts",
        _post(
            "/api/v1/digests",
            "admin",
            {"scope": COUNTY, "period_start": TODAY, "period_end": "2020-01-01", "title": "之声"},
        ),
        422,
        "period_end",
    ),
    (
        "instruction on an unknown case",
        _post(
            "/api/v1/digests/{digest_id}/instructions",
            "leader",
            {"leader": "张主任", "text": "办理", "case_id": "ghost"},
        ),
        422,
        "case_id",
    ),
    (
        "instruction without text",
        _post(
            "/api/v1/digests/{digest_id}/instructions",
            "leader",
            lambda c: {"leader": "张主任", "text": " ", "case_id": c["case_id"]},
        ),
        422,
        "text",
    ),
]


@pytest.mark.parametrize(("name", "call", "status", "field"), BAD, ids=[b[0] for b in BAD])
async def test_bad_oversight_input_changes_nothing(
    database_url: str, topic_prefix: str, name: str, call: Call, status: int, field: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    ctx: dict[str, Any] = {
        "admin": headers(settings, "county_admin", COUNTY),
        "leader": headers(settings, "county_leader", COUNTY),
        "staff": headers(settings, "township_staff", TOWNSHIP),
    }
    async with running_app(settings, relay=False) as (service, client):
        await client.post(
            "/api/v1/units", json=bodies.unit("water", "县水利局"), headers=ctx["admin"]
        )
        case = await client.post(
            "/api/v1/suggestions", json=bodies.suggestion(), headers=ctx["staff"]
        )
        ctx["case_id"] = case.json()["case_id"]
        topic = await client.post("/api/v1/topics", json=TOPIC, headers=ctx["staff"])
        ctx["topic"], ctx["topic_id"] = topic.json(), topic.json()["topic_id"]
        digest = await client.post(
            "/api/v1/digests",
            json={
                "scope": COUNTY,
                "period_start": "2020-01-01",
                "period_end": TODAY,
                "title": "之声",
            },
            headers=ctx["admin"],
        )
        ctx["digest_id"] = digest.json()["digest_id"]
        t = service.services.tables
        tables = [
            service.runtime.tables.outbox,
            t.units,
            t.township_clocks,
            t.topics,
            t.digests,
            t.instructions,
            t.timeline,
        ]
        before = [await count(service.runtime.engine, table) for table in tables]
        version = (
            await client.get(f"/api/v1/topics/{ctx['topic_id']}", headers=ctx["staff"])
        ).json()["version"]
        response = await call(client, ctx)
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        if field:
            assert field in response.text
        assert [await count(service.runtime.engine, table) for table in tables] == before
        after = (await client.get(f"/api/v1/topics/{ctx['topic_id']}", headers=ctx["staff"])).json()
        assert after["version"] == version
