"""Roster files as township offices write them: Excel number dates, every error of a row at once,
a hint at the `term` parameter, browser-form uploads, no made-up election date; parsing and
export run off the event loop."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from deputies.roster_io.export import roster_xlsx
from deputies.roster_io.reading import read_grid
from deputies.testing import bodies
from deputies.testing.api import headers, running_app
from deputies.testing.harness import settings_for
from deputies.testing.sheets import HEADER, csv_bytes, roster_rows, xlsx

pytestmark = pytest.mark.integration

TOWN = "990101001"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
URL = "/api/v1/roster/import"


async def test_roster_files_as_offices_write_them(database_url: str, topic_prefix: str) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", "990101")
    async with running_app(settings, relay=False) as (_, client):
        await client.post("/api/v1/townships", json=bodies.township(TOWN), headers=admin)
        rows = roster_rows(3, seed=11)
        # 当选日期 as Excel stores a date typed into a number-formatted cell: 44558 is 2021-12-28.
        dated = [(*r, 44558) for r in rows[:1]]
        broken = (rows[1][0], "未知", rows[1][2], rows[1][3], rows[1][4], "12345", rows[1][6], None)
        content = xlsx([*dated, (*broken, 44558)], header=(*HEADER, "当选日期"))
        refused = await client.post(
            URL, params={"township": TOWN}, content=content, headers={**admin, "Content-Type": XLSX}
        )
        assert refused.status_code == 422
        errors = refused.json()["report"]["errors"]
        assert {(e["row"], e["field"]) for e in errors} == {(3, "gender"), (3, "phone")}

        # Without a term column the message names the `term` parameter.
        no_term = csv_bytes([r[:3] + r[4:] for r in rows], header=HEADER[:3] + HEADER[4:])
        missing = await client.post(
            URL,
            params={"township": TOWN},
            content=no_term,
            headers={**admin, "Content-Type": "text/csv"},
        )
        assert missing.status_code == 422
        assert "`term`" in missing.json()["report"]["errors"][0]["message"]

        # A browser form / curl -F upload; no election date anywhere: the status date is unknown.
        form = await client.post(
            URL,
            params={"township": TOWN, "mode": "valid_rows"},
            files={
                "file": ("名册.xlsx", xlsx([*dated, rows[2]], header=(*HEADER, "当选日期")), XLSX)
            },
            headers=admin,
        )
        assert form.status_code == 201, form.text
        assert form.json()["created"] == 2
        listed = (await client.get(f"/api/v1/deputies?township={TOWN}", headers=admin)).json()
        by_name = {d["name"]: d for d in listed["items"]}
        assert by_name[rows[0][0]]["elected_on"] == "2021-12-28"
        assert by_name[rows[0][0]]["status_since"] == "2021-12-28"
        assert by_name[rows[2][0]]["elected_on"] is None
        assert by_name[rows[2][0]]["status_since"] is None


async def test_parsing_and_export_run_off_the_event_loop(
    database_url: str, topic_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop_thread = threading.get_ident()
    threads: dict[str, int] = {}

    def spy(name: str, real: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            threads[name] = threading.get_ident()
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr("deputies.roster_io.importing.read_grid", spy("read", read_grid))
    monkeypatch.setattr("deputies.entrypoints.api.roster.roster_xlsx", spy("export", roster_xlsx))
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", "990101")
    async with running_app(settings, relay=False) as (_, client):
        await client.post("/api/v1/townships", json=bodies.township(TOWN), headers=admin)
        imported = await client.post(
            URL,
            params={"township": TOWN},
            content=xlsx(roster_rows(2, seed=12)),
            headers={**admin, "Content-Type": XLSX},
        )
        assert imported.status_code == 201, imported.text
        exported = await client.get(
            "/api/v1/roster/export", params={"township": TOWN}, headers=admin
        )
        assert exported.status_code == 200
    assert set(threads) == {"read", "export"}
    assert loop_thread not in threads.values()
