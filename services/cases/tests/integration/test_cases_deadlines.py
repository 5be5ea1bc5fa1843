"""Clocks within the law: the assignment deadline is chased, and every deadline is in the case read."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from cases.jobs import chase
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


async def test_the_assignment_deadline_warns_then_names_who_owes_it_once(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    staff = headers(settings, "township_staff", TOWNSHIP)
    async with running_app(settings) as (service, client):
        case = (
            await client.post("/api/v1/suggestions", json=bodies.suggestion(), headers=staff)
        ).json()
        assign_by = date.fromisoformat(case["deadlines"]["assign_by"])
        received = date.fromisoformat(case["received_on"])
        assert case["deadlines"]["due_on"] is None
        svc = service.services
        late = assign_by + timedelta(days=1)
        warned = await chase(svc, received + (assign_by - received) * 3 // 4 + timedelta(days=1))
        assert warned.announced == 1
        assert (await chase(svc, late)).announced == 1
        assert (await chase(svc, late)).announced == 0  # once
        assert (await chase(svc, late + timedelta(days=3))).announced == 0
        records = await published(topic_prefix, expected=3)
        chased = [
            r["envelope"]["data"]
            for r in records
            if r["envelope"]["type"] == "cases.case.assignment_chased"
        ]
        assert [c["notice"] for c in chased] == ["warning", "overdue"]
        assert chased[1]["owed_by"] == TOWNSHIP
        assert chased[1]["assign_by"] == assign_by.isoformat()


async def test_the_case_read_states_every_deadline_the_return_window_too(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix, return_window="5 workdays")
    admin = headers(settings, "county_admin", COUNTY)
    async with running_app(settings, relay=False) as (service, client):
        await client.post("/api/v1/units", json=bodies.unit(), headers=admin)
        case = (
            await client.post("/api/v1/suggestions", json=bodies.suggestion(), headers=admin)
        ).json()
        for path, body in (("accept", {}), ("assign", {"lead_unit_id": "traffic"})):
            response = await client.post(
                f"/api/v1/cases/{case['case_id']}/{path}",
                json=body,
                headers={**admin, "If-Match": f'"{case["version"]}"'},
            )
            assert response.status_code == 200, response.text
            case = response.json()
        deadlines = case["deadlines"]
        assigned_on = date.fromisoformat(case["assigned_on"])
        calendar = service.services.calendar
        assert deadlines["return_by"] == calendar.add(assigned_on, 5).isoformat()
        assert deadlines["assign_by"] is None
        assert deadlines["due_on"] == case["due_on"]
        assert deadlines["outer_limit"] is not None
        assert deadlines["extension_until"] <= deadlines["outer_limit"]
