"""Chase announcements made before the upgrade to the kit's announcements_made are not made again."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select, text, update

from cases.bootstrap import MIGRATIONS
from cases.jobs import chase
from cases.testing import bodies
from cases.testing.harness import COUNTY, TOWNSHIP, headers, running_app, running_core, settings_for
from kit.clock import CHINA, today
from kit.db import make_engine
from kit.migrate import downgrade, revision_before, upgrade

pytestmark = pytest.mark.integration

STEP = "0002_announced"  # the migration that moves case_announcements into the kit's table


async def test_announcements_made_before_the_upgrade_are_not_made_again(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    admin = headers(settings, "county_admin", COUNTY)
    deputy = headers(settings, "deputy", TOWNSHIP, deputy_id="dep-1")
    async with running_app(settings, relay=False) as (_service, client):
        await client.post(
            "/api/v1/units", json=bodies.unit("traffic", "县交通运输局"), headers=admin
        )
        cases = []
        for i in range(3):
            body = bodies.suggestion("dep-1", title=f"道路建议{i}")
            case = (await client.post("/api/v1/suggestions", json=body, headers=deputy)).json()
            for path, payload in (("accept", {}), ("assign", {"lead_unit_id": "traffic"})):
                response = await client.post(
                    f"/api/v1/cases/{case['case_id']}/{path}",
                    json=payload,
                    headers={**admin, "If-Match": f'"{case["version"]}"'},
                )
                assert response.status_code == 200, response.text
                case = response.json()
            cases.append(case)
    ids = [c["case_id"] for c in cases]
    due_on = date.fromisoformat(cases[0]["due_on"])
    overdue_day = due_on + timedelta(days=1)
    async with running_core(settings, relay=False, migrated=True) as core:
        first = await chase(core.services, overdue_day)  # overdue + first escalation, each case
        assert first.announced == 2 * len(ids)
    # Back to the service's own table as it was before the kit's, with one row written the old
    # way (the last case's overdue notice of the next round), then forward again.
    await downgrade(MIGRATIONS, database_url, revision_before(MIGRATIONS, STEP))
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            rows = (
                await conn.execute(
                    text("SELECT case_id, key, announced_on FROM case_announcements")
                )
            ).all()
            await conn.execute(
                text("INSERT INTO case_announcements VALUES (:case, 'r9:overdue:breach', :day)"),
                {"case": ids[-1], "day": overdue_day},
            )
    finally:
        await engine.dispose()
    assert Counter(r.case_id for r in rows) == dict.fromkeys(ids, 2)
    assert {r.announced_on for r in rows} == {today()}  # the China day they were made
    await upgrade(MIGRATIONS, database_url)
    async with running_core(settings, relay=False, migrated=True) as core:
        made = core.runtime.tables.announcements
        cases_table = core.services.tables.cases
        async with core.runtime.engine.begin() as conn:
            moved = (await conn.execute(select(made))).all()
            # make every case due for a look again: only the ledger stands between it and a repeat
            await conn.execute(update(cases_table).values(chase_on=overdue_day))
        assert len(moved) == 2 * len(ids) + 1
        assert ("r9:overdue:breach", ids[-1]) in {(m.key, m.scope) for m in moved}
        made_at = {(m.scope, m.key): m.made_at for m in moved}
        midnight = datetime.combine(overdue_day, time(), CHINA).astimezone(UTC)
        assert made_at[(ids[-1], "r9:overdue:breach")] == midnight
        again = await chase(core.services, overdue_day)
        assert (again.looked_at, again.announced) == (len(ids), 0)
        outbox = core.runtime.tables.outbox
        async with core.runtime.engine.connect() as conn:
            types = (await conn.execute(select(outbox.c.event_type))).scalars().all()
        chased = Counter(t for t in types if t.endswith(("overdue", "escalated")))
        assert chased == {"cases.case.overdue": len(ids), "cases.case.escalated": len(ids)}
