"""Planned activities end to end: plan, reschedule, hold (scoring's event), feeds, documents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any

import pytest
from docx import Document
from icalendar import Calendar
from openpyxl import load_workbook

from deputies.testing import bodies
from deputies.testing.api import headers, running_app
from deputies.testing.harness import drained, published_all, settings_for

pytestmark = pytest.mark.integration

TOWN = "990101001"
OTHER = "990101002"


def _at(days: int, hour: int) -> str:
    """Return a China-time moment ``days`` from today at ``hour`` o'clock, ISO with +08:00."""
    day = (datetime.now(UTC) + timedelta(hours=8)).date() + timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00:00+08:00"


async def test_plan_reschedule_hold_and_what_scoring_reads(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix, county_name="青山县")
    admin = headers(settings, "county_admin", "990101")
    staff = headers(settings, "township_staff", TOWN)
    async with running_app(settings) as (service, client):
        for code in (TOWN, OTHER):
            await client.post("/api/v1/townships", json=bodies.township(code), headers=admin)
        station = (
            await client.post("/api/v1/stations", json=bodies.station(TOWN), headers=staff)
        ).json()
        town_deputies = [
            (await client.post("/api/v1/deputies", json=bodies.deputy(TOWN), headers=staff)).json()
            for _ in range(3)
        ]
        await client.post("/api/v1/deputies", json=bodies.deputy(OTHER), headers=admin)

        body: dict[str, Any] = {
            "township": TOWN,
            "type": "reception_day",
            "title": "十二月代表接待选民日",
            "starts_at": _at(-1, 9),
            "ends_at": _at(-1, 11),
            "station_id": station["id"],
        }
        refused = await client.post(
            "/api/v1/planned-activities", json={**body, "ends_at": _at(-1, 8)}, headers=staff
        )
        assert refused.status_code == 422
        naive = await client.post(
            "/api/v1/planned-activities",
            json={**body, "starts_at": "2026-12-01T09:00:00"},
            headers=staff,
        )
        assert naive.status_code == 422
        created = await client.post("/api/v1/planned-activities", json=body, headers=staff)
        assert created.status_code == 201, created.text
        plan = created.json()
        # nobody named: the town's deputies are expected (none sits at this station)
        assert {e["deputy_id"] for e in plan["expected"]} == {d["id"] for d in town_deputies}
        assert plan["state"] == "planned"
        assert plan["sequence"] == 0
        url = f"/api/v1/planned-activities/{plan['id']}"
        assert (
            await client.post(
                f"{url}/reschedule",
                json={"starts_at": _at(-1, 14), "ends_at": _at(-1, 16), "reason": "改期"},
                headers={**headers(settings, "township_staff", OTHER), "If-Match": '"1"'},
            )
        ).status_code == 403
        moved = await client.post(
            f"{url}/reschedule",
            json={"starts_at": _at(-1, 14), "ends_at": _at(-1, 16), "reason": "与镇党委会冲突"},
            headers={**staff, "If-Match": '"1"'},
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["sequence"] == 1
        assert moved.json()["version"] == 2

        # a calendar app subscribes with a feed token; the deputy to their own calendar
        issued = await client.post(
            "/api/v1/calendar/feed-tokens", json={"kind": "township", "key": TOWN}, headers=staff
        )
        assert issued.status_code == 201, issued.text
        foreign = await client.post(
            "/api/v1/calendar/feed-tokens", json={"kind": "township", "key": OTHER}, headers=staff
        )
        assert foreign.status_code == 403
        feed = await client.get(issued.json()["url"])
        assert feed.status_code == 200
        assert feed.headers["content-type"].startswith("text/calendar")
        parsed = Calendar.from_ical(feed.content)
        events = list(parsed.walk("VEVENT"))
        assert [str(e["UID"]) for e in events] == [f"{plan['id']}@deputies.npc"]
        assert events[0].decoded("SEQUENCE") == 1
        assert events[0].decoded("DTSTART") == datetime.fromisoformat(_at(-1, 14))
        assert str(events[0]["STATUS"]) == "CONFIRMED"
        assert [str(tz["TZID"]) for tz in parsed.walk("VTIMEZONE")] == ["Asia/Shanghai"]
        assert "DTSTART;TZID=Asia/Shanghai:" in feed.text
        tampered = issued.json()["url"].replace(".ics", "x.ics")
        assert (await client.get(tampered)).status_code == 401

        deputy = town_deputies[0]
        own = headers(settings, "deputy", TOWN, deputy_id=deputy["id"])
        mine = await client.get("/api/v1/calendar", params={"from": _at(-3, 0)}, headers=own)
        assert mine.status_code == 200, mine.text
        assert [p["id"] for p in mine.json()["items"]] == [plan["id"]]
        others = await client.get(
            "/api/v1/calendar", params={"deputy_id": town_deputies[1]["id"]}, headers=own
        )
        assert others.status_code == 403
        # the deputy's own feed: their plans only; another's token is theirs to revoke, not ours
        own_feed = await client.post(
            "/api/v1/calendar/feed-tokens",
            json={"kind": "deputy", "key": deputy["id"]},
            headers=own,
        )
        assert own_feed.status_code == 201, own_feed.text
        theirs = Calendar.from_ical((await client.get(own_feed.json()["url"])).content)
        assert [str(e["UID"]) for e in theirs.walk("VEVENT")] == [f"{plan['id']}@deputies.npc"]
        not_mine = await client.post(
            "/api/v1/calendar/feed-tokens",
            json={"kind": "deputy", "key": town_deputies[1]["id"]},
            headers=own,
        )
        assert not_mine.status_code == 403
        assert (
            await client.delete(f"/api/v1/calendar/feed-tokens/{issued.json()['id']}", headers=own)
        ).status_code == 403
        listed = await client.get("/api/v1/calendar/feed-tokens", headers=own)
        assert [t["id"] for t in listed.json()] == [own_feed.json()["id"]]

        # the sign-in sheet: A4, 仿宋 body, 黑体 title, one row per expected deputy, page numbers
        sheet = await client.get(f"{url}/sign-in-sheet", headers=staff)
        assert sheet.status_code == 200, sheet.text
        doc = Document(BytesIO(sheet.content))
        section = doc.sections[0]
        width, height = section.page_width, section.page_height
        assert width is not None
        assert height is not None
        assert (round(width.mm), round(height.mm)) == (210, 297)
        assert doc.styles["Normal"].font.name == "FangSong"
        assert doc.paragraphs[0].text == f"青山县东湖镇{body['title']}签到表"
        title_style = doc.paragraphs[0].style
        assert title_style is not None
        assert title_style.font.name == "SimHei"
        rows = doc.tables[0].rows
        assert [c.text for c in rows[0].cells][:4] == ["序号", "姓名", "所属镇街", "签名"]
        assert sorted(r.cells[1].text for r in rows[1:4]) == sorted(
            d["name"] for d in town_deputies
        )
        assert "PAGE" in section.footer.paragraphs[0]._p.xml

        # held: the activity of the same id is logged with its attendance
        marks = [
            {"deputy_id": town_deputies[0]["id"], "mark": "present"},
            {"deputy_id": town_deputies[1]["id"], "mark": "excused"},
        ]
        done = await client.post(
            f"{url}/held", json={"attendance": marks}, headers={**staff, "If-Match": '"2"'}
        )
        assert done.status_code == 200, done.text
        assert done.json()["state"] == "held"
        logged = (await client.get(f"/api/v1/activities/{plan['id']}", headers=staff)).json()
        assert logged["held_on"] == _at(-1, 0)[:10]
        assert logged["duration_hours"] == 2
        again = await client.post(
            f"{url}/cancel", json={"reason": "重复"}, headers={**staff, "If-Match": '"3"'}
        )
        assert again.status_code == 409

        export = await client.get(f"{url}/attendance.xlsx", headers=staff)
        assert export.status_code == 200
        ws = load_workbook(BytesIO(export.content))["签到情况"]
        values = [[c.value for c in r] for r in ws.iter_rows(min_row=3)]
        assert sorted(v[4] for v in values) == ["出席", "未登记", "请假"]

        coverage = await client.get(
            "/api/v1/coverage",
            params={"township": TOWN, "from": _at(-30, 0)[:10], "to": _at(0, 0)[:10]},
            headers=staff,
        )
        assert coverage.status_code == 200, coverage.text
        by_id = {r["deputy_id"]: r for r in coverage.json()["items"]}
        assert by_id[town_deputies[0]["id"]]["present"] == 1
        assert by_id[town_deputies[1]["id"]]["excused"] == 1
        assert coverage.json()["untrained"] == 3
        xlsx = await client.get(
            "/api/v1/coverage.xlsx",
            params={"township": TOWN, "from": _at(-30, 0)[:10], "to": _at(0, 0)[:10]},
            headers=staff,
        )
        summary = load_workbook(BytesIO(xlsx.content))["履职参与"]
        assert summary.max_row == 4
        assert summary["G2"].value == "否"

        # a second plan, cancelled: STATUS:CANCELLED in the feed; a revoked token opens nothing
        other_plan = (
            await client.post(
                "/api/v1/planned-activities",
                json={
                    **body,
                    "title": "代表培训",
                    "type": "training",
                    "station_id": None,
                    "address": "镇政府三楼会议室",
                    "starts_at": _at(5, 9),
                    "ends_at": _at(5, 17),
                },
                headers=staff,
            )
        ).json()
        cancelled = await client.post(
            f"/api/v1/planned-activities/{other_plan['id']}/cancel",
            json={"reason": "培训教材未到"},
            headers={**staff, "If-Match": '"1"'},
        )
        assert cancelled.status_code == 200
        assert cancelled.json()["sequence"] == 1
        feed = await client.get(issued.json()["url"])
        status = {
            str(e["UID"]).split("@")[0]: str(e["STATUS"])
            for e in Calendar.from_ical(feed.content).walk("VEVENT")
        }
        assert status == {plan["id"]: "CONFIRMED", other_plan["id"]: "CANCELLED"}
        assert (
            await client.delete(
                f"/api/v1/calendar/feed-tokens/{issued.json()['id']}", headers=staff
            )
        ).status_code == 204
        assert (await client.get(issued.json()["url"])).status_code == 401
        refusals = service.runtime.registry.get_sample_value(
            "kit_http_refusals_total", {"service": "deputies", "reason": "invalid_token"}
        )
        assert refusals == 2
        await drained(service.runtime)

    records = await published_all(topic_prefix)
    ours = [r for r in records if r["key"] in {plan["id"], other_plan["id"]}]
    assert [r["envelope"]["type"] for r in ours if r["key"] == plan["id"]] == [
        "deputies.activity.scheduled",
        "deputies.activity.rescheduled",
        "deputies.activity.logged",
    ]
    logged_event = next(r for r in ours if r["envelope"]["type"] == "deputies.activity.logged")
    data = logged_event["envelope"]["data"]
    assert data["activity_id"] == plan["id"]
    assert data["activity_type"] == "reception_day"
    assert {a["deputy_id"]: a["attendance"] for a in data["attendance"]} == {
        m["deputy_id"]: m["mark"] for m in marks
    }
    scheduled = ours[0]["envelope"]["data"]
    assert sorted(scheduled["invited_deputy_ids"]) == sorted(d["id"] for d in town_deputies)
    assert [r["envelope"]["type"] for r in ours if r["key"] == other_plan["id"]] == [
        "deputies.activity.scheduled",
        "deputies.activity.plan_cancelled",
    ]
