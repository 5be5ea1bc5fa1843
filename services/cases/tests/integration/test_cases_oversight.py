"""Supervision topics, the 人大代表之声 digest with instructions, and statistics, over HTTP."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import docx
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
from kit.clock import today as china_today

pytestmark = pytest.mark.integration
SOONER = (china_today() + timedelta(days=200)).isoformat()
LATER = (china_today() + timedelta(days=400)).isoformat()


async def _do(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], auth: Any, version: int
) -> dict[str, Any]:
    response = await client.post(path, json=body, headers={**auth, "If-Match": f'"{version}"'})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_topic_from_a_cluster_of_cases_is_rectified_voted_and_closed(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    staff = headers(settings, "township_staff", TOWNSHIP)
    deputy = headers(settings, "deputy", TOWNSHIP, deputy_id="dep-1")
    unit = headers(settings, "handling_unit", COUNTY, unit_id="water")
    async with running_app(settings, relay=False) as (service, client):
        for unit_id, name in bodies.UNITS:
            await client.post("/api/v1/units", json=bodies.unit(unit_id, name), headers=admin)
        case = (
            await client.post("/api/v1/suggestions", json=bodies.suggestion(), headers=deputy)
        ).json()
        body: dict[str, Any] = {
            "township": TOWNSHIP,
            "title": "农村饮用水安全",
            "origin": "case_cluster",
            "year": 2026,
            "case_ids": [case["case_id"]],
            "problems": ["部分村庄水压不足", "水质检测不及时"],
            "measures": [
                {
                    "description": "改造供水管网",
                    "owner_unit_id": "water",
                    "due_on": LATER,
                    "weight": 3,
                },
                {"description": "每月水质检测", "owner_unit_id": "water", "due_on": SOONER},
            ],
        }
        bad = await client.post(
            "/api/v1/topics",
            json={**body, "measures": [{**body["measures"][0], "owner_unit_id": "ghost"}]},
            headers=staff,
        )
        assert bad.status_code == 422
        assert "owner_unit_id" in bad.text
        assert (await client.post("/api/v1/topics", json=body, headers=unit)).status_code == 403
        created = await client.post("/api/v1/topics", json=body, headers=staff)
        assert created.status_code == 201, created.text
        topic = created.json()
        path = f"/api/v1/topics/{topic['topic_id']}"
        assert topic["progress"] == 0
        first, second = (m["measure_id"] for m in topic["measures"])
        topic = await _do(
            client,
            f"{path}/followups",
            {"measure_id": first, "status": "in_progress", "note": "开工"},
            staff,
            topic["version"],
        )
        assert topic["progress"] == round(3 * 50 / 4)
        early = await client.post(
            f"{path}/report",
            json={"text": "整改报告"},
            headers={**staff, "If-Match": f'"{topic["version"]}"'},
        )
        assert early.status_code == 422  # measures not done yet
        for measure in (first, second):
            topic = await _do(
                client,
                f"{path}/followups",
                {"measure_id": measure, "status": "done"},
                staff,
                topic["version"],
            )
        assert topic["progress"] == 100
        topic = await _do(
            client, f"{path}/report", {"text": "整改报告：已完成"}, staff, topic["version"]
        )
        topic = await _do(
            client,
            f"{path}/votes",
            {"satisfied": 3, "basically_satisfied": 1, "unsatisfied": 5},
            staff,
            topic["version"],
        )
        assert topic["state"] == "open"  # failed: the report goes back
        topic = await _do(
            client, f"{path}/report", {"text": "整改报告（修订）"}, staff, topic["version"]
        )
        topic = await _do(
            client,
            f"{path}/votes",
            {"satisfied": 7, "basically_satisfied": 1, "unsatisfied": 1},
            staff,
            topic["version"],
        )
        topic = await _do(client, f"{path}/close", {}, staff, topic["version"])
        assert topic["state"] == "closed"
        assert topic["rectified"] is True
        seen = (await client.get(path, headers=deputy)).json()
        assert seen["state"] == "closed"
        types = await outbox_types(service.runtime.engine, service.runtime.tables.outbox)
        assert types.count("cases.supervision.topic_opened") == 1
        assert types.count("cases.supervision.followup_logged") == 3
        assert types[-1] == "cases.supervision.topic_closed"


async def test_digest_counts_renders_and_instructions_become_follow_up(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    leader = headers(settings, "county_leader", COUNTY)
    staff = headers(settings, "township_staff", TOWNSHIP)
    deputy = headers(settings, "deputy", TOWNSHIP, deputy_id="dep-1")
    unit = headers(settings, "handling_unit", COUNTY, unit_id="traffic")
    async with running_app(settings, relay=False) as (service, client):
        await client.post("/api/v1/units", json=bodies.unit(), headers=admin)
        ids = []
        for i, category in enumerate(("交通", "交通", "教育")):
            body = bodies.suggestion("dep-1", title=f"建议{i}", category=category)
            case = (await client.post("/api/v1/suggestions", json=body, headers=deputy)).json()
            case = await _do(
                client, f"/api/v1/cases/{case['case_id']}/accept", {}, staff, case["version"]
            )
            case = await _do(
                client,
                f"/api/v1/cases/{case['case_id']}/assign",
                {"lead_unit_id": "traffic"},
                admin,
                case["version"],
            )
            ids.append(case)
        done = await _do(
            client,
            f"/api/v1/cases/{ids[0]['case_id']}/reply",
            {"reply_class": "A", "text": "已完成"},
            unit,
            ids[0]["version"],
        )
        done = await _do(
            client,
            f"/api/v1/cases/{done['case_id']}/feedback",
            {"process": "satisfied", "result": "satisfied"},
            deputy,
            done["version"],
        )
        assert done["state"] == "closed"
        today = china_today()
        request = {
            "scope": COUNTY,
            "period_start": (today - timedelta(days=30)).isoformat(),
            "period_end": (today + timedelta(days=1)).isoformat(),
            "title": "人大代表之声 2026年第1期",
        }
        assert (
            await client.post("/api/v1/digests", json=request, headers=staff)
        ).status_code == 403
        published = await client.post("/api/v1/digests", json=request, headers=admin)
        assert published.status_code == 201, published.text
        digest = published.json()
        assert digest["case_count"] == 3
        markdown = await client.get(
            f"/api/v1/digests/{digest['digest_id']}/markdown", headers=leader
        )
        assert markdown.status_code == 200
        assert "人大代表之声 2026年第1期" in markdown.text
        assert "交通" in markdown.text
        word = await client.get(f"/api/v1/digests/{digest['digest_id']}/docx", headers=leader)
        document = docx.Document(io.BytesIO(word.content))
        text = "\n".join(p.text for p in document.paragraphs)
        assert "人大代表之声 2026年第1期" in text
        assert (
            await client.get(f"/api/v1/digests/{digest['digest_id']}", headers=deputy)
        ).status_code == 403

        instruct = f"/api/v1/digests/{digest['digest_id']}/instructions"
        reopened = await client.post(
            instruct,
            json={"leader": "张主任", "text": "请再核实", "case_id": done["case_id"]},
            headers=leader,
        )
        assert reopened.status_code == 201, reopened.text
        assert reopened.json()["outcome"] == "reopened"
        assert reopened.json()["state"] == "rehandling"
        chased = await client.post(
            instruct,
            json={"leader": "张主任", "text": "抓紧办理", "case_id": ids[1]["case_id"]},
            headers=leader,
        )
        assert chased.json()["outcome"] == "key_chase"
        assert (
            await client.post(
                instruct,
                json={"leader": "x", "text": "y", "case_id": ids[2]["case_id"]},
                headers=admin,
            )
        ).status_code == 403
        steps = (
            await client.get(f"/api/v1/cases/{done['case_id']}/timeline", headers=staff)
        ).json()
        assert steps[-1]["action"] == "reopen"
        assert "张主任批示" in steps[-1]["comment"]

        stats = await client.get("/api/v1/statistics", params={"by": "category"}, headers=admin)
        assert stats.status_code == 200, stats.text
        result = stats.json()
        assert result["overall"]["total"] == 3
        groups = {g["key"]: g for g in result["groups"]}
        assert groups["交通出行"]["total"] == 2  # filed as 交通: the controlled name counts
        assert groups["教育"]["replied"] == 0
        assert result["overall"]["solved"] == 0  # the solved case was reopened: no longer solved
        assert (await client.get("/api/v1/statistics", headers=deputy)).status_code == 403
        types = await outbox_types(service.runtime.engine, service.runtime.tables.outbox)
        assert "cases.digest.published" in types
        assert types[-4:] == [
            "cases.case.reopened",
            "cases.case.instruction_given",
            "cases.case.key_chase_designated",
            "cases.case.instruction_given",
        ]
