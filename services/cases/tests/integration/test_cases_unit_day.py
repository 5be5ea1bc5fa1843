"""A unit's day over HTTP on PostgreSQL and Kafka: bulk assignment, to-do, co-opinions, extension."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from cases.domain.workdays import WorkCalendar
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

pytestmark = pytest.mark.integration


async def _post(
    client: httpx.AsyncClient,
    path: str,
    body: dict[str, Any],
    auth: dict[str, str],
    version: int,
    expected: int = 200,
) -> dict[str, Any]:
    response = await client.post(path, json=body, headers={**auth, "If-Match": f'"{version}"'})
    assert response.status_code == expected, response.text
    result: dict[str, Any] = response.json()
    return result


async def _accepted(
    client: httpx.AsyncClient, admin: dict[str, str], deputy: str, township: str, title: str
) -> dict[str, Any]:
    body = bodies.suggestion(deputy, township, title=title)
    filed = await client.post("/api/v1/suggestions", json=body, headers=admin)
    assert filed.status_code == 201, filed.text
    case = filed.json()
    return await _post(client, f"/api/v1/cases/{case['case_id']}/accept", {}, admin, 1)


def _of(records: list[dict[str, Any]], kind: str, case_id: str) -> list[dict[str, Any]]:
    return [
        r["envelope"]["data"]
        for r in records
        if r["envelope"]["type"] == kind and r["key"] == case_id
    ]


async def test_a_units_day_from_bulk_assignment_to_the_reply(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    staff = headers(settings, "township_staff", TOWNSHIP)
    leader = headers(settings, "county_leader", COUNTY)
    lead = headers(settings, "handling_unit", COUNTY, unit_id="traffic")
    co = headers(settings, "handling_unit", COUNTY, unit_id="water")
    deputy = headers(settings, "deputy", TOWNSHIP, deputy_id="dep-1")
    async with running_app(settings) as (service, client):
        for unit_id, name in bodies.UNITS:
            await client.post("/api/v1/units", json=bodies.unit(unit_id, name), headers=admin)
        first = await _accepted(client, admin, "dep-1", TOWNSHIP, "关于青石村道路拓宽的建议")
        second = await _accepted(client, admin, "dep-2", TOWNSHIP, "关于镇区路灯改造的建议")
        stale = await _accepted(client, admin, "dep-3", TOWNSHIP, "关于学校周边交通的建议")
        elsewhere = await _accepted(client, admin, "dep-4", OTHER_TOWNSHIP, "关于东湖治理的建议")

        # bulk assignment (交办): each case on its own; the staff's township only
        items = [
            {
                "case_id": first["case_id"],
                "version": first["version"],
                "lead_unit_id": "traffic",
                "co_unit_ids": ["water"],
            },
            {"case_id": second["case_id"], "version": second["version"], "lead_unit_id": "traffic"},
            {"case_id": stale["case_id"], "version": 1, "lead_unit_id": "traffic"},
            {"case_id": "ghost", "version": 2, "lead_unit_id": "traffic"},
            {"case_id": elsewhere["case_id"], "version": 2, "lead_unit_id": "traffic"},
            {"case_id": stale["case_id"] + "-x", "version": 2, "lead_unit_id": "nobody"},
        ]
        bulk = await client.post("/api/v1/cases/bulk-assign", json={"items": items}, headers=staff)
        assert bulk.status_code == 207, bulk.text
        result = bulk.json()
        statuses = [(r["case_id"], r["status"]) for r in result["results"]]
        assert statuses == [
            (first["case_id"], 200),
            (second["case_id"], 200),
            (stale["case_id"], 409),
            ("ghost", 404),
            (elsewhere["case_id"], 403),
            (stale["case_id"] + "-x", 404),
        ]
        assert (result["succeeded"], result["failed"]) == (2, 4)
        assert result["results"][2]["problem"]["title"] == "Version conflict"
        assert result["results"][0]["state"] == "assigned"
        registry = service.runtime.registry
        for code, n in (("200", 2), ("409", 1), ("404", 2), ("403", 1)):
            counted = registry.get_sample_value(
                "cases_bulk_assignment_items_total", {"status": code}
            )
            assert counted == n, code
        twice = {"items": [items[1], items[1]]}
        repeated = await client.post("/api/v1/cases/bulk-assign", json=twice, headers=staff)
        assert repeated.status_code == 422
        nul = {"items": [{**items[1], "case_id": "gB\u0000"}]}  # PostgreSQL text holds no NUL
        assert (
            await client.post("/api/v1/cases/bulk-assign", json=nul, headers=staff)
        ).status_code == 422
        refused = await client.post(
            "/api/v1/cases/bulk-assign", json={"items": items[:1]}, headers=lead
        )
        assert refused.status_code == 403
        unassigned = (await client.get(f"/api/v1/cases/{stale['case_id']}", headers=admin)).json()
        assert unassigned["state"] == "accepted"

        # the to-do lists: the lead owes replies, the co-handler its opinion
        todo = (await client.get("/api/v1/todo", headers=lead)).json()
        assert todo["total"] == 2
        assert [i["owed"] for i in todo["items"]] == ["reply", "reply"]
        deadlines = [i["deadline"] for i in todo["items"]]
        assert deadlines == sorted(deadlines)
        line = next(i for i in todo["items"] if i["case_id"] == first["case_id"])
        assert line["co_opinions_missing"] == ["water"]
        assert line["number"] == first["number"]  # the number a person says, as on every read
        assert "建议第" in line["number"]
        assert line["may_apply_extension"] is True
        assert line["return_by"] is not None
        paged = (await client.get("/api/v1/todo?page=2&page_size=1", headers=lead)).json()
        assert [i["case_id"] for i in paged["items"]] == [todo["items"][1]["case_id"]]
        co_todo = (await client.get("/api/v1/todo", headers=co)).json()
        assert [(i["case_id"], i["owed"], i["role"]) for i in co_todo["items"]] == [
            (first["case_id"], "co_opinion", "co")
        ]
        assert (await client.get("/api/v1/todo", headers=deputy)).status_code == 403
        assert (await client.get("/api/v1/todo", headers=staff)).status_code == 403

        # the co-handler's opinion (会办意见), seen by the lead unit before it replies
        path = f"/api/v1/cases/{first['case_id']}"
        case = (await client.get(path, headers=co)).json()
        assert case["your_actions"] == ["co_opinion", "return"]
        await _post(client, f"{path}/co-opinion", {"text": "同意"}, lead, case["version"], 403)
        case = await _post(
            client, f"{path}/co-opinion", {"text": "同意，排水由我局负责"}, co, case["version"]
        )
        seen = (await client.get(path, headers=lead)).json()
        assert seen["co_opinions_missing"] == []
        assert [(o["unit_id"], o["text"]) for o in seen["unit_opinions"]] == [
            ("water", "同意，排水由我局负责")
        ]
        assert (await client.get("/api/v1/todo", headers=co)).json()["total"] == 0

        # the extension: applied for, refused, applied for again, granted on the application
        calendar = WorkCalendar()
        due = date.fromisoformat(case["due_on"])
        asked = calendar.on_or_after(due + timedelta(days=30))
        application = {"due_on": asked.isoformat(), "reason": "需协调跨年度资金"}
        await _post(client, f"{path}/extension-request", application, co, case["version"], 403)
        case = await _post(client, f"{path}/extension-request", application, lead, case["version"])
        assert case["extension_requests"][-1]["decision"] is None
        assert case["due_on"] == due.isoformat()
        await _post(
            client, f"{path}/extension-request/refuse", {"reason": "x"}, lead, case["version"], 403
        )
        case = await _post(
            client,
            f"{path}/extension-request/refuse",
            {"reason": "理由不充分，请补充材料"},
            leader,
            case["version"],
        )
        assert case["extension_requests"][-1]["decision"] == "refused"
        case = await _post(client, f"{path}/extension-request", application, lead, case["version"])
        case = await _post(
            client, f"{path}/extension-request/grant", {"comment": "同意"}, admin, case["version"]
        )
        assert case["due_on"] == asked.isoformat()
        assert case["extension"]["due_on"] == asked.isoformat()
        await _post(client, f"{path}/extension-request", application, lead, case["version"], 409)

        # county staff record a leader's key-chase decision on their behalf
        other = f"/api/v1/cases/{second['case_id']}"
        second = (await client.get(other, headers=admin)).json()
        await _post(client, f"{other}/key-chase", {}, admin, second["version"], 422)
        decision = {
            "leader": "王主任",
            "meeting_ref": "主任会议纪要〔2026〕7号",
            "decided_on": "2026-01-05",
        }
        second = await _post(
            client, f"{other}/key-chase", {"decision": decision}, admin, second["version"]
        )
        assert second["key_chase"] is True
        assert second["key_chase_decision"]["leader"] == "王主任"

        # the lead unit replies: the recorded co-opinion is stated in the reply
        reply = {"reply_class": "A", "text": "道路已拓宽"}
        case = await _post(client, f"{path}/reply", reply, lead, case["version"])
        assert case["replies"][-1]["co_opinions"] == [
            {"unit_id": "water", "text": "同意，排水由我局负责"}
        ]
        assert (await client.get("/api/v1/todo", headers=lead)).json()["total"] == 1

        # a merge tells the merged case's submitters
        merged = await client.post(
            "/api/v1/suggestions",
            json=bodies.suggestion("dep-5", TOWNSHIP, title="关于青石村道路拓宽的再次建议"),
            headers=admin,
        )
        duplicate = merged.json()
        await _post(
            client,
            f"/api/v1/cases/{duplicate['case_id']}/merge",
            {"merged_into": stale["case_id"]},
            staff,
            duplicate["version"],
        )

        await drained(service.runtime)
        records = await published_all(topic_prefix)
        assigned = [
            r["envelope"]["data"] for r in records if r["envelope"]["type"] == "cases.case.assigned"
        ]
        assert {a["case_id"] for a in assigned} == {first["case_id"], second["case_id"]}
        (opinion,) = _of(records, "cases.case.co_opinion_recorded", first["case_id"])
        assert (opinion["unit_id"], opinion["lead_unit_id"], opinion["missing_unit_ids"]) == (
            "water",
            "traffic",
            [],
        )
        applied = _of(records, "cases.case.extension_applied", first["case_id"])
        assert [a["requested_due_on"] for a in applied] == [asked.isoformat()] * 2
        assert applied[0]["unit_id"] == "traffic"
        (refusal,) = _of(records, "cases.case.extension_refused", first["case_id"])
        assert refusal["reason"] == "理由不充分，请补充材料"
        (granted,) = _of(records, "cases.case.extension_granted", first["case_id"])
        assert granted["requested_due_on"] == asked.isoformat()
        assert granted["previous_due_on"] == due.isoformat()
        (chase,) = _of(records, "cases.case.key_chase_designated", second["case_id"])
        assert (chase["on_behalf_of"], chase["meeting_ref"], chase["decided_on"]) == (
            "王主任",
            "主任会议纪要〔2026〕7号",
            "2026-01-05",
        )
        assert chase["deputy_ids"] == ["dep-2"]
        (triaged,) = _of(records, "cases.case.triaged", duplicate["case_id"])[-1:]
        assert (triaged["outcome"], triaged["deputy_ids"]) == ("merged", ["dep-5"])
        (replied,) = _of(records, "cases.case.replied", first["case_id"])
        assert replied["deputy_ids"] == ["dep-1"]

        audit = service.runtime.tables.audit_log
        async with service.runtime.engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(audit.c.action, audit.c.resource_id, audit.c.detail).where(
                        audit.c.action.in_(["assign", "key_chase_on_behalf"])
                    )
                )
            ).all()
        batched = {r.resource_id: r.detail for r in rows if r.action == "assign"}
        assert set(batched) == {first["case_id"], second["case_id"]}  # one entry per case
        assert {d["batch"] for d in batched.values()} == {result["batch_id"]}
        assert batched[first["case_id"]]["co"] == ["water"]
        (behalf,) = [r for r in rows if r.action == "key_chase_on_behalf"]
        assert behalf.resource_id == second["case_id"]
        assert behalf.detail["on_behalf_of"] == "王主任"
        assert behalf.detail["meeting_ref"] == "主任会议纪要〔2026〕7号"
