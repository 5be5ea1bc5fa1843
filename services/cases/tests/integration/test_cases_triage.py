"""Triage and re-handling over HTTP: merge, opinion to suggestion, return, unsatisfied, clocks."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from cases.testing import bodies
from cases.testing.harness import (
    COUNTY,
    TOWNSHIP,
    headers,
    outbox_types,
    running_app,
    settings_for,
)

pytestmark = pytest.mark.integration


async def _do(
    client: httpx.AsyncClient, case: dict[str, Any], path: str, body: dict[str, Any], auth: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/cases/{case['case_id']}/{path}",
        json=body,
        headers={**auth, "If-Match": f'"{case["version"]}"'},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_merging_keeps_every_submitter_and_ends_the_duplicate(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    staff = headers(settings, "township_staff", TOWNSHIP)
    async with running_app(settings, relay=False) as (service, client):
        first = (
            await client.post("/api/v1/suggestions", json=bodies.suggestion("dep-1"), headers=staff)
        ).json()
        second = (
            await client.post("/api/v1/suggestions", json=bodies.suggestion("dep-2"), headers=staff)
        ).json()
        other = bodies.suggestion(
            "dep-3", title="关于改善中心小学食堂的建议", content="中心小学食堂卫生条件差。"
        )
        await client.post("/api/v1/suggestions", json=other, headers=staff)
        proposed = (
            await client.get(f"/api/v1/cases/{second['case_id']}/similar", headers=staff)
        ).json()
        assert [p["case_id"] for p in proposed] == [first["case_id"]]  # not the school canteen
        assert proposed[0]["score"] > 0.9
        merged = await _do(client, second, "merge", {"merged_into": first["case_id"]}, staff)
        assert merged["state"] == "merged"
        assert merged["merged_into"] == first["case_id"]
        survivor = (await client.get(f"/api/v1/cases/{first['case_id']}", headers=staff)).json()
        assert survivor["deputy_ids"] == ["dep-1", "dep-2"]
        mine = await client.get(
            "/api/v1/cases", headers=headers(settings, "deputy", TOWNSHIP, deputy_id="dep-2")
        )
        assert {c["case_id"] for c in mine.json()["items"]} == {
            first["case_id"],
            second["case_id"],
        }  # the merged deputy follows the survivor
        steps = (
            await client.get(f"/api/v1/cases/{first['case_id']}/timeline", headers=staff)
        ).json()
        assert [s["action"] for s in steps] == ["receive", "absorb"]
        types = await outbox_types(service.runtime.engine, service.runtime.tables.outbox)
        assert types[-2:] == ["cases.case.triaged", "cases.case.closed"]


async def test_an_opinion_becomes_a_suggestion_of_its_receiving_deputy(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    staff = headers(settings, "township_staff", TOWNSHIP)
    deputy = headers(settings, "deputy", TOWNSHIP, deputy_id="dep-1")
    async with running_app(settings, relay=False) as (_, client):
        opinion = (
            await client.post("/api/v1/opinions", json=bodies.opinion(), headers=deputy)
        ).json()
        response = await client.post(
            f"/api/v1/cases/{opinion['case_id']}/to-suggestion",
            json={"comment": "代表转为建议"},
            headers={**staff, "If-Match": f'"{opinion["version"]}"'},
        )
        assert response.status_code == 200, response.text
        new_id = response.json()["suggestion_case_id"]
        suggestion = (await client.get(f"/api/v1/cases/{new_id}", headers=deputy)).json()
        assert suggestion["kind"] == "suggestion"
        assert suggestion["deputy_ids"] == ["dep-1"]
        assert suggestion["state"] == "received"
        ended = (await client.get(f"/api/v1/cases/{opinion['case_id']}", headers=deputy)).json()
        assert ended["state"] == "to_suggestion"
        assert ended["suggestion_case_id"] == new_id


async def test_return_reassign_unsatisfied_and_the_township_opinion_clock(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    staff = headers(settings, "township_staff", TOWNSHIP)
    deputy = headers(settings, "deputy", TOWNSHIP, deputy_id="dep-1")
    housing = headers(settings, "handling_unit", COUNTY, unit_id="housing")
    async with running_app(settings, relay=False) as (service, client):
        for unit_id, name in bodies.UNITS:
            await client.post("/api/v1/units", json=bodies.unit(unit_id, name), headers=admin)
        clock = await client.put(
            f"/api/v1/townships/{TOWNSHIP}/opinion-clock", json={"opinion_days": 15}, headers=staff
        )
        assert clock.status_code == 204
        case = (await client.post("/api/v1/opinions", json=bodies.opinion(), headers=deputy)).json()
        case = await _do(client, case, "accept", {}, staff)
        case = await _do(client, case, "assign", {"lead_unit_id": "traffic"}, staff)
        start = date.fromisoformat(case["assigned_on"])
        assert case["clock"] == "opinion"
        assert (date.fromisoformat(case["due_on"]) - start).days in range(15, 20)
        returned = await client.post(
            f"/api/v1/cases/{case['case_id']}/return",
            json={"reason": "路灯属住建部门管理"},
            headers={
                **headers(settings, "handling_unit", COUNTY, unit_id="traffic"),
                "If-Match": f'"{case["version"]}"',
            },
        )
        assert returned.status_code == 200, returned.text
        assert returned.json()["state"] == "returned"
        case = (await client.get(f"/api/v1/cases/{case['case_id']}", headers=staff)).json()
        case = await _do(client, case, "assign", {"lead_unit_id": "housing"}, staff)
        assert case["assignment"] == 2
        case = await _do(client, case, "reply", {"reply_class": "A", "text": "已修复"}, housing)
        case = await _do(
            client,
            case,
            "feedback",
            {"process": "satisfied", "result": "unsatisfied", "comment": "仍有一盏未修"},
            deputy,
        )
        assert case["state"] == "rehandling"
        assert case["round"] == 2
        assert case["clock"] == "rehandling"
        types = await outbox_types(service.runtime.engine, service.runtime.tables.outbox)
        assert types[-2:] == ["cases.case.feedback_given", "cases.case.reopened"]
        assert types.count("cases.case.returned") == 1
        assert types.count("cases.case.assigned") == 2
