"""The cross-service flows of one county, on the four services as processes (one set per module).

Everything is done through the public APIs and observed through the APIs and the topics, as a
person or an outside subscriber would: (a) a reception day's opinions and a suggestion go to a
unit, turn overdue (warning and overdue on cases.events), are replied to and rated, and show as
points on the deputy's score card and as an e-mail at the SMTP sink and an in-app inbox item;
(b) activities and manuscripts become points and the township assessment; (c) a roster change
reaches cases (filings taken, then refused), scoring (a card in the deputy's township) and
notify's directory (listed; an approved new phone supersedes the one notify had; then inactive).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from four_services import Running, four_services, logs_dir

from contracts import topics
from county.api import Platform
from kit.clock import today
from kit.principal import Role
from kit.testing import wait_until

pytestmark = pytest.mark.integration
COUNTY = "990101"
YEAR = today().year
JULY = date(YEAR, 7, 15)


@pytest.fixture(scope="module")
async def platform() -> AsyncIterator[Running]:
    """Start the four services once for the module's flows, notify's sender apart as deployed."""
    async with four_services(logs_dir(), notify_sender_process=True) as running:
        yield running


def admin(api: Platform) -> str:
    """Return a county_admin token."""
    return api.token(Role.county_admin, COUNTY, who="e2e-admin")


async def township(api: Platform, code: str, name: str, kind: str = "town") -> str:
    """Register a township with one station; return the station's id."""
    await api.call(
        "deputies",
        "POST",
        "/api/v1/townships",
        admin(api),
        body={"code": code, "name": name, "kind": kind},
    )
    station = await api.call(
        "deputies",
        "POST",
        "/api/v1/stations",
        admin(api),
        body={
            "township": code,
            "name": f"{name}人大代表之家",
            "kind": "home",
            "address": f"青山县{name}",
            "schedule": "每单月15日",
        },
    )
    return str(station.json()["id"])


async def deputy(api: Platform, code: str, name: str, station: str) -> dict[str, Any]:
    """Register a township deputy; return the record."""
    made = await api.call(
        "deputies",
        "POST",
        "/api/v1/deputies",
        admin(api),
        body={
            "township": code,
            "name": name,
            "gender": "female",
            "levels": ["township"],
            "term": 18,
            "elected_on": "2021-12-28",
            "station_id": station,
        },
    )
    return dict(made.json())


def etag(response: Any) -> int:
    """Return the version an ETag names."""
    return int(str(response.headers["etag"]).strip('W/"'))


async def card_points(api: Platform, deputy_id: str) -> dict[str, float]:
    """Points per rule on a deputy's card; empty while scoring has not heard of the deputy."""
    card = await api.call(
        "scoring",
        "GET",
        f"/api/v1/deputies/{deputy_id}/score-card",
        admin(api),
        params={"year": YEAR},
        ok=(200, 404),
    )
    if card.status_code == 404:
        return {}
    return {str(line["rule_id"]): float(line["points"]) for line in card.json()["lines"]}


async def known_to_notify(api: Platform, deputy_id: str) -> bool:
    """Tell whether notify's directory lists the deputy (from deputies.events)."""
    found = await api.pages("notify", "/api/v1/directory/deputies", admin(api))
    return any(d["id"] == deputy_id for d in found)


async def test_reception_day_to_reply_feedback_points_and_notifications(
    platform: Running,
) -> None:
    town = "990101002"
    async with platform.client() as api:
        station = await township(api, town, "石桥镇")
        lead = await deputy(api, town, "林晓燕", station)
        second = await deputy(api, town, "陈海燕", station)
        unit_token = api.token(Role.handling_unit, COUNTY, who="traffic")
        await api.call(
            "cases",
            "POST",
            "/api/v1/units",
            admin(api),
            body={"unit_id": "traffic", "name": "县交通运输局", "scope": COUNTY},
        )
        await wait_until(lambda: known_to_notify(api, second["id"]), within=60, interval=0.5)
        await api.call(
            "notify",
            "PUT",
            f"/api/v1/recipients/deputy/{lead['id']}/contacts",
            admin(api),
            body={"email": "lead@deputies.example.cn"},
        )
        second_token = api.token(Role.deputy, town, who=second["id"])
        await api.call(
            "notify",
            "PUT",
            "/api/v1/preferences",
            second_token,
            body={"channels": ["in_app"]},
            version=0,
        )
        # the reception day at the station, with the two deputies on duty
        await api.call(
            "deputies",
            "POST",
            "/api/v1/activities",
            admin(api),
            body={
                "township": town,
                "type": "reception_day",
                "title": "石桥镇7月代表接待选民日",
                "levels": ["township"],
                "held_on": JULY.isoformat(),
                "duration_hours": 3,
                "station_id": station,
                "attendance": [
                    {"deputy_id": lead["id"], "mark": "present"},
                    {"deputy_id": second["id"], "mark": "present"},
                ],
            },
            day=JULY,
        )
        staff = api.token(Role.township_staff, town, who="staff")

        async def file_opinion(n: int) -> bool:
            response = await api.call(
                "cases",
                "POST",
                "/api/v1/opinions",
                staff,
                key=f"opinion-{n}",
                day=JULY,
                ok=(201, 422),
                body={
                    "township": town,
                    "title": f"反映石桥村道路积水问题{n}",
                    "content": "来访群众反映：石桥村村道路面坑洼，雨天积水严重。",
                    "category": "交通出行",
                    "receiving_deputy_ids": [lead["id"]],
                    "origin": "reception_day",
                    "station_id": station,
                },
            )
            return response.status_code == 201  # 422 until cases has the roster

        await wait_until(lambda: file_opinion(1), within=60, interval=0.5)
        # an opinion heard three weeks ago, assigned at once: its 30-day clock is past half now
        recent = date.fromordinal(today().toordinal() - 21)
        heard = await api.call(
            "cases",
            "POST",
            "/api/v1/opinions",
            staff,
            day=recent,
            body={
                "township": town,
                "title": "反映枫林村路灯损坏问题",
                "content": "来访群众反映：枫林村主干道路灯损坏多处，夜间出行不便。",
                "category": "交通出行",
                "receiving_deputy_ids": [second["id"]],
                "origin": "deputy",
            },
        )
        opinion_id = heard.json()["case_id"]
        taken = await api.call(
            "cases",
            "POST",
            f"/api/v1/cases/{opinion_id}/accept",
            staff,
            version=etag(heard),
            day=recent,
            body={},
        )
        await api.call(
            "cases",
            "POST",
            f"/api/v1/cases/{opinion_id}/assign",
            staff,
            version=etag(taken),
            day=recent,
            body={"lead_unit_id": "traffic"},
        )
        filed = await api.call(
            "cases",
            "POST",
            "/api/v1/suggestions",
            api.token(Role.deputy, town, who=lead["id"]),
            day=JULY,
            body={
                "township": town,
                "title": "关于石桥村村道拓宽改造的建议",
                "content": "石桥村通往镇区的村道路面狭窄，建议列入农村公路提升改造计划。",
                "category": "交通出行",
                "lead_deputy_id": lead["id"],
                "co_deputy_ids": [second["id"]],
                "level": "township",
                "timing": "between_sessions",
            },
        )
        case_id = filed.json()["case_id"]
        path = f"/api/v1/cases/{case_id}"
        version = etag(await api.call("cases", "GET", path, staff))
        accepted = await api.call(
            "cases",
            "POST",
            f"{path}/accept",
            staff,
            version=version,
            day=date(YEAR, 7, 17),
            body={"comment": "同意受理"},
        )
        assigned = await api.call(
            "cases",
            "POST",
            f"{path}/assign",
            staff,
            version=etag(accepted),
            day=date(YEAR, 7, 20),
            body={"lead_unit_id": "traffic", "comment": "交办"},
        )
        assert assigned.json()["due_on"] < today().isoformat()  # three months on: overdue now

        # the chase scheduler of the cases process finds it late on its own
        async def chased() -> bool:
            seen = {(e["subject"], e["type"]) for e in await platform.events(topics.CASES)}
            return (case_id, "cases.case.overdue") in seen and (
                opinion_id,
                "cases.case.warning",
            ) in seen

        await wait_until(chased, within=60, interval=1)
        overdue = await api.pages("cases", "/api/v1/cases", admin(api), {"overdue": "true"})
        assert case_id in {c["case_id"] for c in overdue}

        replied = await api.call(
            "cases",
            "POST",
            f"{path}/reply",
            unit_token,
            version=etag(await api.call("cases", "GET", path, staff)),
            body={"reply_class": "A", "text": "已办理完毕：村道已拓宽并完善排水边沟。"},
        )
        rated = await api.call(
            "cases",
            "POST",
            f"{path}/feedback",
            api.token(Role.deputy, town, who=lead["id"]),
            version=etag(replied),
            body={"process": "satisfied", "result": "satisfied"},
        )
        assert rated.json()["state"] == "closed"

        # points: the reception day, the suggestion (lead and co-signer), the A reply, the feedback
        async def card_rules(deputy_id: str) -> set[str]:
            return set(await card_points(api, deputy_id))

        async def scored() -> bool:
            rules = await card_rules(lead["id"])
            return any(r.startswith("activity.reception_day") for r in rules) and any(
                r.startswith("suggestion.lead") for r in rules
            )

        await wait_until(scored, within=60, interval=1)
        assert any(r.startswith("suggestion.co_signer") for r in await card_rules(second["id"]))

        # notifications: the reply by e-mail to the lead, in the co-signer's in-app inbox
        def mailed() -> bool:
            return any("lead@deputies.example.cn" in str(m["To"]) for m in platform.sink.received())

        async def mailed_async() -> bool:
            return mailed()

        await wait_until(mailed_async, within=60, interval=0.5)

        async def in_inbox() -> bool:
            inbox = await api.get("notify", "/api/v1/inbox", second_token)
            return any(i["event_type"] == "cases.case.replied" for i in inbox["items"])

        await wait_until(in_inbox, within=60, interval=0.5)

        async def both_announced() -> bool:
            # notification.sent follows the send: it is marked, then relayed, after the sink has it
            sent = [
                e
                for e in await platform.events(topics.NOTIFY)
                if e["type"] == "notify.notification.sent"
            ]
            return {"email", "in_app"} <= {e["data"]["channel"] for e in sent}

        await wait_until(both_announced, within=60, interval=0.5)


async def test_activities_and_manuscripts_to_points_and_assessment(platform: Running) -> None:
    town = "990101003"
    async with platform.client() as api:
        station = await township(api, town, "柳溪镇")
        people = [await deputy(api, town, name, station) for name in ("周建国", "吴秀英", "郑志强")]
        staff = api.token(Role.township_staff, town, who="staff")
        await api.call(
            "deputies",
            "POST",
            "/api/v1/activities",
            staff,
            body={
                "township": town,
                "type": "inspection",
                "title": "柳溪镇农村公路养护专题视察",
                "levels": ["township"],
                "held_on": date(YEAR, 5, 12).isoformat(),
                "duration_hours": 4,
                "attendance": [
                    {"deputy_id": people[0]["id"], "mark": "present"},
                    {"deputy_id": people[1]["id"], "mark": "present"},
                    {"deputy_id": people[2]["id"], "mark": "unexcused_absence"},
                ],
            },
        )
        written = await api.call(
            "deputies",
            "POST",
            "/api/v1/manuscripts",
            staff,
            body={
                "township": town,
                "title": "柳溪镇人大开展农村公路养护专题视察",
                "author": "通讯员",
                "submitted_on": date(YEAR, 5, 13).isoformat(),
            },
        )
        await api.call(
            "deputies",
            "POST",
            f"/api/v1/manuscripts/{written.json()['id']}/publish",
            staff,
            body={
                "outlet": "省日报",
                "outlet_level": "provincial",
                "placement": "single",
                "published_on": date(YEAR, 5, 20).isoformat(),
                "evidence_url": "https://news.example.cn/liuxi/1",
            },
        )
        await api.call(
            "deputies",
            "POST",
            "/api/v1/highlights",
            staff,
            body={
                "township": town,
                "year": YEAR,
                "title": "柳溪镇“代表进网格”",
                "summary": "代表联系网格全覆盖。",
            },
        )

        async def points(deputy_id: str) -> dict[str, float]:
            return await card_points(api, deputy_id)

        async def inspected() -> bool:
            present, absent = await points(people[0]["id"]), await points(people[2]["id"])
            return "activity.inspection.present" in present and any(
                v < 0 for k, v in absent.items() if k.startswith("activity.inspection")
            )

        await wait_until(inspected, within=60, interval=1)

        async def assessed() -> dict[str, Any] | None:
            found = await api.call(
                "scoring",
                "GET",
                f"/api/v1/townships/{town}/assessment",
                admin(api),
                params={"year": YEAR},
                ok=(200, 404),
            )
            if found.status_code != 200:
                return None
            lines = {
                line["measure_id"]: line
                for dimension in found.json()["dimensions"]
                for line in dimension["lines"]
            }
            if float(lines["manuscripts"]["value"]) <= 0 or float(lines["highlight"]["value"]) < 1:
                return None
            return lines

        async def ready() -> bool:
            return await assessed() is not None

        await wait_until(ready, within=60, interval=1)
        lines = await assessed()
        assert lines is not None
        assert float(lines["manuscripts"]["value"]) == 10  # provincial, single: 10 points
        assert float(lines["activities"]["value"]) >= 1


async def test_a_roster_change_reaches_every_projection(platform: Running) -> None:
    town = "990101004"
    async with platform.client() as api:
        station = await township(api, town, "城关街道", kind="subdistrict")
        leaving = await api.call(
            "deputies",
            "POST",
            "/api/v1/deputies",
            admin(api),
            body={
                "township": town,
                "name": "何志远",
                "gender": "male",
                "levels": ["county"],
                "term": 18,
                "elected_on": "2021-12-28",
                "station_id": station,
            },
        )
        person = leaving.json()
        resident = api.token(Role.deputy, town, who=person["id"])
        suggestion = {
            "township": town,
            "title": "关于城东社区停车难的建议",
            "content": "城东社区停车位不足，建议挖潜增设公共停车位。",
            "category": "城乡建设",
            "lead_deputy_id": person["id"],
            "level": "county",
        }

        async def files(expected: int) -> bool:
            response = await api.call(
                "cases", "POST", "/api/v1/suggestions", resident, body=suggestion, ok=(201, 422)
            )
            return response.status_code == expected and (
                expected == 201 or "mandate_ended" in response.text
            )

        # every projection learns the deputy: cases takes their filing, scoring has a card,
        # notify lists them
        await wait_until(lambda: files(201), within=60, interval=0.5)
        await wait_until(lambda: known_to_notify(api, person["id"]), within=60, interval=0.5)

        async def scored_in_town() -> bool:
            card = await api.call(
                "scoring",
                "GET",
                f"/api/v1/deputies/{person['id']}/score-card",
                admin(api),
                params={"year": YEAR},
                ok=(200, 404),
            )
            return card.status_code == 200 and card.json()["township"] == town

        await wait_until(scored_in_town, within=60, interval=0.5)

        # notify has the deputy's phone; the deputy proposes a new one and the county approves
        # it: the roster's event names the field, never the number, and notify stops texting
        # the old number and lists the deputy to re-enter
        await api.call(
            "notify",
            "PUT",
            f"/api/v1/recipients/deputy/{person['id']}/contacts",
            admin(api),
            body={"sms": "13800001234"},
        )
        proposed = await api.call(
            "deputies",
            "POST",
            f"/api/v1/deputies/{person['id']}/contact-proposals",
            resident,
            version=etag(leaving),
            body={"phone": "13900005678"},
        )
        approved = await api.call(
            "deputies",
            "POST",
            f"/api/v1/contact-proposals/{proposed.json()['id']}/approve",
            admin(api),
        )

        async def superseded() -> list[str]:
            found = await api.pages(
                "notify", "/api/v1/directory/deputies", admin(api), {"superseded": "true"}
            )
            return [s for d in found if d["id"] == person["id"] for s in d["superseded"]]

        async def listed() -> bool:
            return bool(await superseded())

        await wait_until(listed, within=60, interval=0.5)
        assert await superseded() == ["sms"]

        ended = await api.call(
            "deputies",
            "POST",
            f"/api/v1/deputies/{person['id']}/status",
            admin(api),
            version=etag(approved),
            body={
                "status": "terminated",
                "reason": "moved_out",
                "effective_date": date(YEAR, 3, 1).isoformat(),
            },
        )
        assert ended.json()["status"] == "terminated"
        # then the mandate's end: cases refuses their filings, notify marks them inactive
        await wait_until(lambda: files(422), within=60, interval=0.5)

        async def notify_inactive() -> bool:
            found = await api.pages("notify", "/api/v1/directory/deputies", admin(api))
            return any(d["id"] == person["id"] and not d["active"] for d in found)

        await wait_until(notify_inactive, within=60, interval=0.5)
        statuses = [
            e
            for e in await platform.events(topics.DEPUTIES)
            if e["subject"] == person["id"] and e["type"].startswith("deputies.deputy.")
        ]
        assert len(statuses) >= 2  # registered, then the mandate ended
