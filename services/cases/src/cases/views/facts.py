"""The facts statistics and digests count, read from the indexed case columns (no documents)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import select

from cases.adapters.tables import Tables
from cases.domain.states import State
from cases.domain.statistics import CaseFacts
from contracts.vocabulary import CaseKind, ReplyClass, Satisfaction
from kit.db.ranges import within
from kit.uow import UnitOfWork


async def case_facts(
    uow: UnitOfWork,
    tables: Tables,
    *,
    scope: str,
    start: date | None,
    end: date | None,
    kind: CaseKind | None = None,
    category_of: Callable[[str], str] = str,
) -> list[CaseFacts]:
    """Return the facts of the cases of a scope received within [start, end].

    An opinion turned into a suggestion is counted once, as the suggestion; ``category_of``
    maps a stored category onto its controlled name.
    """
    c = tables.cases.c
    query = select(
        c.case_id,
        c.kind,
        c.township,
        c.category,
        c.title,
        c.state,
        c.received_on,
        c.lead_unit_id,
        c.due_on,
        c.replied_on,
        c.reply_class,
        c.on_time,
        c.solved,
        c.result,
        c.key_chase,
    ).where(within(c.township, scope), c.state != State.to_suggestion.value)
    if kind is not None:
        query = query.where(c.kind == kind.value)
    if start is not None:
        query = query.where(c.received_on >= start)
    if end is not None:
        query = query.where(c.received_on <= end)
    rows = await uow.session.execute(query)
    return [
        CaseFacts(
            case_id=r.case_id,
            kind=CaseKind(r.kind),
            township=r.township,
            category=category_of(r.category),
            title=r.title,
            state=State(r.state),
            received_on=r.received_on,
            lead_unit_id=r.lead_unit_id,
            unit_ids=(r.lead_unit_id,) if r.lead_unit_id else (),
            due_on=r.due_on,
            replied_on=r.replied_on,
            reply_class=ReplyClass(r.reply_class) if r.reply_class else None,
            on_time=r.on_time,
            solved=r.solved,
            result=Satisfaction(r.result) if r.result else None,
            key_chase=r.key_chase,
        )
        for r in rows.all()
    ]


async def names(uow: UnitOfWork, tables: Tables) -> tuple[dict[str, str], dict[str, str]]:
    """Return township and unit names known to the service (codes and ids as fallback)."""
    towns = await uow.session.execute(select(tables.townships.c.code, tables.townships.c.name))
    units = await uow.session.execute(select(tables.units.c.unit_id, tables.units.c.name))
    return dict(towns.tuples().all()), dict(units.tuples().all())
