"""Activities: joint county-township attendance, corrections, cancellations, the absence rule."""

from __future__ import annotations

import asyncio

import pytest

from deputies.jobs import check_absences
from deputies.testing import bodies
from deputies.testing.api import headers, running_app
from deputies.testing.harness import count, drained, published_all, running_core, settings_for

pytestmark = pytest.mark.integration

TOWN = "990101001"
OTHER = "990101002"
STREET = "990101004"


async def test_joint_activity_correction_and_cancellation(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", "990101")
    staff = headers(settings, "township_staff", TOWN)
    async with running_app(settings, relay=False) as (_, client):
        for code in (TOWN, OTHER, STREET):
            await client.post("/api/v1/townships", json=bodies.township(code), headers=admin)
        local = (
            await client.post("/api/v1/deputies", json=bodies.deputy(TOWN), headers=staff)
        ).json()
        elsewhere = (
            await client.post("/api/v1/deputies", json=bodies.deputy(OTHER), headers=admin)
        ).json()
        county = (
            await client.post("/api/v1/deputies", json=bodies.deputy(STREET), headers=admin)
        ).json()

        joint = bodies.activity(
            TOWN,
            {local["id"]: "present", elsewhere["id"]: "excused", county["id"]: "unexcused_absence"},
            type="law_inspection",
            title="县镇联动执法检查",
            levels=["county", "township"],
        )
        created = await client.post("/api/v1/activities", json=joint, headers=admin)
        assert created.status_code == 201, created.text
        activity = created.json()
        assert {a["deputy_id"]: a["mark"] for a in activity["attendance"]} == {
            local["id"]: "present",
            elsewhere["id"]: "excused",
            county["id"]: "unexcused_absence",
        }
        url = f"/api/v1/activities/{activity['id']}"
        township_only = {"levels": ["township"], "reason": "改为镇级活动"}
        refused = await client.patch(url, json=township_only, headers={**admin, "If-Match": '"1"'})
        assert refused.status_code == 422  # other townships' marks would no longer fit
        mark = await client.put(
            f"{url}/attendance/{local['id']}", json={"mark": "excused"}, headers=staff
        )
        assert mark.status_code == 200, mark.text
        assert {a["deputy_id"]: a["mark"] for a in mark.json()["attendance"]}[local["id"]] == (
            "excused"
        )
        cancelled = await client.post(
            f"{url}/cancel", json={"reason": "重复录入"}, headers={**admin, "If-Match": '"2"'}
        )
        assert cancelled.json()["state"] == "cancelled"
        again = await client.patch(
            url, json={"title": "改", "reason": "更正"}, headers={**admin, "If-Match": '"3"'}
        )
        assert again.status_code == 409


async def test_two_unexcused_session_absences_are_flagged_once(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", "990101")
    staff = headers(settings, "township_staff", TOWN)
    async with running_app(settings) as (service, client):
        await client.post("/api/v1/townships", json=bodies.township(TOWN), headers=admin)
        absent = (
            await client.post("/api/v1/deputies", json=bodies.deputy(TOWN), headers=staff)
        ).json()
        excused = (
            await client.post("/api/v1/deputies", json=bodies.deputy(TOWN), headers=staff)
        ).json()
        for n, day in enumerate(("2026-01-08", "2026-11-20"), start=1):
            session = bodies.activity(
                TOWN,
                {absent["id"]: "unexcused_absence", excused["id"]: "excused"},
                type="congress_session",
                title=f"东湖镇第十八届人民代表大会第{n}次会议",
                held_on=day,
                duration_hours=16,
            )
            assert (
                await client.post("/api/v1/activities", json=session, headers=staff)
            ).status_code == 201
        # Two instances check at the same moment: the unique announcement row lets one win.
        async with running_core(settings, relay=False, migrated=True) as second:
            results = await asyncio.gather(
                check_absences(service.services), check_absences(second.services)
            )
        assert sorted(results) == [0, 1]
        assert await check_absences(service.services) == 0
        assert await count(service.runtime.engine, service.services.tables.termination_flags) == 1
        await drained(service.runtime)
    records = await published_all(topic_prefix)
    flagged = [
        r for r in records if r["envelope"]["type"] == "deputies.mandate.termination_flagged"
    ]
    assert len(flagged) == 1
    assert flagged[0]["key"] == absent["id"]
    assert flagged[0]["envelope"]["data"]["level"] == "township"
    assert len(flagged[0]["envelope"]["data"]["session_activity_ids"]) == 2
