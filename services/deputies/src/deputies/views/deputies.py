"""Read side of the roster: deputies listed, filtered, paged and masked by role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from deputies.adapters.rows import levels_of
from deputies.adapters.tables import Tables
from deputies.domain.access import ScopeError, can_read_deputy, sees_contact
from deputies.domain.errors import NotFoundError
from deputies.domain.model import Level
from deputies.views.common import Page, reads_all, scope_condition
from kit.masking import mask_address, mask_id_number, mask_phone
from kit.principal import Principal

CONTACT = ("phone", "id_number", "address")  # and the birth date, shown as a year when masked
_MASKS = {"phone": mask_phone, "id_number": mask_id_number, "address": mask_address}


@dataclass(frozen=True)
class DeputyFilter:
    """Query parameters of the deputy list."""

    township: str | None = None
    level: str | None = None
    status: str | None = None
    deputy_group: str | None = None
    term: int | None = None
    station_id: str | None = None
    name: str | None = None


def deputy_dict(m: Any, viewer: Principal, *, reveal: bool = True) -> tuple[dict[str, Any], bool]:
    """Return a deputy as the viewer may see it, and whether restricted data is in clear.

    Lists pass ``reveal=False``: restricted data is in clear only on one record at a time, for a
    viewer entitled to it (minimum necessary, PIPL Art. 6), and each such read is audited.
    """
    clear = reveal and sees_contact(viewer, m["township"], m["id"])
    levels = levels_of(m["level_county"], m["level_township"])
    item = {
        "id": m["id"],
        "township": m["township"],
        "name": m["name"],
        "gender": m["gender"],
        "birth_date": m["birth_date"] if clear else None,
        "birth_year": m["birth_date"].year if m["birth_date"] else None,
        "ethnicity": m["ethnicity"],
        "party": m["party"],
        "occupation": m["occupation"],
        "sector": m["sector"],
        "levels": sorted(level.value for level in levels),
        "mandates": [
            {"level": level.value, "status": _mandate(m, level)} for level in sorted(levels)
        ],
        "electoral_district": m["electoral_district"],
        "deputy_group": m["deputy_group"],
        "station_id": m["station_id"],
        "term": m["term"],
        "elected_by": m["elected_by"],
        "status": m["status"],
        "status_reason": m["status_reason"],
        "status_since": m["status_since"],
        "elected_on": m["elected_on"],
        "version": m["version"],
        "contact_masked": not clear,
    }
    shown = False
    for name in CONTACT:
        value = m[name]
        if value is None:
            item[name] = None
        elif clear:
            item[name] = value
            shown = True
        else:
            item[name] = _MASKS[name](value)
    return item, shown


def _mandate(m: Any, level: Level) -> str:
    """Return one mandate's status from a deputy row."""
    if m["status"] == "terminated":
        return "terminated"
    return "suspended" if m[f"suspended_{level.value}"] else "active"


def _deputy_conditions(t: Tables, viewer: Principal, f: DeputyFilter) -> list[ColumnElement[bool]]:
    if not reads_all(viewer):
        raise ScopeError("the roster is for staff; a deputy reads their own record")
    d = t.deputies
    where = [scope_condition(d.c.township, viewer, f.township)]
    if f.level == "county":
        where.append(d.c.level_county.is_(True))
    elif f.level == "township":
        where.append(d.c.level_township.is_(True))
    if f.status:
        where.append(d.c.status == f.status)
    if f.deputy_group:
        where.append(d.c.deputy_group == f.deputy_group)
    if f.term is not None:
        where.append(d.c.term == f.term)
    if f.station_id:
        where.append(d.c.station_id == f.station_id)
    if f.name:
        where.append(d.c.name.contains(f.name, autoescape=True))
    return where


def _items(rows: Any, viewer: Principal, *, reveal: bool) -> tuple[list[dict[str, Any]], list[str]]:
    items, clear = [], []
    for row in rows:
        item, shown = deputy_dict(row._mapping, viewer, reveal=reveal)
        items.append(item)
        if shown:
            clear.append(item["id"])
    return items, clear


async def list_deputies(
    session: AsyncSession,
    t: Tables,
    viewer: Principal,
    f: DeputyFilter,
    *,
    page: int,
    page_size: int,
) -> Page:
    """Return one page of the deputies the viewer may read, ordered by township, name and id."""
    d = t.deputies
    where = _deputy_conditions(t, viewer, f)
    total = int(await session.scalar(select(func.count()).select_from(d).where(*where)) or 0)
    order = (d.c.township, d.c.name, d.c.id)
    # Page through the (township, name, id) index alone, then fetch only the page's rows.
    ids = (
        select(d.c.id)
        .where(*where)
        .order_by(*order)
        .limit(page_size)
        .offset((page - 1) * page_size)
        .subquery()
    )
    rows = await session.execute(select(d).join(ids, ids.c.id == d.c.id).order_by(*order))
    items, clear = _items(rows, viewer, reveal=False)
    return Page(items, total, page, page_size, clear)


async def all_deputies(
    session: AsyncSession, t: Tables, viewer: Principal, f: DeputyFilter
) -> tuple[list[dict[str, Any]], list[str]]:
    """Return every deputy of a filter (for exports), masked for the viewer."""
    d = t.deputies
    where = _deputy_conditions(t, viewer, f)
    rows = await session.execute(select(d).where(*where).order_by(d.c.township, d.c.name, d.c.id))
    return _items(rows, viewer, reveal=True)


def deputy_view(row: Any, viewer: Principal) -> dict[str, Any]:
    """Return a deputy row (as read or as just written) as the viewer may see it."""
    if not can_read_deputy(viewer, row["township"], row["id"]):
        raise ScopeError("this deputy is outside your scope")
    return deputy_dict(row, viewer)[0]


async def get_deputy(
    session: AsyncSession, t: Tables, viewer: Principal, deputy_id: str
) -> tuple[dict[str, Any], bool]:
    """Return one deputy as the viewer may see it."""
    row = (
        await session.execute(select(t.deputies).where(t.deputies.c.id == deputy_id))
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"deputy {deputy_id}")
    if not can_read_deputy(viewer, row.township, deputy_id):
        raise ScopeError("this deputy is outside your scope")
    return deputy_dict(row._mapping, viewer)


async def deputy_history(
    session: AsyncSession, t: Tables, viewer: Principal, deputy_id: str
) -> list[dict[str, Any]]:
    """Return a deputy's status history, oldest first."""
    await get_deputy(session, t, viewer, deputy_id)
    h = t.status_history
    rows = await session.execute(
        select(
            h.c.seq.label("id"),
            h.c.from_status,
            h.c.level,
            h.c.state,
            h.c.to_status,
            h.c.reason,
            h.c.effective_date,
            h.c.note,
            h.c.recorded_at,
            h.c.recorded_by,
        )
        .where(h.c.deputy_id == deputy_id)
        .order_by(h.c.seq)
    )
    return [dict(r._mapping) for r in rows]
