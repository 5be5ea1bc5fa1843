"""Supervision topics leave a record: measures, reports and every vote are events and are kept."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from cases.testing import bodies
from cases.testing.harness import COUNTY, TOWNSHIP, headers, published, running_app, settings_for
from kit.clock import today as china_today

pytestmark = pytest.mark.integration
LATER = (china_today() + timedelta(days=300)).isoformat()


async def _do(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], auth: Any, version: int
) -> dict[str, Any]:
    response = await client.post(path, json=body, headers={**auth, "If-Match": f'"{version}"'})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_topic_keeps_every_report_vote_and_withdrawn_measure_on_record(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    staff = headers(settings, "township_staff", TOWNSHIP)
    water = headers(settings, "handling_unit", COUNTY, unit_id="water")
    traffic = headers(settings, "handling_unit", COUNTY, unit_id="traffic")
    async with running_app(settings) as (_, client):
        for unit_id, name in bodies.UNITS:
            await client.post("/api/v1/units", json=bodies.unit(unit_id, name), headers=admin)
        body: dict[str, Any] = {
            "township": TOWNSHIP,
            "title": "农村饮用水安全",
            "origin": "plan",
            "year": china_today().year,
            "measures": [
                {"description": "改造供水管网", "owner_unit_id": "water", "due_on": LATER}
            ],
        }
        past = {**body, "measures": [{**body["measures"][0], "due_on": "2020-01-01"}]}
        refused = await client.post("/api/v1/topics", json=past, headers=staff)
        assert refused.status_code == 422
        assert "due_on" in refused.text
        topic = (await client.post("/api/v1/topics", json=body, headers=staff)).json()
        path = f"/api/v1/topics/{topic['topic_id']}"
        pipes = topic["measures"][0]["measure_id"]

        stale = await client.post(
            f"{path}/measures",
            json={"description": "旧账", "owner_unit_id": "water", "due_on": "2020-01-01"},
            headers={**staff, "If-Match": f'"{topic["version"]}"'},
        )
        assert stale.status_code == 422
        topic = await _do(
            client,
            f"{path}/measures",
            {"description": "误录的措施", "owner_unit_id": "traffic", "due_on": LATER},
            staff,
            topic["version"],
        )
        mistaken = topic["measures"][1]["measure_id"]
        assert (await client.get(path, headers=water)).status_code == 200  # the owner reads it
        topic = await _do(
            client,
            f"{path}/measures/{mistaken}/withdraw",
            {"reason": "不属于本议题"},
            staff,
            topic["version"],
        )
        assert topic["measures"][1]["withdrawn_reason"] == "不属于本议题"
        assert (await client.get(path, headers=traffic)).status_code == 403  # owns nothing now

        other = await client.post(
            f"{path}/followups",
            json={"note": "代记", "measure_id": pipes, "status": "done"},
            headers={**traffic, "If-Match": f'"{topic["version"]}"'},
        )
        assert other.status_code == 403
        topic = await _do(
            client,
            f"{path}/followups",
            {"note": "管网改造完工", "measure_id": pipes, "status": "done"},
            water,
            topic["version"],
        )
        assert topic["progress"] == 100  # the withdrawn measure no longer counts
        topic = await _do(client, f"{path}/report", {"text": "整改报告"}, staff, topic["version"])
        topic = await _do(
            client,
            f"{path}/votes",
            {"satisfied": 1, "basically_satisfied": 1, "unsatisfied": 5},
            staff,
            topic["version"],
        )
        assert topic["state"] == "open"
        topic = await _do(
            client, f"{path}/report", {"text": "整改报告（修订）"}, staff, topic["version"]
        )
        topic = await _do(
            client,
            f"{path}/votes",
            {"satisfied": 6, "basically_satisfied": 1, "unsatisfied": 0},
            staff,
            topic["version"],
        )
        assert [r["text"] for r in topic["reports"]] == ["整改报告", "整改报告（修订）"]
        votes = topic["votes"]
        assert [v["report_version"] for v in votes] == [1, 2]
        assert all(v["held_on"] == china_today().isoformat() and v["recorded_by"] for v in votes)

        records = await published(topic_prefix, expected=9)
        kinds = [r["envelope"]["type"] for r in records]
        assert kinds.count("cases.supervision.measure_added") == 1
        assert kinds.count("cases.supervision.measure_withdrawn") == 1
        assert kinds.count("cases.supervision.report_submitted") == 2
        voted = [
            r["envelope"]["data"]
            for r in records
            if r["envelope"]["type"] == "cases.supervision.vote_recorded"
        ]
        assert [v["passed"] for v in voted] == [False, True]  # the failing vote too
