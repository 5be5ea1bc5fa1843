"""Official holiday arrangements: recount open deadlines when a year is loaded; report coverage."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from sqlalchemy import insert, or_, select, update

from cases import events
from cases.domain.calendar import recount
from cases.domain.deadlines import UNASSIGNED
from cases.domain.records import Actor
from cases.domain.states import HANDLING
from cases.domain.workdays import WorkCalendar
from cases.handlers.context import Services
from contracts import cases as ev
from kit.events import event

log = logging.getLogger(__name__)
SYSTEM = Actor("system:calendar")
SOURCE = "/services/cases"


def coverage(calendar: WorkCalendar, today: date) -> dict[str, Any]:
    """Return whether this and next year's official holidays are known (for /readyz)."""
    years = (today.year, today.year + 1)
    missing = calendar.uncovered(*years)
    return {
        "holiday_calendar": {
            "covered": [y for y in years if y not in missing],
            "uncovered": missing,
            "loaded": sorted(calendar.official),
        }
    }


def warn_uncovered(calendar: WorkCalendar, today: date) -> list[int]:
    """Log a warning naming this or next year when its official holidays are unknown."""
    missing = calendar.uncovered(today.year, today.year + 1)
    for year in missing:
        log.warning(
            "no official holiday arrangement for %d: deadlines in it are counted Monday to "
            "Friday; load it with CASES_OFFICIAL_CALENDARS",
            year,
        )
    return missing


async def apply_official_years(svc: Services) -> int:
    """Recount the open deadlines of every official year loaded since the last run; return moves."""
    moved = 0
    for year, arrangement in sorted(svc.calendar.official.items()):
        t = svc.tables.calendar_years
        async with svc.uow() as uow:
            known = await uow.session.scalar(select(t.c.digest).where(t.c.year == year))
            if known == arrangement.digest:
                continue
            moved += await _recount_year(svc, uow, year)
            values = {"digest": arrangement.digest, "loaded_at": svc.clock()}
            if known is None:
                await uow.session.execute(insert(t).values(year=year, **values))
            else:
                await uow.session.execute(update(t).where(t.c.year == year).values(**values))
            await uow.commit()
        log.info("official calendar %d loaded: %d open deadlines moved", year, moved)
    return moved


async def _recount_year(svc: Services, uow: Any, year: int) -> int:
    c = svc.tables.cases.c
    first = date(year, 1, 1)
    ids = (
        (
            await uow.session.execute(
                select(c.case_id).where(
                    or_(
                        c.state.in_([s.value for s in HANDLING]) & (c.due_on >= first),
                        c.state.in_([s.value for s in UNASSIGNED]),
                    )
                )
            )
        )
        .scalars()
        .all()
    )
    store = svc.store(uow)
    today, at, moved = svc.today(), svc.clock(), 0
    for case_id in ids:
        case = await store.case(case_id, lock=True)
        if case is None:
            continue
        version = case.version
        change = recount(case, await svc.clocks(store, case.township), year, SYSTEM, at)
        if change is None:
            continue
        moved += 1
        await store.save_case(
            case, expected_version=version, chase_on=svc.chase_on(case, today), at=at
        )
        uow.stage(
            event(
                ev.CaseDueDateRecomputed(
                    case_id=case.case_id,
                    township=case.township,
                    case_number=events.number_of(case),
                    clock=change.clock,
                    previous_due_on=change.previous,
                    due_on=change.due_on,
                    calendar_year=year,
                ),
                source=SOURCE,
            )
        )
    return moved
