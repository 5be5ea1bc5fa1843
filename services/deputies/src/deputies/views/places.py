"""Read side of places: townships, roster verifications, stations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from deputies.adapters.rows import aware
from deputies.adapters.tables import Tables
from deputies.domain.access import ScopeError
from deputies.domain.errors import NotFoundError
from deputies.views.common import reads_all, require_readable, scoped
from kit.db.ranges import within
from kit.principal import Principal


async def list_townships(
    session: AsyncSession, t: Tables, viewer: Principal
) -> list[dict[str, Any]]:
    """Return the townships in the viewer's scope, by code."""
    if not reads_all(viewer):
        raise ScopeError("no read access to townships")
    tw = t.townships
    rows = await session.execute(
        select(tw).where(within(tw.c.code, viewer.scope)).order_by(tw.c.code)
    )
    return [dict(r._mapping) for r in rows]


async def get_township(
    session: AsyncSession, t: Tables, viewer: Principal, code: str
) -> dict[str, Any]:
    """Return one township."""
    require_readable(viewer, code)
    row = (
        await session.execute(select(t.townships).where(t.townships.c.code == code))
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"township {code}")
    return dict(row._mapping)


async def roster_verifications(
    session: AsyncSession, t: Tables, viewer: Principal, code: str
) -> list[dict[str, Any]]:
    """Return a township's roster verifications, newest first."""
    await get_township(session, t, viewer, code)
    v = t.roster_verifications
    rows = await session.execute(
        select(v.c.verified_at, v.c.verified_by, v.c.deputy_count, v.c.note)
        .where(v.c.township == code)
        .order_by(v.c.seq.desc())
    )
    return [dict(r._mapping) for r in rows]


async def list_stations(
    session: AsyncSession,
    t: Tables,
    viewer: Principal,
    township: str | None,
    *,
    stale: bool | None = None,
    cutoff: datetime | None = None,
) -> list[dict[str, Any]]:
    """Return the stations in scope, by township and name; ``stale`` filters on the cutoff."""
    if not reads_all(viewer):
        raise ScopeError("no read access to stations")
    s = t.stations
    query = scoped(select(s), s.c.township, viewer, township)
    if stale is not None and cutoff is not None:
        old = s.c.content_updated_at <= cutoff
        query = query.where(old if stale else ~old)
    rows = await session.execute(query.order_by(s.c.township, s.c.name, s.c.id))
    return [{**r._mapping, "stale": _older(r.content_updated_at, cutoff)} for r in rows]


def _older(at: datetime, cutoff: datetime | None) -> bool | None:
    return None if cutoff is None else aware(at) <= cutoff


async def get_station(
    session: AsyncSession, t: Tables, viewer: Principal, station_id: str
) -> dict[str, Any]:
    """Return one station."""
    row = (
        await session.execute(select(t.stations).where(t.stations.c.id == station_id))
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"station {station_id}")
    require_readable(viewer, row.township)
    return dict(row._mapping)


async def station_names(session: AsyncSession, t: Tables, viewer: Principal) -> dict[str, str]:
    """Return the names of the stations in the viewer's scope, by id."""
    s = t.stations
    rows = await session.execute(select(s.c.id, s.c.name).where(within(s.c.township, viewer.scope)))
    return dict(rows.tuples().all())
