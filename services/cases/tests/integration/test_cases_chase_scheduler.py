"""The chase scheduler announces each warning, overdue notice, reminder and escalation once.

Two instances tick the same day at the same time, and a restarted instance ticks again: every
announcement is in the outbox exactly once, and the events reach Kafka keyed by case id.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from cases.jobs import chase, count_cases
from cases.testing import bodies
from cases.testing.harness import (
    COUNTY,
    TOWNSHIP,
    drained,
    headers,
    published_all,
    running_app,
    running_core,
    settings_for,
)
from cases.wiring import Core

pytestmark = pytest.mark.integration
CASES = 12


async def _assigned(client: httpx.AsyncClient, auth: dict[str, dict[str, str]]) -> list[str]:
    for unit_id, name in bodies.UNITS[:2]:
        await client.post("/api/v1/units", json=bodies.unit(unit_id, name), headers=auth["admin"])
    ids = []
    for i in range(CASES):
        body = bodies.suggestion("dep-1", title=f"道路建议{i}")
        case = (await client.post("/api/v1/suggestions", json=body, headers=auth["deputy"])).json()
        for path, payload in (("accept", {}), ("assign", {"lead_unit_id": "traffic"})):
            response = await client.post(
                f"/api/v1/cases/{case['case_id']}/{path}",
                json=payload,
                headers={**auth["admin"], "If-Match": f'"{case["version"]}"'},
            )
            assert response.status_code == 200, response.text
            case = response.json()
        ids.append(case["case_id"])
    return ids


async def _announcements(core: Core) -> list[tuple[str, str]]:
    t = core.runtime.tables.outbox
    async with core.runtime.engine.connect() as conn:
        rows = await conn.execute(select(t.c.event_type, t.c.key).order_by(t.c.seq))
        return [(r.event_type, r.key) for r in rows if ".case." in r.event_type]


def _chase_types(rows: list[tuple[str, str]]) -> Counter[str]:
    kinds = {"warning", "overdue", "reminded", "escalated"}
    return Counter(t.rsplit(".", 1)[1] for t, _ in rows if t.rsplit(".", 1)[1] in kinds)


async def test_two_instances_and_a_restart_announce_everything_exactly_once(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    auth = {
        "admin": headers(settings, "county_admin", COUNTY),
        "deputy": headers(settings, "deputy", TOWNSHIP, deputy_id="dep-1"),
    }
    async with running_app(settings, relay=False) as (service, client):
        ids = await _assigned(client, auth)
        case = (await client.get(f"/api/v1/cases/{ids[0]}", headers=auth["admin"])).json()
    assigned_on = date.fromisoformat(case["assigned_on"])
    due_on = date.fromisoformat(case["due_on"])
    half = assigned_on + timedelta(days=-(-(due_on - assigned_on).days // 2))
    late = service.services.calendar.on_or_after(due_on + timedelta(days=30))  # a working day
    days = [
        half - timedelta(days=1),  # nothing yet
        half,  # 50 % warning
        half,  # the same day again: nothing new
        due_on + timedelta(days=1),  # overdue + township chair escalation (75 % skipped)
        late,  # county committee, vice chair, one reminder
        late,
    ]
    reports: list[Any] = []
    for day in days:
        # a fresh pair of instances per day: every tick after the first is a restart
        async with (
            running_core(settings, relay=False, migrated=True) as one,
            running_core(settings, relay=False, migrated=True) as two,
        ):
            reports.extend(await asyncio.gather(chase(one.services, day), chase(two.services, day)))
    assert sum(r.announced for r in reports[:2]) == 0
    async with running_core(settings, relay=True, migrated=True) as core:
        rows = await _announcements(core)
        counts = _chase_types(rows)
        assert counts == {
            "warning": CASES,
            "overdue": CASES,
            "escalated": 3 * CASES,
            "reminded": CASES,
        }, counts
        per_case = Counter(key for _, key in rows)
        assert set(per_case) == set(ids)
        await drained(core.runtime)
        records = await published_all(topic_prefix)
        assert len(records) == len(rows) + CASES  # exactly the outbox (+ submitted), none twice
    chased = [r for r in records if r["envelope"]["type"] == "cases.case.escalated"]
    levels = Counter((r["key"], r["envelope"]["data"]["level"]) for r in chased)
    assert len(levels) == 3 * CASES
    assert set(levels.values()) == {1}


async def test_a_case_that_is_replied_is_no_longer_chased(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    auth = {
        "admin": headers(settings, "county_admin", COUNTY),
        "deputy": headers(settings, "deputy", TOWNSHIP, deputy_id="dep-1"),
    }
    unit = headers(settings, "handling_unit", COUNTY, unit_id="traffic")
    async with running_app(settings, relay=False) as (service, client):
        ids = await _assigned(client, auth)
        case = (await client.get(f"/api/v1/cases/{ids[0]}", headers=unit)).json()
        replied = await client.post(
            f"/api/v1/cases/{ids[0]}/reply",
            json={"reply_class": "A", "text": "已完成。"},
            headers={**unit, "If-Match": f'"{case["version"]}"'},
        )
        assert replied.status_code == 200, replied.text
        due_on = date.fromisoformat(case["due_on"])
        report = await chase(service.services, due_on + timedelta(days=1))
        assert report.looked_at == CASES - 1
        rows = await _announcements(service_core(service))
        assert ids[0] not in {key for t, key in rows if t.endswith("overdue")}
        registry = service.runtime.registry
        assert registry.get_sample_value(
            "cases_chase_announcements_total", {"notice": "overdue"}
        ) == float(CASES - 1)
        await count_cases(service.services)
        open_now = registry.get_sample_value("cases_open_cases", {"township": TOWNSHIP})
        assert open_now == float(CASES)  # replied is not closed
        metrics = (await client.get("/metrics")).text
        assert "cases_overdue_cases" in metrics


def service_core(service: Any) -> Core:
    """Return the runtime and services of a built service as a core."""
    return Core(service.runtime, service.services)
