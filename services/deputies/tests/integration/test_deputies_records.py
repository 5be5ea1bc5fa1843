"""Highlights and manuscripts: no double posts, corrections and withdrawals with a reason and an
event naming what they correct, and a configurable highlight rule per township and year."""

from __future__ import annotations

import pytest

from deputies.testing import bodies
from deputies.testing.api import headers, running_app
from deputies.testing.harness import count, outbox_types, published, settings_for

pytestmark = pytest.mark.integration

TOWN = "990101001"


async def test_highlights_and_manuscripts_are_corrected_and_withdrawn_with_events(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", "990101")
    staff = headers(settings, "township_staff", TOWN)
    async with running_app(settings) as (service, client):
        await client.post("/api/v1/townships", json=bodies.township(TOWN), headers=admin)
        report = {"township": TOWN, "year": 2026, "title": "代表家站提质", "summary": "十个站点"}
        first = await client.post("/api/v1/highlights", json=report, headers=staff)
        assert first.status_code == 201, first.text
        twice = await client.post("/api/v1/highlights", json=report, headers=staff)
        assert twice.status_code == 409
        assert first.json()["id"] in twice.text
        assert await count(service.runtime.engine, service.services.tables.highlights) == 1

        rule = "/api/v1/townships/990101001/highlight-rules/2026"
        assert (
            await client.put(rule, json={"max_highlights": 1}, headers=staff)
        ).status_code == 403
        assert (
            await client.put(rule, json={"max_highlights": 1}, headers=admin)
        ).status_code == 200
        second = {**report, "title": "民生实事票决"}
        assert (
            await client.post("/api/v1/highlights", json=second, headers=staff)
        ).status_code == 409

        hl = f"/api/v1/highlights/{first.json()['id']}"
        fixed = await client.patch(
            hl,
            json={"summary": "十二个站点", "reason": "数字更正"},
            headers={**staff, "If-Match": '"1"'},
        )
        assert fixed.status_code == 200, fixed.text
        assert fixed.json()["summary"] == "十二个站点"
        gone = await client.post(
            f"{hl}/withdraw", json={"reason": "重复上报"}, headers={**staff, "If-Match": '"2"'}
        )
        assert gone.json()["state"] == "withdrawn"
        assert (
            await client.post("/api/v1/highlights", json=second, headers=staff)
        ).status_code == 201

        ms = (
            await client.post(
                "/api/v1/manuscripts",
                json={
                    "township": TOWN,
                    "title": "稿件",
                    "author": "通讯员",
                    "submitted_on": "2026-05-01",
                },
                headers=staff,
            )
        ).json()
        url = f"/api/v1/manuscripts/{ms['id']}"
        publication = {
            "outlet": "人民代表报",
            "outlet_level": "county",
            "placement": "single",
            "published_on": "2026-05-09",
            "evidence_url": "https://news.example.cn/1",
        }
        assert (
            await client.post(f"{url}/publish", json=publication, headers=staff)
        ).status_code == 200
        level = await client.patch(
            url,
            json={"outlet_level": "provincial", "reason": "用稿级别录错"},
            headers={**staff, "If-Match": '"2"'},
        )
        assert level.status_code == 200, level.text
        assert level.json()["outlet_level"] == "provincial"
        withdrawn = await client.post(
            f"{url}/withdraw", json={"reason": "稿件撤回"}, headers={**staff, "If-Match": '"3"'}
        )
        assert withdrawn.json()["state"] == "withdrawn"
        types = await outbox_types(service.runtime.engine, service.runtime.tables.outbox)
        records = await published(topic_prefix, expected=len(types))  # the relay still runs
    assert len(records) == len(types)
    of_highlight = [r["envelope"] for r in records if r["key"] == first.json()["id"]]
    assert [e["type"] for e in of_highlight] == [
        "deputies.highlight.reported",
        "deputies.highlight.corrected",
        "deputies.highlight.withdrawn",
    ]
    assert of_highlight[1]["data"]["reason"] == "数字更正"
    of_manuscript = [r["envelope"] for r in records if r["key"] == ms["id"]]
    assert [e["type"] for e in of_manuscript] == [
        "deputies.manuscript.submitted",
        "deputies.manuscript.published",
        "deputies.manuscript.corrected",
        "deputies.manuscript.withdrawn",
    ]
    assert of_manuscript[2]["data"]["changed"] == ["outlet_level"]
    assert of_manuscript[2]["data"]["outlet_level"] == "provincial"
    assert of_manuscript[3]["data"]["was_published"] is True
