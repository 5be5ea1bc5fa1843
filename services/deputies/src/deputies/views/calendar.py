"""Read side of planned activities: one plan, and calendars per township, station or deputy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from deputies.adapters.rows import aware, levels_of
from deputies.adapters.tables import Tables
from deputies.domain.access import ScopeError, can_read, can_read_deputy
from deputies.domain.errors import NotFoundError
from deputies.views.common import Page, reads_all, scope_condition
from kit.principal import Principal


@dataclass(frozen=True)
class CalendarFilter:
    """Whose calendar (at most one of township, station, deputy) and which plans."""

    township: str | None = None
    station_id: str | None = None
    deputy_id: str | None = None
    starts_from: datetime | None = None
    starts_to: datetime | None = None
    state: str | None = None


def plan_dict(m: Any) -> dict[str, Any]:
    """Return a plan's row as the API shows it."""
    return {
        "id": m["id"],
        "township": m["township"],
        "type": m["type"],
        "title": m["title"],
        "levels": sorted(lv.value for lv in levels_of(m["level_county"], m["level_township"])),
        "starts_at": aware(m["starts_at"]),
        "ends_at": aware(m["ends_at"]),
        "station_id": m["station_id"],
        "address": m["address"],
        "state": m["state"],
        "sequence": m["sequence"],
        "host": m["township"][:6] if m["level_county"] else m["township"],
        "version": m["version"],
    }


async def _owner_township(session: AsyncSession, t: Tables, f: CalendarFilter) -> str | None:
    """Return the township a station's or deputy's calendar belongs to (404 when unknown)."""
    if f.station_id:
        code = await session.scalar(
            select(t.stations.c.township).where(t.stations.c.id == f.station_id)
        )
        if code is None:
            raise NotFoundError(f"station {f.station_id}")
        return str(code)
    if f.deputy_id:
        code = await session.scalar(
            select(t.deputies.c.township).where(t.deputies.c.id == f.deputy_id)
        )
        if code is None:
            raise NotFoundError(f"deputy {f.deputy_id}")
        return str(code)
    return None


async def calendar_query(
    session: AsyncSession, t: Tables, viewer: Principal, f: CalendarFilter
) -> Any:
    """Return the query of the plans a calendar shows, after checking the viewer may read it."""
    p, e = t.planned_activities, t.planned_participants
    owner = await _owner_township(session, t, f)
    query = select(p)
    if f.deputy_id:
        assert owner is not None
        if not can_read_deputy(viewer, owner, f.deputy_id):
            raise ScopeError(f"no read access to the calendar of deputy {f.deputy_id}")
        query = query.where(exists().where(e.c.plan_id == p.c.id, e.c.deputy_id == f.deputy_id))
    elif f.station_id:
        assert owner is not None
        if not can_read(viewer, owner):
            raise ScopeError(f"no read access to station {f.station_id}")
        query = query.where(p.c.station_id == f.station_id)
    else:
        if not reads_all(viewer):
            raise ScopeError("no read access to township calendars")
        query = query.where(scope_condition(p.c.township, viewer, f.township))
    if f.starts_from:
        query = query.where(p.c.ends_at >= f.starts_from)
    if f.starts_to:
        query = query.where(p.c.starts_at < f.starts_to)
    if f.state:
        query = query.where(p.c.state == f.state)
    return query


async def list_calendar(
    session: AsyncSession,
    t: Tables,
    viewer: Principal,
    f: CalendarFilter,
    *,
    page: int,
    page_size: int,
) -> Page:
    """Return a page of a calendar, soonest first."""
    p = t.planned_activities
    query = await calendar_query(session, t, viewer, f)
    total = int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = await session.execute(
        query.order_by(p.c.starts_at, p.c.id).limit(page_size).offset((page - 1) * page_size)
    )
    return Page([plan_dict(r._mapping) for r in rows], total, page, page_size)


async def calendar_rows(
    session: AsyncSession, t: Tables, viewer: Principal, f: CalendarFilter, *, limit: int
) -> list[dict[str, Any]]:
    """Return a calendar's plans (the feed: soonest first, at most ``limit``), with places."""
    s = t.stations
    query = (await calendar_query(session, t, viewer, f)).subquery()
    rows = await session.execute(
        select(query, s.c.name.label("station_name"), s.c.address.label("station_address"))
        .outerjoin(s, s.c.id == query.c.station_id)
        .order_by(query.c.starts_at, query.c.id)
        .limit(limit)
    )
    out = []
    for r in rows:
        item = plan_dict(r._mapping)
        item["station_name"] = r.station_name
        item["station_address"] = r.station_address
        out.append(item)
    return out


async def expected_deputies(session: AsyncSession, t: Tables, plan_id: str) -> list[dict[str, Any]]:
    """Return the deputies expected at a plan (id, name, township), by name."""
    e, d = t.planned_participants, t.deputies
    rows = await session.execute(
        select(d.c.id, d.c.name, d.c.township)
        .join(e, e.c.deputy_id == d.c.id)
        .where(e.c.plan_id == plan_id)
        .order_by(d.c.name, d.c.id)
    )
    return [{"deputy_id": i, "name": n, "township": tw} for i, n, tw in rows]


async def get_plan(
    session: AsyncSession, t: Tables, viewer: Principal, plan_id: str
) -> dict[str, Any]:
    """Return one plan with its expected deputies (readers of its township, and those expected)."""
    row = (
        await session.execute(
            select(t.planned_activities).where(t.planned_activities.c.id == plan_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"planned activity {plan_id}")
    expected = await expected_deputies(session, t, plan_id)
    mine = viewer.deputy_id is not None and any(
        e["deputy_id"] == viewer.deputy_id for e in expected
    )
    if not (can_read(viewer, row.township) or mine):
        raise ScopeError(f"no read access to planned activity {plan_id}")
    item = plan_dict(row._mapping)
    item["expected"] = expected
    return item
