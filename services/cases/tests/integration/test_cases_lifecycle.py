"""A suggestion from filing to solved, over HTTP, with its events on Kafka keyed by case id."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cases.testing import bodies
from cases.testing.harness import (
    COUNTY,
    TOWNSHIP,
    count,
    headers,
    published,
    running_app,
    settings_for,
)

pytestmark = pytest.mark.integration


async def _post(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], auth: dict[str, str], version: int
) -> dict[str, Any]:
    response = await client.post(path, json=body, headers={**auth, "If-Match": f'"{version}"'})
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == f'"{response.json()["version"]}"'
    result: dict[str, Any] = response.json()
    return result


async def test_a_suggestion_goes_from_filing_to_solved(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    staff = headers(settings, "township_staff", TOWNSHIP)
    deputy = headers(settings, "deputy", TOWNSHIP, deputy_id="dep-1")
    unit = headers(settings, "handling_unit", COUNTY, unit_id="traffic")
    leader = headers(settings, "county_leader", COUNTY)
    async with running_app(settings) as (service, client):
        for unit_id, name in bodies.UNITS:
            created = await client.post(
                "/api/v1/units", json=bodies.unit(unit_id, name), headers=admin
            )
            assert created.status_code == 201, created.text

        body = bodies.suggestion("dep-1", co=("dep-2",))
        key = {"Idempotency-Key": "filing-1"}
        first = await client.post("/api/v1/suggestions", json=body, headers={**deputy, **key})
        assert first.status_code == 201, first.text
        again = await client.post("/api/v1/suggestions", json=body, headers={**deputy, **key})
        assert again.json()["case_id"] == first.json()["case_id"]  # a retried key files once
        case = first.json()
        case_id = case["case_id"]
        assert case["state"] == "received"
        assert case["deputy_ids"] == ["dep-1", "dep-2"]
        assert "accept" in case["allowed_actions"]

        case = await _post(client, f"/api/v1/cases/{case_id}/accept", {}, staff, case["version"])
        case = await _post(
            client,
            f"/api/v1/cases/{case_id}/assign",
            {"lead_unit_id": "traffic", "co_unit_ids": ["water"]},
            admin,
            case["version"],
        )
        assert case["state"] == "assigned"
        assert case["due_on"] is not None
        co_unit = headers(settings, "handling_unit", COUNTY, unit_id="water")
        for auth, expected in (
            (
                admin,
                ["designate_key_chase", "extend", "reply", "return"],
            ),  # key chase: for a leader
            (leader, ["designate_key_chase", "extend"]),
            (unit, ["apply_extension", "reply", "return"]),
            (co_unit, ["co_opinion", "return"]),
            (deputy, []),
        ):
            seen = (await client.get(f"/api/v1/cases/{case_id}", headers=auth)).json()
            assert seen["your_actions"] == expected, (auth, seen["your_actions"])
        case = await _post(
            client,
            f"/api/v1/cases/{case_id}/key-chase",
            {"comment": "重点"},
            leader,
            case["version"],
        )
        assert case["key_chase"] is True
        mine = await client.get("/api/v1/cases", headers=unit)
        assert [c["case_id"] for c in mine.json()["items"]] == [case_id]
        case = await _post(
            client,
            f"/api/v1/cases/{case_id}/reply",
            {
                "reply_class": "B",
                "text": "已列入明年道路改造计划，年内完成设计。",
                "co_opinions": [{"unit_id": "water", "text": "配合完善排水。"}],
                "follow_up_due_on": "2027-06-30",
            },
            unit,
            case["version"],
        )
        assert case["state"] == "replied"
        case = await _post(
            client,
            f"/api/v1/cases/{case_id}/feedback",
            {"process": "satisfied", "result": "basically_satisfied"},
            deputy,
            case["version"],
        )
        assert case["state"] == "follow_up"
        assert case["solved"] is False  # B is being solved, not solved
        case = await _post(
            client,
            f"/api/v1/cases/{case_id}/resolve",
            {"comment": "道路已拓宽"},
            staff,
            case["version"],
        )
        assert case["state"] == "closed"
        assert case["solved"] is True

        steps = (await client.get(f"/api/v1/cases/{case_id}/timeline", headers=deputy)).json()
        assert [s["action"] for s in steps] == [
            "receive",
            "accept",
            "assign",
            "designate_key_chase",
            "reply",
            "feedback",
            "resolve",
        ]
        assert steps[2]["actor"].startswith("county_admin")
        assert [s["seq"] for s in steps] == list(range(1, 8))

        records = await published(topic_prefix, expected=7)
        assert {r["key"] for r in records} == {case_id}
        assert [r["envelope"]["type"] for r in records] == [
            "cases.suggestion.submitted",
            "cases.case.triaged",
            "cases.case.assigned",
            "cases.case.key_chase_designated",
            "cases.case.replied",
            "cases.case.feedback_given",
            "cases.case.closed",
        ]
        closed = records[-1]["envelope"]["data"]
        assert closed["solved"] is True
        assert closed["deputy_ids"] == ["dep-1", "dep-2"]
        audit = service.runtime.tables.audit_log
        assert await count(service.runtime.engine, audit, audit.c.resource_id == case_id) >= 7
