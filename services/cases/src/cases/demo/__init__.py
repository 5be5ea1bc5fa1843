"""Demo county 青山县 (990101): handling units and a year of suggestions and opinions.

``python -m cases.demo`` migrates the database and loads it once; a second run changes nothing.
About 120 suggestions (mostly filed at the January congress sessions) and 150 constituents'
opinions (monthly reception days) go through triage, assignment, returns, an extension, key
chases, replies A/B/C/D, feedback, re-handling and follow-up at realistic dates, through the
handlers themselves; then the chase scheduler runs once for ``today``. Text and people come from
Faker zh_CN and a fixed seed, so every load looks the same (dates follow ``today``).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from datetime import date

from faker import Faker
from sqlalchemy import func, select

from cases.adapters.store import UnitRecord
from cases.bootstrap import migrate
from cases.demo.county import (
    COUNTY,
    COUNTY_NAME,
    SHORT_CLOCK,
    TOWNSHIPS,
    UNITS,
    Cast,
    cast_of,
)
from cases.demo.year import Year
from cases.domain.states import HANDLING
from cases.handlers.context import Caller, Services
from cases.handlers.units import register_unit, set_opinion_clock
from cases.jobs import chase
from cases.settings import CasesSettings
from cases.wiring import wire
from kit.logging import configure_logging

log = logging.getLogger(__name__)


async def load(svc: Services, *, today: date | None = None) -> bool:
    """Load the demo county's year unless it is there already; return whether anything was loaded."""
    async with svc.uow() as uow:
        if await svc.store(uow).units([UNITS[0][0]]):
            return False
    day = today or svc.today()
    rng = random.Random(990101)  # noqa: S311 - demo data, not security
    Faker.seed(990101)
    fake = Faker("zh_CN")
    cast = cast_of(fake)
    year = Year(svc, cast, rng, fake, day)
    year.draw()
    start = svc.calendar.on_or_before(min(i.received for i in year.items))
    first = year.on(start)
    admin = Caller(principal=cast.admin, correlation_id="demo-setup")
    for unit_id, name in UNITS:
        await register_unit(first, admin, UnitRecord(unit_id, name, COUNTY, active=True))
    await _roster(svc, cast)
    township, days = SHORT_CLOCK
    staff = Caller(principal=cast.staff[township], correlation_id="demo-setup")
    await set_opinion_clock(first, staff, township, days)
    await year.play()
    report = await chase(year.on(day), day)
    states, overdue = await _summary(svc, day)
    log.info(
        "demo cases loaded: %d cases (%s), %d overdue, %d chase announcements on %s",
        sum(states.values()),
        ", ".join(f"{s} {n}" for s, n in sorted(states.items())),
        overdue,
        report.announced,
        day.isoformat(),
    )
    return True


async def _roster(svc: Services, cast: Cast) -> None:
    """Seed the roster projection with the townships and deputies, as deputies.events would."""
    t = svc.tables.townships
    d = svc.tables.deputies
    async with svc.uow() as uow:
        seen = set((await uow.session.execute(select(d.c.deputy_id))).scalars().all())
        people = [
            {
                "deputy_id": p.deputy_id,
                "township": p.township,
                "name": p.name,
                "status": "active",
                "version": 0,
            }
            for group in cast.deputies.values()
            for p in group
            if p.deputy_id not in seen
        ]
        if people:
            await uow.session.execute(d.insert(), people)
        known = set((await uow.session.execute(select(t.c.code))).scalars().all())
        rows = [
            {
                "code": tw.code,
                "name": tw.name,
                "kind": "subdistrict" if tw.session is None else "town",
            }
            for tw in TOWNSHIPS
            if tw.code not in known
        ]
        if rows:
            await uow.session.execute(t.insert(), rows)
        await uow.commit()


async def _summary(svc: Services, today: date) -> tuple[Counter[str], int]:
    c = svc.tables.cases.c
    async with svc.uow() as uow:
        rows = await uow.session.execute(select(c.state, func.count()).group_by(c.state))
        states = Counter({str(state): int(n) for state, n in rows.all()})
        overdue = await uow.session.scalar(
            select(func.count())
            .select_from(svc.tables.cases)
            .where(c.state.in_([s.value for s in HANDLING]), c.due_on < today)
        )
    return states, int(overdue or 0)


async def run(settings: CasesSettings, *, today: date | None = None) -> bool:
    """Migrate the database and load the demo county into it."""
    await migrate(settings)
    core = wire(settings)
    try:
        return await load(core.services, today=today)
    finally:
        await core.runtime.stop()


def main() -> None:
    """Entry point of ``python -m cases.demo``."""
    settings = CasesSettings.for_service("cases")
    configure_logging(
        service=settings.service_name, level=settings.log_level, fmt=settings.log_format
    )
    loaded = asyncio.run(run(settings))
    print(
        f"demo county {COUNTY_NAME} loaded"
        if loaded
        else f"demo county {COUNTY_NAME} already loaded; nothing changed"
    )
