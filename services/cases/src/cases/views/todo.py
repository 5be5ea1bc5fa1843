"""Read a handling unit's to-do list (待办): its own open cases, earliest deadline first."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import select

from cases.adapters.codec import case_from_doc
from cases.domain.clocks import Clocks
from cases.domain.errors import ForbiddenError
from cases.domain.states import HANDLING, State
from cases.domain.todo import todo_list
from cases.handlers.context import Caller, Services
from cases.views.cases import Page
from cases.views.numbers import number_label
from kit.principal import Role

OPEN_FOR_UNITS = (*sorted(s.value for s in HANDLING), State.follow_up.value)
"""States in which a unit may owe something: handling, and a B/C reply's follow-up."""


async def unit_todo(svc: Services, caller: Caller, page: int, page_size: int) -> Page:
    """Return a page of what the caller's unit owes, sorted by deadline (its own cases only).

    The unit's open cases are read whole (a unit holds tens to a few hundred at a time) because
    what is owed next depends on the case document (co-handlers' opinions, the follow-up date);
    the sorting and paging happen on the items.
    """
    p = caller.principal
    if not (p.has(Role.handling_unit) and p.unit_id):
        raise ForbiddenError("the to-do list is a handling unit's own")
    t = svc.tables
    c, u = t.cases.c, t.case_units.c
    mine = select(u.case_id).where(u.unit_id == p.unit_id)
    query = select(
        c.doc, c.version, c.case_id, c.kind, c.number_county, c.number_year, c.number_seq
    ).where(c.case_id.in_(mine), c.state.in_(OPEN_FOR_UNITS))
    async with svc.uow() as uow:
        rows = (await uow.session.execute(query)).all()
    cases = [case_from_doc(r.doc, r.version) for r in rows]
    clocks = Clocks(svc.calendar, svc.policy)  # return windows; opinion clocks are in the cases
    items = todo_list(cases, p.unit_id, svc.today(), clocks, svc.chase)
    versions = {x.case_id: x.version for x in cases}
    numbers = {r.case_id: number_label(dict(r._mapping), svc.county_names) for r in rows}
    start = (page - 1) * page_size
    shown: list[dict[str, Any]] = [
        {**asdict(i), "version": versions[i.case_id], "number": numbers[i.case_id]}
        for i in items[start : start + page_size]
    ]
    return Page(shown, len(items), page, page_size)
