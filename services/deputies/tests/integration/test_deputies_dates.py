"""Plausible dates: elections not in the future, deputies of age, manuscripts not ahead of time;
the roster export's 当选日期 is the election day, whatever happened to the mandate since."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from deputies.testing import bodies
from deputies.testing.api import headers, running_app
from deputies.testing.harness import count, settings_for
from kit import clock

pytestmark = pytest.mark.integration

TOWN = "990101001"


async def test_implausible_dates_are_refused_and_change_nothing(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", "990101")
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    async with running_app(settings, relay=False) as (service, client):
        await client.post("/api/v1/townships", json=bodies.township(TOWN), headers=admin)
        cases = {
            "elected_on": bodies.deputy(TOWN, elected_on=tomorrow),
            "birth_date": bodies.deputy(TOWN, birth_date="2005-01-01", elected_on="2021-12-28"),
        }
        for field, body in cases.items():
            answer = await client.post("/api/v1/deputies", json=body, headers=admin)
            assert answer.status_code == 422, answer.text
            assert [e["loc"] for e in answer.json()["errors"]] == [["body", field]]
        manuscript = {
            "township": TOWN,
            "title": "稿件",
            "author": "通讯员",
            "submitted_on": tomorrow,
        }
        answer = await client.post("/api/v1/manuscripts", json=manuscript, headers=admin)
        assert answer.status_code == 422
        t = service.services.tables
        assert await count(service.runtime.engine, t.deputies) == 0
        assert await count(service.runtime.engine, t.manuscripts) == 0


async def test_the_export_gives_the_election_day_after_a_departure(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", "990101")
    async with running_app(settings, relay=False) as (_, client):
        await client.post("/api/v1/townships", json=bodies.township(TOWN), headers=admin)
        deputy = (
            await client.post("/api/v1/deputies", json=bodies.deputy(TOWN), headers=admin)
        ).json()
        left = await client.post(
            f"/api/v1/deputies/{deputy['id']}/status",
            json={"status": "terminated", "reason": "moved_out", "effective_date": "2026-03-01"},
            headers={**admin, "If-Match": '"1"'},
        )
        assert left.status_code == 200, left.text
        response = await client.get(
            "/api/v1/roster/export", params={"township": TOWN}, headers=admin
        )
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet is not None
        rows = [[c.value for c in row] for row in sheet.iter_rows()]
        elected = rows[1][rows[0].index("当选日期")]
        assert str(elected)[:10] == "2021-12-28"
