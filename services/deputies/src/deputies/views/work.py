"""Read side of the work record: activities with attendance, highlights, manuscripts."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from deputies.adapters.rows import levels_of
from deputies.adapters.tables import Tables
from deputies.domain.access import ScopeError, can_read
from deputies.domain.errors import NotFoundError
from deputies.domain.model import TOWNSHIP_CODE_LENGTH
from deputies.views.common import Page, reads_all, scope_condition, scoped
from kit.principal import Principal


def _activity_dict(m: Any) -> dict[str, Any]:
    return {
        "id": m["id"],
        "township": m["township"] if len(m["township"]) == TOWNSHIP_CODE_LENGTH else None,
        "type": m["type"],
        "title": m["title"],
        "levels": sorted(lv.value for lv in levels_of(m["level_county"], m["level_township"])),
        "held_on": m["held_on"],
        "duration_hours": m["duration_hours"],
        "station_id": m["station_id"],
        "state": m["state"],
        "host": m["township"][:6] if m["level_county"] else m["township"],
        "version": m["version"],
    }


async def list_activities(
    session: AsyncSession,
    t: Tables,
    viewer: Principal,
    *,
    township: str | None,
    type_: str | None,
    held_from: date | None,
    held_to: date | None,
    page: int,
    page_size: int,
) -> Page:
    """Return a page of activities in scope (county-wide ones included), newest first."""
    if not reads_all(viewer):
        raise ScopeError("no read access to activities")
    a, p = t.activities, t.activity_townships
    taking_part = exists().where(
        p.c.activity_id == a.c.id, scope_condition(p.c.township, viewer, township)
    )
    query = select(a).where(or_(scope_condition(a.c.township, viewer, township), taking_part))
    if type_:
        query = query.where(a.c.type == type_)
    if held_from:
        query = query.where(a.c.held_on >= held_from)
    if held_to:
        query = query.where(a.c.held_on <= held_to)
    total = int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = await session.execute(
        query.order_by(a.c.held_on.desc(), a.c.id).limit(page_size).offset((page - 1) * page_size)
    )
    return Page([_activity_dict(r._mapping) for r in rows], total, page, page_size)


async def get_activity(
    session: AsyncSession, t: Tables, viewer: Principal, activity_id: str
) -> dict[str, Any]:
    """Return one activity with its attendance."""
    row = (
        await session.execute(select(t.activities).where(t.activities.c.id == activity_id))
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"activity {activity_id}")
    townships = set(
        await session.scalars(
            select(t.activity_townships.c.township).where(
                t.activity_townships.c.activity_id == activity_id
            )
        )
    )
    if not any(can_read(viewer, code) for code in townships | {row.township}):
        raise ScopeError(f"no read access to activity {activity_id}")
    at = t.attendance
    marks = await session.execute(
        select(at.c.deputy_id, at.c.mark)
        .where(at.c.activity_id == activity_id)
        .order_by(at.c.deputy_id)
    )
    item = _activity_dict(row._mapping)
    item["attendance"] = [{"deputy_id": d, "mark": m} for d, m in marks]
    place = {row.township} if len(row.township) == TOWNSHIP_CODE_LENGTH else set()
    item["participating_townships"] = sorted(townships | place)
    return item


async def list_highlights(
    session: AsyncSession, t: Tables, viewer: Principal, township: str | None, year: int | None
) -> list[dict[str, Any]]:
    """Return highlight reports in scope, newest year first."""
    if not reads_all(viewer):
        raise ScopeError("no read access to highlights")
    h = t.highlights
    query = scoped(select(h), h.c.township, viewer, township)
    if year is not None:
        query = query.where(h.c.year == year)
    rows = await session.execute(query.order_by(h.c.year.desc(), h.c.township, h.c.id))
    return [dict(r._mapping) for r in rows]


async def list_manuscripts(
    session: AsyncSession, t: Tables, viewer: Principal, township: str | None, state: str | None
) -> list[dict[str, Any]]:
    """Return manuscripts in scope, newest submission first."""
    if not reads_all(viewer):
        raise ScopeError("no read access to manuscripts")
    m = t.manuscripts
    query = scoped(select(m), m.c.township, viewer, township)
    if state:
        query = query.where(m.c.state == state)
    rows = await session.execute(query.order_by(m.c.submitted_on.desc(), m.c.id))
    return [dict(r._mapping) for r in rows]
