"""What a case's outcome says: 不满意 is never 办成, one item counts once, rates state their base."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cases.testing import bodies
from cases.testing.harness import (
    COUNTY,
    TOWNSHIP,
    headers,
    published,
    running_app,
    settings_for,
)

pytestmark = pytest.mark.integration


async def _do(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], auth: Any, version: int
) -> dict[str, Any]:
    response = await client.post(path, json=body, headers={**auth, "If-Match": f'"{version}"'})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _assigned(
    client: httpx.AsyncClient, body: dict[str, Any], filer: Any, admin: Any, lead: str
) -> dict[str, Any]:
    created = await client.post("/api/v1/suggestions", json=body, headers=filer)
    assert created.status_code == 201, created.text
    case = dict(created.json())
    case = await _do(client, f"/api/v1/cases/{case['case_id']}/accept", {}, admin, case["version"])
    return await _do(
        client,
        f"/api/v1/cases/{case['case_id']}/assign",
        {"lead_unit_id": lead},
        admin,
        case["version"],
    )


async def test_a_case_closed_after_unsatisfied_final_feedback_is_unsolved_everywhere(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    deputy = headers(settings, "deputy", TOWNSHIP, deputy_id="dep-1")
    unit = headers(settings, "handling_unit", COUNTY, unit_id="traffic")
    async with running_app(settings) as (_, client):
        await client.post("/api/v1/units", json=bodies.unit(), headers=admin)
        case = await _assigned(client, bodies.suggestion("dep-1"), deputy, admin, "traffic")
        path = f"/api/v1/cases/{case['case_id']}"
        for round_ in (1, 2):
            case = await _do(
                client,
                f"{path}/reply",
                {"reply_class": "A", "text": "已完成"},
                unit,
                case["version"],
            )
            rating = {"process": "unsatisfied", "result": "unsatisfied", "comment": "路仍未修"}
            case = await _do(client, f"{path}/feedback", rating, deputy, case["version"])
            assert case["state"] == ("rehandling" if round_ == 1 else "closed")
        assert case["solved"] is False

        stats = (await client.get("/api/v1/statistics", headers=admin)).json()
        assert stats["overall"]["solved"] == 0
        digest = await client.post(
            "/api/v1/digests",
            json={
                "scope": COUNTY,
                "period_start": "2000-01-01",
                "period_end": "2099-12-31",
                "title": "人大代表之声",
            },
            headers=admin,
        )
        assert digest.status_code == 201, digest.text
        assert digest.json()["summary"]["totals"]["solved"] == 0

        records = await published(topic_prefix, expected=10)
        closed = [
            r["envelope"]["data"] for r in records if r["envelope"]["type"] == "cases.case.closed"
        ]
        assert [c["solved"] for c in closed] == [False]


async def test_an_opinion_turned_into_a_suggestion_keeps_its_constituent_and_counts_once(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    staff = headers(settings, "township_staff", TOWNSHIP)
    async with running_app(settings, relay=False) as (_, client):
        created = await client.post("/api/v1/opinions", json=bodies.opinion(), headers=staff)
        assert created.status_code == 201, created.text
        opinion = created.json()
        turned = await client.post(
            f"/api/v1/cases/{opinion['case_id']}/to-suggestion",
            json={},
            headers={**staff, "If-Match": f'"{opinion["version"]}"'},
        )
        assert turned.status_code == 200, turned.text
        opinion = (await client.get(f"/api/v1/cases/{opinion['case_id']}", headers=staff)).json()
        suggestion_id = opinion["suggestion_case_id"]
        suggestion = (await client.get(f"/api/v1/cases/{suggestion_id}", headers=staff)).json()
        assert suggestion["from_opinion_id"] == opinion["case_id"]  # the link both ways
        assert suggestion["constituent"]["name"] == "王小明"  # the constituent came along
        assert suggestion["constituent"]["phone"] == "13812345678"

        stats = (await client.get("/api/v1/statistics", headers=admin)).json()
        assert stats["overall"]["total"] == 1  # one item, not an opinion and a suggestion
        digest = await client.post(
            "/api/v1/digests",
            json={
                "scope": COUNTY,
                "period_start": "2000-01-01",
                "period_end": "2099-12-31",
                "title": "人大代表之声",
            },
            headers=admin,
        )
        assert digest.json()["case_count"] == 1


async def test_statistics_state_their_denominators_and_add_up(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    deputy = headers(settings, "deputy", TOWNSHIP, deputy_id="dep-1")
    unit = headers(settings, "handling_unit", COUNTY, unit_id="traffic")
    async with running_app(settings, relay=False) as (_, client):
        await client.post("/api/v1/units", json=bodies.unit(), headers=admin)
        solved = await _assigned(
            client, bodies.suggestion("dep-1", category="环境保护"), deputy, admin, "traffic"
        )
        path = f"/api/v1/cases/{solved['case_id']}"
        solved = await _do(
            client, f"{path}/reply", {"reply_class": "A", "text": "已完成"}, unit, solved["version"]
        )
        await _do(
            client,
            f"{path}/feedback",
            {"process": "satisfied", "result": "satisfied"},
            deputy,
            solved["version"],
        )
        for category in ("生态环境", "交通"):  # two more, never assigned
            body = bodies.suggestion("dep-1", category=category, title=f"{category}建议")
            assert (
                await client.post("/api/v1/suggestions", json=body, headers=deputy)
            ).status_code == 201
        refused = await client.post(
            "/api/v1/suggestions",
            json=bodies.suggestion("dep-1", category="随便写的主题"),
            headers=deputy,
        )
        assert refused.status_code == 422
        assert "category" in refused.text
        await client.post("/api/v1/opinions", json=bodies.opinion(), headers=admin)

        stats = (await client.get("/api/v1/statistics?by=unit", headers=admin)).json()
        overall = stats["overall"]
        assert overall["total"] == 4
        assert sum(g["total"] for g in stats["groups"]) == 4  # unassigned cases are a group
        assert {g["key"]: g["total"] for g in stats["groups"]} == {"traffic": 1, "unassigned": 3}
        rates = {r["name"]: r for r in overall["rates"]}
        assert rates["solved_rate"] == {
            "name": "solved_rate",
            "value": 1.0,
            "numerator": 1,
            "denominator": "replied",
            "of": 1,
        }
        assert rates["solved_rate_of_all"]["value"] == 0.25
        assert rates["solved_rate_of_all"]["of"] == 4

        by_category = (await client.get("/api/v1/statistics?by=category", headers=admin)).json()
        keys = [g["key"] for g in by_category["groups"]]
        assert "环境保护" not in keys
        assert {g["key"]: g["total"] for g in by_category["groups"]}["生态环境"] == 2

        only = (await client.get("/api/v1/statistics?kind=opinion", headers=admin)).json()
        assert only["overall"]["total"] == 1
        inverted = await client.get(
            "/api/v1/statistics?period_start=2026-05-01&period_end=2026-04-01", headers=admin
        )
        assert inverted.status_code == 422


async def test_messages_say_what_happened_and_internal_actions_are_never_offered(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    leader = headers(settings, "county_leader", COUNTY)
    deputy = headers(settings, "deputy", TOWNSHIP, deputy_id="dep-1")
    async with running_app(settings, relay=False) as (_, client):
        await client.post("/api/v1/units", json=bodies.unit(), headers=admin)
        created = await client.post(
            "/api/v1/suggestions", json=bodies.suggestion("dep-1"), headers=deputy
        )
        assert "absorb" not in created.json()["allowed_actions"]
        case = await _assigned(client, bodies.suggestion("dep-2"), admin, admin, "traffic")
        assert "absorb" not in case["allowed_actions"]
        path = f"/api/v1/cases/{case['case_id']}"
        case = await _do(client, f"{path}/key-chase", {}, leader, case["version"])
        again = await client.post(
            f"{path}/key-chase", json={}, headers={**leader, "If-Match": f'"{case["version"]}"'}
        )
        assert again.status_code == 409
        assert "already" in again.json()["detail"]
        due = case["due_on"]
        case = await _do(
            client,
            f"{path}/extend",
            {"due_on": _later_workday(due), "reason": "需协调资金"},
            admin,
            case["version"],
        )
        second = await client.post(
            f"{path}/extend",
            json={"due_on": _later_workday(case["due_on"]), "reason": "再延"},
            headers={**admin, "If-Match": f'"{case["version"]}"'},
        )
        assert second.status_code == 409
        assert "already granted" in second.json()["detail"]


def _later_workday(day: str) -> str:
    from datetime import date, timedelta

    from cases.domain.workdays import WorkCalendar

    return WorkCalendar().on_or_after(date.fromisoformat(day) + timedelta(days=14)).isoformat()
