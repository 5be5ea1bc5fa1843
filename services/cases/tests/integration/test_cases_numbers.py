"""Case numbers: gap-free per county, year and kind under concurrent filings, on reads, events, search."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from cases.bootstrap import MIGRATIONS
from cases.testing import bodies
from cases.testing.harness import (
    COUNTY,
    OTHER_TOWNSHIP,
    TOWNSHIP,
    drained,
    headers,
    published_all,
    running_app,
    settings_for,
)
from kit.clock import today
from kit.db import make_engine
from kit.migrate import downgrade, revision_before, upgrade

pytestmark = pytest.mark.integration

NAMES = {COUNTY: "青山县"}
YEAR = today().year


def _label(kind: str, seq: int) -> str:
    return f"青山县{YEAR}年{kind}第{seq}号"


async def _file(client: httpx.AsyncClient, auth: dict[str, str], i: int) -> httpx.Response:
    township = TOWNSHIP if i % 2 else OTHER_TOWNSHIP
    deputy = "dep-1" if i % 2 else "dep-3"
    if i % 3 == 0:
        body = bodies.opinion(deputy, township)
        return await client.post("/api/v1/opinions", json=body, headers=auth)
    body = bodies.suggestion(deputy, township, title=f"关于第{i}条道路的建议")
    return await client.post("/api/v1/suggestions", json=body, headers=auth)


async def test_concurrent_filings_get_gap_free_numbers_even_when_one_fails(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix, county_names=NAMES)
    admin = headers(settings, "county_admin", COUNTY)
    async with running_app(settings) as (service, client):
        # a filing that fails after it took its number: the database refuses the case row
        async with service.runtime.engine.begin() as conn:
            await conn.execute(
                text(
                    "CREATE FUNCTION refuse_case() RETURNS trigger AS $$ BEGIN "
                    "IF NEW.title = '拒收' THEN RAISE EXCEPTION 'refused'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            await conn.execute(
                text(
                    "CREATE TRIGGER refuse_case BEFORE INSERT ON cases "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_case()"
                )
            )
        refused = await client.post(
            "/api/v1/suggestions", json=bodies.suggestion(title="拒收"), headers=admin
        )
        assert refused.status_code == 500
        unknown = await client.post(
            "/api/v1/suggestions", json=bodies.suggestion("dep-404"), headers=admin
        )
        assert unknown.status_code == 422

        filed = await asyncio.gather(*(_file(client, admin, i) for i in range(1, 31)))
        assert all(r.status_code == 201 for r in filed), [r.text for r in filed if r.is_error]
        cases = [r.json() for r in filed]
        by_kind: dict[str, list[str]] = {"建议": [], "意见": []}
        for case in cases:
            by_kind["意见" if case["kind"] == "opinion" else "建议"].append(case["number"])
        # 20 suggestions and 10 opinions: 1..20 and 1..10, nothing skipped, nothing twice
        for kind, numbers in by_kind.items():
            assert sorted(numbers) == sorted(_label(kind, n) for n in range(1, len(numbers) + 1))
        assert len(by_kind["建议"]) == 20
        assert len(by_kind["意见"]) == 10

        # on the read, in the list and by search (with or without the county)
        one = cases[1]
        read = (await client.get(f"/api/v1/cases/{one['case_id']}", headers=admin)).json()
        assert read["number"] == one["number"]
        for asked in (
            one["number"],
            one["number"].removeprefix("青山县"),
            f"[{COUNTY}]" + one["number"].removeprefix("青山县"),
        ):
            found = await client.get("/api/v1/cases", params={"number": asked}, headers=admin)
            assert found.status_code == 200
            assert [c["case_id"] for c in found.json()["items"]] == [one["case_id"]], asked
        for miss in ("白水县" + one["number"].removeprefix("青山县"), "第37号", "37"):
            found = await client.get("/api/v1/cases", params={"number": miss}, headers=admin)
            assert found.json()["items"] == [], miss
        listed = await client.get("/api/v1/cases", params={"page_size": 100}, headers=admin)
        assert {c["number"] for c in listed.json()["items"]} == {c["number"] for c in cases}

        # a deputy searching another deputy's number finds nothing
        other = next(c for c in cases if "dep-3" in c["deputy_ids"])
        deputy = headers(settings, "deputy", TOWNSHIP, deputy_id="dep-1")
        found = await client.get(
            "/api/v1/cases", params={"number": other["number"]}, headers=deputy
        )
        assert found.json()["items"] == []

        # merged cases keep their number; an opinion turned into a suggestion gets the next one
        first, second = [
            c for c in cases if c["kind"] == "suggestion" and c["township"] == TOWNSHIP
        ][:2]
        merged = await client.post(
            f"/api/v1/cases/{first['case_id']}/merge",
            json={"merged_into": second["case_id"]},
            headers={**admin, "If-Match": f'"{first["version"]}"'},
        )
        assert merged.status_code == 200, merged.text
        assert merged.json()["number"] == first["number"]
        survivor = (await client.get(f"/api/v1/cases/{second['case_id']}", headers=admin)).json()
        assert survivor["number"] == second["number"]
        opinion = next(c for c in cases if c["kind"] == "opinion")
        turned = await client.post(
            f"/api/v1/cases/{opinion['case_id']}/to-suggestion",
            json={},
            headers={**admin, "If-Match": f'"{opinion["version"]}"'},
        )
        assert turned.status_code == 200, turned.text
        new = turned.json()["suggestion_case_id"]
        suggestion = (await client.get(f"/api/v1/cases/{new}", headers=admin)).json()
        assert suggestion["number"] == _label("建议", 21)

        await drained(service.runtime)
    events = await published_all(topic_prefix)
    carried = {
        e["envelope"]["data"]["case_id"]: e["envelope"]["data"].get("case_number")
        for e in events
        if e["envelope"]["type"].endswith("submitted")
    }
    assert carried == {c["case_id"]: c["number"] for c in cases} | {new: _label("建议", 21)}
    triaged = [e for e in events if e["envelope"]["type"] == "cases.case.triaged"]
    assert {e["envelope"]["data"]["case_number"] for e in triaged} == {
        first["number"],
        opinion["number"],
    }


async def _count_numbers(url: str) -> list[Any]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT title, kind, number_county, number_year, number_seq FROM cases "
                    "ORDER BY created_at"
                )
            )
            return [tuple(r) for r in rows.all()]
    finally:
        await engine.dispose()


async def test_cases_filed_before_numbers_are_numbered_in_order_of_filing(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix, county_names=NAMES)
    admin = headers(settings, "county_admin", COUNTY)
    async with running_app(settings, relay=False) as (_, client):
        for i in range(4):
            body = bodies.suggestion(title=f"建议{i}")
            assert (await client.post("/api/v1/suggestions", json=body, headers=admin)).is_success
        opinion = bodies.opinion("dep-1", TOWNSHIP)
        assert (await client.post("/api/v1/opinions", json=opinion, headers=admin)).is_success
    await downgrade(MIGRATIONS, database_url, revision_before(MIGRATIONS, "0005_case_numbers"))
    await upgrade(MIGRATIONS, database_url)
    rows = await _count_numbers(database_url)
    assert [(r[0], r[4]) for r in rows if r[1] == "suggestion"] == [
        (f"建议{i}", i + 1) for i in range(4)
    ]
    assert [r[4] for r in rows if r[1] == "opinion"] == [1]
    assert {(r[2], r[3]) for r in rows} == {(COUNTY, YEAR)}
    async with running_app(settings, relay=False, roster=False) as (_, client):
        after = await client.post("/api/v1/suggestions", json=bodies.suggestion(), headers=admin)
        assert after.json()["number"] == _label("建议", 5)
