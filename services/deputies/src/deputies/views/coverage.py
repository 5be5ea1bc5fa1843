"""Read side of participation: a plan's attendance with names, coverage per township or deputy."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from deputies.adapters.rows import deputy_from_row
from deputies.adapters.tables import Tables
from deputies.domain.access import ScopeError, can_read, can_read_deputy
from deputies.domain.coverage import DeputyCoverage, Mark, coverage
from deputies.domain.errors import FieldError, InputError, NotFoundError
from deputies.domain.model import ActivityState, ActivityType, Attendance, DeputyStatus
from kit.principal import Principal

#: The longest period one coverage request covers (a term and its grace).
LONGEST_PERIOD_DAYS = 6 * 366


async def township_names(session: AsyncSession, t: Tables) -> dict[str, str]:
    """Return every township's name by code."""
    rows = await session.execute(select(t.townships.c.code, t.townships.c.name))
    return dict(rows.tuples().all())


async def station_place(session: AsyncSession, t: Tables, station_id: str | None) -> str | None:
    """Return a station's name and address as a place to print, if there is a station."""
    if station_id is None:
        return None
    row = (
        await session.execute(
            select(t.stations.c.name, t.stations.c.address).where(t.stations.c.id == station_id)
        )
    ).one_or_none()
    return None if row is None else f"{row.name}（{row.address}）"


async def plan_attendance(session: AsyncSession, t: Tables, plan_id: str) -> list[dict[str, Any]]:
    """Return the deputies expected at a plan and anyone marked when it was held, with marks."""
    e, d, at = t.planned_participants, t.deputies, t.attendance
    expected = set(await session.scalars(select(e.c.deputy_id).where(e.c.plan_id == plan_id)))
    marks = dict(
        (
            await session.execute(
                select(at.c.deputy_id, at.c.mark).where(at.c.activity_id == plan_id)
            )
        )
        .tuples()
        .all()
    )
    rows = await session.execute(
        select(d.c.id, d.c.name, d.c.township)
        .where(d.c.id.in_(expected | set(marks)))
        .order_by(d.c.name, d.c.id)
    )
    return [
        {
            "deputy_id": i,
            "name": n,
            "township": tw,
            "mark": marks.get(i),
            "expected": i in expected,
        }
        for i, n, tw in rows
    ]


async def coverage_rows(
    session: AsyncSession,
    t: Tables,
    viewer: Principal,
    township: str | None,
    deputy_id: str | None,
    starts: date,
    ends: date,
) -> list[DeputyCoverage]:
    """Return who attended what in the period, and each deputy's last training this term."""
    if ends < starts or (ends - starts).days > LONGEST_PERIOD_DAYS:
        raise InputError([FieldError(("to",), "give a period of at most six years, from ≤ to")])
    d = t.deputies
    if deputy_id is not None:
        row = (await session.execute(select(d).where(d.c.id == deputy_id))).one_or_none()
        if row is None:
            raise NotFoundError(f"deputy {deputy_id}")
        if not can_read_deputy(viewer, row.township, deputy_id):
            raise ScopeError(f"no read access to deputy {deputy_id}")
        deputies = [deputy_from_row(row)]
    else:
        if township is None:
            raise InputError([FieldError(("township",), "give a township or a deputy", "missing")])
        if not can_read(viewer, township):
            raise ScopeError(f"no read access to township {township}")
        rows = await session.execute(select(d).where(d.c.township == township))
        deputies = [
            dep
            for dep in map(deputy_from_row, rows)
            if dep.status is not DeputyStatus.terminated
            or (dep.status_since is not None and dep.status_since >= starts)
        ]
    ids = [dep.id for dep in deputies]
    a, at = t.activities, t.attendance
    base = (
        select(at.c.deputy_id, a.c.id, a.c.title, a.c.type, a.c.held_on, at.c.mark)
        .join(a, a.c.id == at.c.activity_id)
        .where(at.c.deputy_id.in_(ids), a.c.state == ActivityState.logged.value)
    )
    period = await session.execute(base.where(a.c.held_on >= starts, a.c.held_on <= ends))
    trainings = await session.execute(
        base.where(
            a.c.type == ActivityType.training.value,
            at.c.mark == Attendance.present.value,
            a.c.held_on <= ends,
        )
    )
    return coverage(deputies, map(_mark, period), map(_mark, trainings))


def _mark(r: Any) -> Mark:
    return Mark(
        deputy_id=r[0],
        activity_id=r[1],
        title=r[2],
        type=ActivityType(r[3]),
        held_on=r[4],
        mark=Attendance(r[5]),
    )


def coverage_dict(r: DeputyCoverage) -> dict[str, Any]:
    """Return one deputy's coverage as the API shows it."""
    return {
        "deputy_id": r.deputy_id,
        "name": r.name,
        "township": r.township,
        "present": r.present,
        "excused": r.excused,
        "unexcused_absence": r.absent,
        "trained_this_term": r.trained,
        "last_training": r.last_training,
        "activities": [
            {
                "activity_id": m.activity_id,
                "title": m.title,
                "type": m.type.value,
                "held_on": m.held_on,
                "mark": m.mark.value,
            }
            for m in r.marks
        ],
    }
