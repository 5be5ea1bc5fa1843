"""The audit log through the API: scope per role, filters, keyset pages, exports, refusals, before/after."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from deputies.testing import bodies
from deputies.testing.api import headers, running_app
from deputies.testing.harness import count, settings_for

pytestmark = pytest.mark.integration

COUNTY = "990101"
TOWN = "990101001"
OTHER = "990101002"


async def _pages(
    client: httpx.AsyncClient, who: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    """Read every page of a query, following the cursor."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        asked = {**params, **({"cursor": cursor} if cursor else {})}
        page = await client.get("/api/v1/audit", params=asked, headers=who)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


async def test_updates_show_before_and_after_masked_and_each_role_reads_its_own_scope(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    staff = headers(settings, "township_staff", TOWN)
    auditor = headers(settings, "auditor", COUNTY)
    async with running_app(settings, relay=False) as (service, client):
        for code in (TOWN, OTHER):
            await client.post("/api/v1/townships", json=bodies.township(code), headers=admin)
        deputy = (
            await client.post("/api/v1/deputies", json=bodies.deputy(TOWN), headers=staff)
        ).json()
        await client.post("/api/v1/deputies", json=bodies.deputy(OTHER), headers=admin)
        edited = await client.patch(
            f"/api/v1/deputies/{deputy['id']}",
            json={"phone": "13900001111", "id_number": bodies.id_number(), "party": "群众"},
            headers={**staff, "If-Match": '"1"'},
        )
        assert edited.status_code == 200, edited.text
        station = (
            await client.post("/api/v1/stations", json=bodies.station(TOWN), headers=staff)
        ).json()
        moved = await client.patch(
            f"/api/v1/stations/{station['id']}",
            json={"schedule": "每月15日"},
            headers={**staff, "If-Match": '"1"'},
        )
        assert moved.status_code == 200, moved.text
        activity = (
            await client.post(
                "/api/v1/activities",
                json=bodies.activity(TOWN, {deputy["id"]: "present"}),
                headers=staff,
            )
        ).json()
        corrected = await client.patch(
            f"/api/v1/activities/{activity['id']}",
            json={"duration_hours": 3, "reason": "更正时长"},
            headers={**staff, "If-Match": '"1"'},
        )
        assert corrected.status_code == 200, corrected.text
        # refusals: the audit log is not for deputies, units or operators (and that is on record)
        for role in ("deputy", "handling_unit", "operator", "county_leader"):
            who = headers(settings, role, TOWN if role == "deputy" else COUNTY)
            assert (await client.get("/api/v1/audit", headers=who)).status_code == 403
            assert (await client.get("/api/v1/audit/export", headers=who)).status_code == 403
        assert (await client.get("/api/v1/audit")).status_code == 401
        wider = await client.get("/api/v1/audit", params={"township": OTHER}, headers=staff)
        assert wider.status_code == 403

        # before and after of a roster edit: restricted fields masked, the others in clear
        found = await _pages(
            client, auditor, action="update", resource_type="deputy", resource_id=deputy["id"]
        )
        assert len(found) == 1
        changes = found[0]["detail"]["changes"]
        assert changes["phone"] == {"before": "138****5678", "after": "139****1111"}
        assert (
            changes["id_number"]["before"]
            == deputy["id_number"][:6] + "********" + deputy["id_number"][-4:]
        )
        assert changes["party"] == {"before": "中共党员", "after": "群众"}
        assert found[0]["detail"]["changed"] == ["id_number", "party", "phone"]
        assert found[0]["roles"] == ["township_staff"]
        station_edit = await _pages(client, staff, action="update", resource_type="station")
        assert station_edit[0]["detail"]["changes"]["schedule"]["after"] == "每月15日"
        activity_fix = await _pages(client, staff, action="correct", resource_type="activity")
        assert activity_fix[0]["detail"]["changes"]["duration_hours"] == {
            "before": activity["duration_hours"],
            "after": 3,
        }
        assert activity_fix[0]["detail"]["reason"] == "更正时长"

        # scope: the auditor sees every row (unplaced too), county_admin its county, staff its town
        table = service.runtime.tables.audit_log
        engine = service.runtime.engine
        every = await _pages(client, auditor, limit=3)
        ids = [e["id"] for e in every]
        assert ids == sorted(ids, reverse=True)
        assert len(set(ids)) == len(ids) == await count(engine, table)
        county = await _pages(client, admin, limit=4)
        assert {e["township"][:6] for e in county} == {COUNTY}
        assert len(county) == await count(engine, table, table.c.township.like(f"{COUNTY}%"))
        town = await _pages(client, staff, limit=5)
        assert {e["township"] for e in town} == {TOWN}
        assert len(town) == await count(engine, table, table.c.township == TOWN)

        refused = await _pages(client, auditor, action="refuse", outcome="refused_403")
        roles = {e["roles"][0] for e in refused}
        assert {"deputy", "handling_unit", "operator", "county_leader", "township_staff"} <= roles
        assert all(
            e["resource_id"].endswith("/api/v1/audit") or "export" in e["resource_id"]
            for e in refused
        )
        # time range: nothing before the first row, everything up to now
        assert await _pages(client, auditor, until="2000-01-01T00:00:00Z") == []
        since = every[-1]["at"]
        assert len(await _pages(client, auditor, since=since)) >= len(every)
        assert (
            await client.get("/api/v1/audit", params={"cursor": 0}, headers=auditor)
        ).status_code == 422

        # exports: CSV and XLSX read back, and each export is itself on the log
        exported = await client.get(
            "/api/v1/audit/export", params={"township": TOWN, "format": "csv"}, headers=staff
        )
        assert exported.status_code == 200
        assert exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert len(rows) == int(exported.headers["X-Export-Rows"]) == len(town)
        assert {r["township"] for r in rows} == {TOWN}
        sheet = await client.get("/api/v1/audit/export", params={"format": "xlsx"}, headers=auditor)
        assert sheet.status_code == 200
        book = load_workbook(io.BytesIO(sheet.content)).active
        assert book is not None
        assert book.max_row - 1 == int(sheet.headers["X-Export-Rows"])
        exports = await _pages(client, auditor, action="export", resource_type="audit_log")
        assert [e["detail"]["format"] for e in exports] == ["xlsx", "csv"]
        assert exports[1]["detail"]["filters"] == {"township": TOWN}
        assert exports[1]["township"] == TOWN
