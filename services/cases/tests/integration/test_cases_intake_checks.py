"""Intake checks what it refers to; duplicate search shows only what the caller may open."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from cases.testing import bodies
from cases.testing.harness import (
    COUNTY,
    TOWNSHIP,
    count,
    headers,
    running_app,
    settings_for,
)

pytestmark = pytest.mark.integration


async def test_unknown_deputies_townships_and_bad_phones_are_refused_naming_them(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    async with running_app(settings, relay=False) as (service, client):
        cases = service.services.tables.cases
        outbox = service.runtime.tables.outbox
        refused = await client.post(
            "/api/v1/suggestions",
            json=bodies.suggestion("dep-1", co=("ghost-1", "dep-2", "ghost-2")),
            headers=admin,
        )
        assert refused.status_code == 422, refused.text
        errors = refused.json()["errors"]
        named = {tuple(e["loc"][-2:]) if len(e["loc"]) > 1 else tuple(e["loc"]) for e in errors}
        assert any("ghost-1" in e["msg"] for e in errors)
        assert any("ghost-2" in e["msg"] for e in errors)
        assert ("co_deputy_ids", 0) in named or any(
            list(e["loc"])[-2:] == ["co_deputy_ids", 0] for e in errors
        )
        lead = await client.post(
            "/api/v1/suggestions", json=bodies.suggestion("nobody"), headers=admin
        )
        assert lead.status_code == 422
        assert "nobody" in lead.text
        town = await client.post(
            "/api/v1/suggestions", json=bodies.suggestion("dep-1", "990101099"), headers=admin
        )
        assert town.status_code == 422
        assert "990101099" in town.text
        opinion: dict[str, Any] = bodies.opinion()
        opinion["constituent"]["phone"] = "12345"
        phone = await client.post("/api/v1/opinions", json=opinion, headers=admin)
        assert phone.status_code == 422
        assert "phone" in phone.text
        assert await count(service.runtime.engine, cases) == 0
        assert await count(service.runtime.engine, outbox) == 0
        fine = await client.post(
            "/api/v1/suggestions", json=bodies.suggestion("dep-1", co=("dep-2",)), headers=admin
        )
        assert fine.status_code == 201, fine.text


async def test_similar_cases_show_a_deputy_only_cases_the_deputy_may_open(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    staff = headers(settings, "township_staff", TOWNSHIP)
    mine = headers(settings, "deputy", TOWNSHIP, deputy_id="dep-1")
    async with running_app(settings, relay=False) as (service, client):
        own = (
            await client.post("/api/v1/suggestions", json=bodies.suggestion("dep-1"), headers=mine)
        ).json()
        other_body = bodies.suggestion("dep-2", title="青石村至镇区道路拓宽")
        other_body["confidential"] = True
        other = (await client.post("/api/v1/suggestions", json=other_body, headers=staff)).json()
        also_mine = (
            await client.post(
                "/api/v1/suggestions",
                json=bodies.suggestion("dep-1", title="青石村道路拓宽改造"),
                headers=mine,
            )
        ).json()
        for_staff = await client.get(f"/api/v1/cases/{own['case_id']}/similar", headers=staff)
        assert {s["case_id"] for s in for_staff.json()} == {other["case_id"], also_mine["case_id"]}
        for_deputy = await client.get(f"/api/v1/cases/{own['case_id']}/similar", headers=mine)
        assert for_deputy.status_code == 200
        assert [s["case_id"] for s in for_deputy.json()] == [also_mine["case_id"]]
        opened = await client.get(f"/api/v1/cases/{other['case_id']}", headers=mine)
        assert opened.status_code == 403
        c = service.services.tables.cases.c
        async with service.runtime.engine.connect() as conn:
            vectors = (await conn.execute(select(c.tokens))).scalars().all()
        assert all(v and "拓宽" in v for v in vectors)  # kept at intake, not per search
