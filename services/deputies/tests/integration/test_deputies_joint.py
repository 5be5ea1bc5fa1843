"""County and joint (县乡联动) activities: the host decides who logs them, each township keeps
its own deputies' attendance, changing an activity keeps its attendance, flags are withdrawn."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from deputies.jobs import check_absences
from deputies.testing import bodies
from deputies.testing.api import headers, running_app
from deputies.testing.harness import outbox_types, published, settings_for
from kit import clock

pytestmark = pytest.mark.integration

COUNTY = "990101"
TOWN = "990101001"
OTHER = "990101002"


async def _deputy(client: httpx.AsyncClient, auth: dict[str, str], code: str, **extra: Any) -> str:
    response = await client.post(
        "/api/v1/deputies", json=bodies.deputy(code, **extra), headers=auth
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _marks(item: dict[str, Any]) -> dict[str, str]:
    return {a["deputy_id"]: a["mark"] for a in item["attendance"]}


async def test_county_and_joint_activities_are_kept_by_host_and_each_township(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    staff = headers(settings, "township_staff", TOWN)
    other_staff = headers(settings, "township_staff", OTHER)
    async with running_app(settings) as (service, client):
        for code in (TOWN, OTHER):
            await client.post("/api/v1/townships", json=bodies.township(code), headers=admin)
        mine = await _deputy(client, staff, TOWN)
        theirs = await _deputy(client, admin, OTHER)
        theirs_county = await _deputy(client, admin, OTHER, levels=["county", "township"])

        # A town's staff cannot log a county session nor a joint activity, even for the town.
        session = bodies.activity(
            TOWN,
            {},
            type="congress_session",
            title="青山县第十八届人民代表大会第三次会议",
            levels=["county"],
            held_on="2026-02-10",
            duration_hours=16,
        )
        assert (
            await client.post("/api/v1/activities", json=session, headers=staff)
        ).status_code == 403
        joint = bodies.activity(
            TOWN,
            {},
            type="law_inspection",
            title="县镇联动执法检查",
            levels=["county", "township"],
            participants=[TOWN, OTHER],
        )
        assert (
            await client.post("/api/v1/activities", json=joint, headers=staff)
        ).status_code == 403

        # The county hosts the joint activity; both townships see it.
        created = await client.post("/api/v1/activities", json=joint, headers=admin)
        assert created.status_code == 201, created.text
        activity = created.json()
        assert activity["host"] == COUNTY
        assert activity["participating_townships"] == [TOWN, OTHER]
        url = f"/api/v1/activities/{activity['id']}"
        for auth in (staff, other_staff):
            assert (await client.get(url, headers=auth)).status_code == 200
            listed = (await client.get("/api/v1/activities", headers=auth)).json()
            assert [i["id"] for i in listed["items"]] == [activity["id"]]

        # Each township records its own deputies; the host township cannot overwrite the other's.
        ok = await client.put(f"{url}/attendance/{mine}", json={"mark": "present"}, headers=staff)
        assert ok.status_code == 200, ok.text
        ok = await client.put(
            f"{url}/attendance/{theirs}", json={"mark": "excused"}, headers=other_staff
        )
        assert ok.status_code == 200, ok.text
        overwrite = await client.put(
            f"{url}/attendance/{theirs}", json={"mark": "unexcused_absence"}, headers=staff
        )
        assert overwrite.status_code == 403
        ok = await client.put(
            f"{url}/attendance/{theirs_county}", json={"mark": "present"}, headers=admin
        )
        assert ok.status_code == 200
        corrected = await client.put(
            f"{url}/attendance/{theirs_county}", json={"mark": "excused"}, headers=other_staff
        )
        assert corrected.status_code == 200
        version = corrected.json()["version"]
        assert _marks(corrected.json()) == {
            mine: "present",
            theirs: "excused",
            theirs_county: "excused",
        }

        # A PATCH of the title keeps every mark; a township cannot PATCH the county's activity.
        refused = await client.patch(
            url,
            json={"title": "改", "reason": "错字"},
            headers={**staff, "If-Match": f'"{version}"'},
        )
        assert refused.status_code == 403
        patched = await client.patch(
            url,
            json={"title": "县镇联动执法检查（食品安全）", "reason": "标题更正"},
            headers={**admin, "If-Match": f'"{version}"'},
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["title"] == "县镇联动执法检查（食品安全）"
        assert _marks(patched.json()) == _marks(corrected.json())

        # Present on a day still to come, a deputy twice, the same activity twice: refused.
        tomorrow = (clock.today() + timedelta(days=1)).isoformat()
        future = bodies.activity(TOWN, {mine: "present"}, held_on=tomorrow, title="明日视察")
        answer = await client.post("/api/v1/activities", json=future, headers=staff)
        assert answer.status_code == 422
        assert "has not come" in answer.text
        twice = bodies.activity(TOWN, {mine: "present"})
        twice["attendance"].append({"deputy_id": mine, "mark": "excused"})
        assert (
            await client.post("/api/v1/activities", json=twice, headers=staff)
        ).status_code == 422
        once = bodies.activity(TOWN, {mine: "present"}, title="重复提交的视察")
        assert (
            await client.post("/api/v1/activities", json=once, headers=staff)
        ).status_code == 201
        again = await client.post("/api/v1/activities", json=once, headers=staff)
        assert again.status_code == 409
        decades = bodies.activity(TOWN, {}, held_on="2062-05-12", title="远期")
        assert (
            await client.post("/api/v1/activities", json=decades, headers=staff)
        ).status_code == 422

        types = await outbox_types(service.runtime.engine, service.runtime.tables.outbox)
        records = await published(topic_prefix, expected=len(types))  # the relay still runs
    assert len(records) == len(types)
    of_activity = [r["envelope"] for r in records if r["key"] == activity["id"]]
    assert [e["type"] for e in of_activity] == [
        "deputies.activity.logged",
        "deputies.attendance.recorded",
        "deputies.attendance.recorded",
        "deputies.attendance.recorded",
        "deputies.attendance.corrected",
        "deputies.activity.corrected",
    ]
    correction = of_activity[4]["data"]
    assert correction["deputy_id"] == theirs_county
    assert correction["previous_attendance"] == "present"
    assert correction["attendance"] == "excused"
    assert correction["township"] == OTHER
    assert len(of_activity[5]["data"]["attendance"]) == 3


async def test_a_flag_whose_session_is_cancelled_is_withdrawn_and_only_own_congress_counts(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    staff = headers(settings, "township_staff", TOWN)
    other_staff = headers(settings, "township_staff", OTHER)
    async with running_app(settings) as (service, client):
        for code in (TOWN, OTHER):
            await client.post("/api/v1/townships", json=bodies.township(code), headers=admin)
        county_deputy = await _deputy(client, admin, OTHER, levels=["county"])
        county_only_here = await _deputy(client, admin, TOWN, levels=["county"])
        leaving = await _deputy(client, staff, TOWN)
        corrected = await _deputy(client, staff, TOWN)
        sessions = []
        town_sessions = []
        for n, day in enumerate(("2026-01-08", "2026-03-20"), start=1):
            body = bodies.activity(
                OTHER,
                {},
                type="congress_session",
                title=f"青山县第十八届人民代表大会第{n}次会议",
                levels=["county"],
                held_on=day,
                duration_hours=16,
            )
            created = await client.post("/api/v1/activities", json=body, headers=admin)
            assert created.status_code == 201, created.text
            sessions.append(created.json()["id"])
            # The deputy's own township records the absence; another town's staff may not.
            url = f"/api/v1/activities/{sessions[-1]}/attendance/{county_deputy}"
            mark = {"mark": "unexcused_absence"}
            assert (await client.put(url, json=mark, headers=staff)).status_code == 403
            assert (await client.put(url, json=mark, headers=other_staff)).status_code == 200
            # A county-only deputy absent at the town's own sessions holds no township mandate.
            absent = {county_only_here: "unexcused_absence", leaving: "unexcused_absence"}
            town_session = bodies.activity(
                TOWN,
                {**absent, corrected: "unexcused_absence"},
                type="congress_session",
                title=f"东湖镇第十八届人民代表大会第{n}次会议",
                held_on=day,
                duration_hours=8,
            )
            answer = await client.post("/api/v1/activities", json=town_session, headers=staff)
            assert answer.status_code == 201, answer.text
            town_sessions.append(answer.json()["id"])

        # Flagged: the county deputy and two town deputies (not the county-only one in town).
        assert await check_absences(service.services) == 3
        assert await check_absences(service.services) == 0
        cancelled = await client.post(
            f"/api/v1/activities/{sessions[1]}/cancel",
            json={"reason": "重复录入"},
            headers={**admin, "If-Match": '"2"'},
        )
        assert cancelled.status_code == 200, cancelled.text
        excused = await client.put(
            f"/api/v1/activities/{town_sessions[0]}/attendance/{corrected}",
            json={"mark": "excused"},
            headers=staff,
        )
        assert excused.status_code == 200, excused.text
        ended = await client.post(
            f"/api/v1/deputies/{leaving}/status",
            json={"status": "terminated", "reason": "absence", "effective_date": "2026-04-01"},
            headers={**staff, "If-Match": '"1"'},
        )
        assert ended.status_code == 200, ended.text
        # Withdrawn: the cancelled session's and the corrected mark's; the ended mandate's stays.
        assert await check_absences(service.services) == 2
        assert await check_absences(service.services) == 0
        types = await outbox_types(service.runtime.engine, service.runtime.tables.outbox)
        records = await published(topic_prefix, expected=len(types))  # the relay still runs
    assert len(records) == len(types)
    flags = [
        r["envelope"] for r in records if r["envelope"]["type"].startswith("deputies.mandate.")
    ]
    assert sorted((f["data"]["deputy_id"], f["type"]) for f in flags) == sorted(
        [
            (county_deputy, "deputies.mandate.termination_flagged"),
            (county_deputy, "deputies.mandate.termination_flag_withdrawn"),
            (leaving, "deputies.mandate.termination_flagged"),
            (corrected, "deputies.mandate.termination_flagged"),
            (corrected, "deputies.mandate.termination_flag_withdrawn"),
        ]
    )
    flagged, withdrawn = [f for f in flags if f["data"]["deputy_id"] == county_deputy]
    assert flagged["data"]["deputy_id"] == county_deputy
    assert flagged["data"]["level"] == "county"
    assert withdrawn["data"]["flag_event_id"] == flagged["id"]
    assert withdrawn["data"]["session_activity_ids"] == sorted(sessions)
    assert withdrawn["data"]["remaining_session_activity_ids"] == [sessions[0]]


async def test_a_county_hosted_activity_needs_no_town_and_every_participant_lists_it(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    staff = headers(settings, "township_staff", TOWN)
    other_staff = headers(settings, "township_staff", OTHER)
    third = "990101003"
    third_staff = headers(settings, "township_staff", third)
    async with running_app(settings) as (service, client):
        for code in (TOWN, OTHER, third):
            await client.post("/api/v1/townships", json=bodies.township(code), headers=admin)
        theirs = await _deputy(client, admin, OTHER, levels=["county", "township"])
        body = bodies.activity(
            TOWN,
            {},
            type="law_inspection",
            title="全县食品安全执法检查",
            levels=["county", "township"],
            participants=[OTHER, TOWN],
        )
        del body["township"]
        body["host"] = COUNTY
        assert (
            await client.post("/api/v1/activities", json=body, headers=staff)
        ).status_code == 403
        alone = {**body, "participants": []}
        refused = await client.post("/api/v1/activities", json=alone, headers=admin)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["loc"][-1] == "participants"
        as_town = {**body, "levels": ["township"], "host": COUNTY}
        assert (
            await client.post("/api/v1/activities", json=as_town, headers=admin)
        ).status_code == 422
        created = await client.post("/api/v1/activities", json=body, headers=admin)
        assert created.status_code == 201, created.text
        activity = created.json()
        assert (activity["host"], activity["township"]) == (COUNTY, None)
        assert activity["participating_townships"] == [TOWN, OTHER]

        # Both participants list and read it before any of their deputies has a mark.
        url = f"/api/v1/activities/{activity['id']}"
        for auth in (staff, other_staff):
            listed = (await client.get("/api/v1/activities", headers=auth)).json()
            assert [i["id"] for i in listed["items"]] == [activity["id"]]
            assert (await client.get(url, headers=auth)).status_code == 200
        assert (await client.get(url, headers=third_staff)).status_code == 403
        nothing = (await client.get("/api/v1/activities", headers=third_staff)).json()
        assert nothing["items"] == []
        ok = await client.put(
            f"{url}/attendance/{theirs}", json={"mark": "present"}, headers=other_staff
        )
        assert ok.status_code == 200, ok.text
        types = await outbox_types(service.runtime.engine, service.runtime.tables.outbox)
        records = await published(topic_prefix, expected=len(types))  # the relay still runs
    assert len(records) == len(types)
    logged = [
        r["envelope"]
        for r in records
        if r["key"] == activity["id"] and r["envelope"]["type"] == "deputies.activity.logged"
    ]
    assert len(logged) == 1
    assert logged[0]["township"] == COUNTY  # the envelope's scope is the host
    assert logged[0]["data"]["host"] == COUNTY
    assert logged[0]["data"]["township"] == TOWN  # the contract's 9 digits: first participant
    assert logged[0]["data"]["participating_townships"] == [TOWN, OTHER]
