"""A mistaken mark can be removed (audited, published); a township's highlight rule can be read."""

from __future__ import annotations

import pytest

from deputies.testing import bodies
from deputies.testing.api import headers, running_app
from deputies.testing.harness import count, outbox_types, published, settings_for

pytestmark = pytest.mark.integration

COUNTY = "990101"
TOWN = "990101001"
OTHER = "990101002"


async def test_a_mistaken_mark_is_removed_by_its_township_with_a_reason(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    staff = headers(settings, "township_staff", TOWN)
    other_staff = headers(settings, "township_staff", OTHER)
    async with running_app(settings) as (service, client):
        for code in (TOWN, OTHER):
            await client.post("/api/v1/townships", json=bodies.township(code), headers=admin)
        kept = (
            await client.post("/api/v1/deputies", json=bodies.deputy(TOWN), headers=staff)
        ).json()
        wrong = (
            await client.post("/api/v1/deputies", json=bodies.deputy(TOWN), headers=staff)
        ).json()
        marks = {kept["id"]: "present", wrong["id"]: "unexcused_absence"}
        activity = (
            await client.post(
                "/api/v1/activities", json=bodies.activity(TOWN, marks), headers=staff
            )
        ).json()
        url = f"/api/v1/activities/{activity['id']}/attendance/{wrong['id']}"

        assert (await client.delete(url, headers=staff)).status_code == 422  # no reason
        assert (await client.delete(f"{url}?reason=误录", headers=other_staff)).status_code == 403
        removed = await client.delete(f"{url}?reason=误录：未参加", headers=staff)
        assert removed.status_code == 200, removed.text
        assert [a["deputy_id"] for a in removed.json()["attendance"]] == [kept["id"]]
        assert removed.json()["version"] == activity["version"] + 1
        assert (await client.delete(f"{url}?reason=再删", headers=staff)).status_code == 404

        audit = service.runtime.tables.audit_log
        assert (
            await count(service.runtime.engine, audit, audit.c.action == "remove_attendance") == 1
        )
        types = await outbox_types(service.runtime.engine, service.runtime.tables.outbox)
        records = await published(topic_prefix, expected=len(types))
    assert len(records) == len(types)
    removal = [
        r["envelope"] for r in records if r["envelope"]["type"] == "deputies.attendance.removed"
    ]
    assert len(removal) == 1
    data = removal[0]["data"]
    assert data["deputy_id"] == wrong["id"]
    assert data["removed_attendance"] == "unexcused_absence"
    assert data["reason"] == "误录：未参加"
    assert data["aggregate_version"] == activity["version"] + 1
    assert removal[0]["subject"] == activity["id"]


async def test_the_highlight_rule_of_a_township_and_year_can_be_read(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    staff = headers(settings, "township_staff", TOWN)
    other_staff = headers(settings, "township_staff", OTHER)
    async with running_app(settings, relay=False) as (_, client):
        for code in (TOWN, OTHER):
            await client.post("/api/v1/townships", json=bodies.township(code), headers=admin)
        url = f"/api/v1/townships/{TOWN}/highlight-rules/2026"
        none = await client.get(url, headers=staff)
        assert none.status_code == 200, none.text
        assert none.json() == {"township": TOWN, "year": 2026, "max_highlights": None}
        put = await client.put(url, json={"max_highlights": 2}, headers=admin)
        assert put.status_code == 200
        assert (await client.get(url, headers=staff)).json()["max_highlights"] == 2
        assert (await client.get(url, headers=other_staff)).status_code == 403
        assert (
            await client.get(f"/api/v1/townships/{TOWN}/highlight-rules/2025", headers=admin)
        ).json()["max_highlights"] is None
        unknown = "/api/v1/townships/990101009/highlight-rules/2026"
        assert (await client.get(unknown, headers=admin)).status_code == 404
