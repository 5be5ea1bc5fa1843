"""Station freshness means fresh content: a save that changes nothing changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from deputies.testing import bodies
from deputies.testing.api import headers, running_app
from deputies.testing.harness import outbox_types, published, settings_for

pytestmark = pytest.mark.integration

TOWN = "990101001"


async def test_a_no_op_save_bumps_nothing_and_stale_stations_are_listed(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix, station_stale_days=90)
    admin = headers(settings, "county_admin", "990101")
    staff = headers(settings, "township_staff", TOWN)
    async with running_app(settings) as (service, client):
        await client.post("/api/v1/townships", json=bodies.township(TOWN), headers=admin)
        body = bodies.station(TOWN)
        station = (await client.post("/api/v1/stations", json=body, headers=staff)).json()
        fresh = (
            await client.post(
                "/api/v1/stations", json=bodies.station(TOWN, "联系点"), headers=staff
            )
        ).json()
        url = f"/api/v1/stations/{station['id']}"
        long_ago = datetime.now(UTC) - timedelta(days=120)
        t = service.services.tables
        async with service.runtime.engine.begin() as conn:
            await conn.execute(
                update(t.stations)
                .where(t.stations.c.id == station["id"])
                .values(content_updated_at=long_ago)
            )
        for no_op in ({}, {"content": body["content"], "name": body["name"]}):
            saved = await client.patch(url, json=no_op, headers={**staff, "If-Match": '"1"'})
            assert saved.status_code == 200, saved.text
            assert saved.headers["ETag"] == '"1"'
            assert saved.json()["version"] == 1
            assert datetime.fromisoformat(saved.json()["content_updated_at"]) == long_ago

        stale = (
            await client.get(f"/api/v1/stations?township={TOWN}&stale=true", headers=staff)
        ).json()
        assert [s["id"] for s in stale] == [station["id"]]
        assert stale[0]["stale"] is True
        current = (await client.get("/api/v1/stations?stale=false", headers=admin)).json()
        assert [s["id"] for s in current] == [fresh["id"]]

        refreshed = await client.patch(
            url, json={"content": "2026年11月接待安排"}, headers={**staff, "If-Match": '"1"'}
        )
        assert refreshed.json()["version"] == 2
        assert (await client.get("/api/v1/stations?stale=true", headers=staff)).json() == []
        types = await outbox_types(service.runtime.engine, service.runtime.tables.outbox)
        records = await published(topic_prefix, expected=len(types))  # the relay still runs
    assert types.count("deputies.station.updated") == 3  # two opened, one real change
    assert len(records) == len(types)
    updates = [r for r in records if r["key"] == station["id"]]
    assert [r["envelope"]["data"]["aggregate_version"] for r in updates] == [1, 2]
