"""A deputy's life through the HTTP API: one event per change, in order, keyed by the deputy."""

from __future__ import annotations

import pytest

from deputies.testing import bodies
from deputies.testing.api import headers, running_app
from deputies.testing.harness import count, drained, published_all, settings_for

pytestmark = pytest.mark.integration

TOWN = "990101001"


async def test_lifecycle_events_exactly_once_and_in_order_per_deputy(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", "990101")
    staff = headers(settings, "township_staff", TOWN)
    leader = headers(settings, "county_leader", "990101")
    async with running_app(settings) as (service, client):
        assert (
            await client.post("/api/v1/townships", json=bodies.township(TOWN), headers=admin)
        ).status_code == 201
        created = await client.post(
            "/api/v1/deputies",
            json=bodies.deputy(TOWN),
            headers={**staff, "X-Correlation-ID": "roster-flow-1"},
        )
        assert created.status_code == 201, created.text
        deputy = created.json()
        assert created.headers["ETag"] == '"1"'
        assert deputy["phone"] == "13812345678"
        assert deputy["contact_masked"] is False
        url = f"/api/v1/deputies/{deputy['id']}"

        listed = (await client.get(f"/api/v1/deputies?township={TOWN}", headers=staff)).json()
        assert [d["phone"] for d in listed["items"]] == ["138****5678"]  # lists never reveal
        assert listed["items"][0]["contact_masked"] is True
        own = (await client.get(url, headers=staff)).json()
        assert own["phone"] == "13812345678"  # one record at a time, for the entitled, audited

        masked = (await client.get(url, headers=leader)).json()
        assert masked["phone"] == "138****5678"
        assert masked["id_number"].startswith(deputy["id_number"][:6])
        assert masked["id_number"] != deputy["id_number"]
        assert masked["contact_masked"] is True

        changed = await client.patch(
            url, json={"deputy_group": "第二代表小组"}, headers={**staff, "If-Match": '"1"'}
        )
        assert changed.status_code == 200, changed.text
        assert changed.headers["ETag"] == '"2"'
        stale = await client.patch(
            url, json={"deputy_group": "第三代表小组"}, headers={**staff, "If-Match": '"1"'}
        )
        assert stale.status_code == 409

        suspended = await client.post(
            f"{url}/status",
            json={"status": "suspended", "reason": "custody", "effective_date": "2026-03-01"},
            headers={**staff, "If-Match": '"2"'},
        )
        assert suspended.status_code == 200, suspended.text
        ended = await client.post(
            f"{url}/status",
            json={"status": "terminated", "reason": "recall", "effective_date": "2026-04-01"},
            headers={**staff, "If-Match": '"3"'},
        )
        assert ended.json()["status"] == "terminated"
        illegal = await client.post(
            f"{url}/status",
            json={"status": "active", "reason": "reinstated", "effective_date": "2026-05-01"},
            headers={**staff, "If-Match": '"4"'},
        )
        assert illegal.status_code == 409

        history = (await client.get(f"{url}/history", headers=leader)).json()
        assert [h["to_status"] for h in history] == ["active", "suspended", "terminated"]
        page = (
            await client.get(
                "/api/v1/deputies",
                params={"township": TOWN, "status": "terminated"},
                headers=leader,
            )
        ).json()
        assert page["total"] == 1
        assert page["items"][0]["id"] == deputy["id"]

        await drained(service.runtime)
    records = await published_all(topic_prefix)
    types = [r["envelope"]["type"] for r in records if r["key"] == deputy["id"]]
    assert types == [
        "deputies.deputy.registered",
        "deputies.deputy.updated",
        "deputies.deputy.status_changed",
        "deputies.deputy.status_changed",
    ]
    mine = [r for r in records if r["key"] == deputy["id"]]
    assert len({r["partition"] for r in mine}) == 1
    assert [r["envelope"]["data"]["aggregate_version"] for r in mine] == [1, 2, 3, 4]
    assert mine[0]["envelope"]["correlationid"] == "roster-flow-1"
    assert len(records) == 5  # plus the township's registration; nothing for refused changes
    for record in mine:
        assert "13812345678" not in str(record["envelope"])
        assert deputy["id_number"] not in str(record["envelope"])


async def test_a_retried_creation_with_the_same_key_creates_once(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", "990101")
    async with running_app(settings, relay=False) as (service, client):
        await client.post("/api/v1/townships", json=bodies.township(TOWN), headers=admin)
        body = bodies.deputy(TOWN)
        keyed = {**admin, "Idempotency-Key": "form-42"}
        first = await client.post("/api/v1/deputies", json=body, headers=keyed)
        again = await client.post("/api/v1/deputies", json=body, headers=keyed)
        assert first.status_code == again.status_code == 201
        assert first.json()["id"] == again.json()["id"]
        reused = await client.post("/api/v1/deputies", json=bodies.deputy(TOWN), headers=keyed)
        assert reused.status_code == 422
        t = service.services.tables
        assert await count(service.runtime.engine, t.deputies) == 1
        outbox = service.runtime.tables.outbox
        assert (
            await count(
                service.runtime.engine, outbox, outbox.c.event_type == "deputies.deputy.registered"
            )
            == 1
        )


async def test_openapi_documents_every_route(database_url: str, topic_prefix: str) -> None:
    async with running_app(settings_for(database_url, topic_prefix), relay=False) as (_, client):
        spec = (await client.get("/openapi.json")).json()
    paths = set(spec["paths"])
    assert {
        "/api/v1/townships",
        "/api/v1/townships/{code}/roster-verifications",
        "/api/v1/stations/{station_id}",
        "/api/v1/deputies",
        "/api/v1/deputies/{deputy_id}/status",
        "/api/v1/deputies/{deputy_id}/history",
        "/api/v1/roster/import",
        "/api/v1/roster/export",
        "/api/v1/activities/{activity_id}/cancel",
        "/api/v1/activities/{activity_id}/attendance/{deputy_id}",
        "/api/v1/deputies/{deputy_id}/status/corrections",
        "/api/v1/highlights",
        "/api/v1/manuscripts/{manuscript_id}/publish",
    } <= paths
    assert "multipart/form-data" in str(spec["paths"]["/api/v1/roster/import"])
