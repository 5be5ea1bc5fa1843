"""The chase scheduler (督办): warnings, overdue notices, reminders and escalations, once each.

A tick reads only the cases whose chase day has come (an indexed column), decides what each owes
with the pure chasing rules, and in one transaction per batch records each announcement's key in
the kit's ``announcements_made`` (scope: the case id), stages its event and moves the case's chase
day on. A second instance or a
restart finds the keys and announces nothing twice; the lease only keeps instances from racing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.exc import IntegrityError

from cases import events
from cases.domain.chasing import (
    assignment_announcements,
    due_announcements,
    next_assignment_chase_day,
    next_chase_day,
)
from cases.handlers.context import Services
from cases.metrics import refresh_gauges

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TickReport:
    """What one tick did."""

    looked_at: int
    announced: int


async def chase(svc: Services, today: date | None = None) -> TickReport:
    """Announce everything the running clocks owe today; return how much was looked at and said."""
    day = today or svc.today()
    looked = announced = 0
    while True:
        batch, said, more = await _batch(svc, day)
        looked += batch
        announced += said
        if not more:
            break
    if announced:
        log.info("chase: %d announcements over %d cases", announced, looked)
    return TickReport(looked, announced)


async def count_cases(svc: Services) -> None:
    """Recount the open and overdue gauges (a job of its own: it reads every open case)."""
    if svc.metrics is not None:
        await refresh_gauges(svc.uow, svc.tables, svc.metrics, svc.today())


async def _batch(svc: Services, day: date) -> tuple[int, int, bool]:
    try:
        async with svc.uow() as uow:
            store = svc.store(uow)
            due = await store.due_for_chase(day, svc.chase_batch)
            ids = [cid for cid, _ in due]
            announced = await svc.announcements.made(uow.session, ids)
            loaded = await store.cases(ids)
            claims: list[tuple[str, str]] = []
            notices: list[str] = []
            moves: list[tuple[str, int, date | None]] = []
            for case_id, version in due:
                case = loaded.get(case_id)
                clock = case.running_clock() if case else None
                waiting = case.assignment_clock() if case else None
                if case is not None and clock is None and waiting is not None:
                    for item in assignment_announcements(
                        waiting, day, announced[case_id], svc.chase
                    ):
                        claims.append((case_id, item.key))
                        uow.stage(events.assignment_chased(case, item))
                        notices.append(f"assignment_{item.notice.value}")
                    later_day = next_assignment_chase_day(
                        waiting, day + timedelta(days=1), svc.chase
                    )
                    moves.append((case_id, version, later_day))
                    continue
                if case is None or clock is None:
                    moves.append((case_id, version, None))
                    continue
                for item in due_announcements(
                    clock, day, announced[case_id], svc.calendar, svc.chase
                ):
                    claims.append((case_id, item.key))
                    uow.stage(events.chased(case, item))
                    notices.append(item.notice.value)
                later = next_chase_day(clock, day + timedelta(days=1), svc.calendar, svc.chase)
                moves.append((case_id, version, later))
            await store.move_chase_days(moves)
            await svc.announcements.record(uow.session, claims, svc.now())
            await uow.commit()
    except IntegrityError:
        log.warning("chase: another instance announced part of this batch; looking again")
        return 0, 0, True
    if svc.metrics is not None:
        for notice in notices:
            svc.metrics.announcements.labels(notice=notice).inc()
    return len(due), len(claims), len(due) == svc.chase_batch
