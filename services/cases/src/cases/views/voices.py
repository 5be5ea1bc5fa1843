"""What the cases of a digest's scope and period said, for its representative excerpts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

from sqlalchemy import select

from cases.adapters.tables import Tables
from cases.digest.voices import Said
from cases.domain.states import State
from cases.views.numbers import number_label
from contracts.vocabulary import CaseKind
from kit.db.ranges import within
from kit.uow import UnitOfWork


async def said_in(
    uow: UnitOfWork,
    tables: Tables,
    *,
    scope: str,
    start: date,
    end: date,
    county_names: Mapping[str, str],
    category_of: Callable[[str], str] = str,
) -> list[Said]:
    """Return the content of the scope's cases received in [start, end], confidential ones left out."""
    c = tables.cases.c
    query = select(
        c.case_id,
        c.kind,
        c.township,
        c.category,
        c.doc,
        c.tokens,
        c.number_county,
        c.number_year,
        c.number_seq,
    ).where(
        within(c.township, scope),
        c.state != State.to_suggestion.value,
        c.received_on >= start,
        c.received_on <= end,
    )
    rows = (await uow.session.execute(query)).all()
    return [
        Said(
            case_id=r.case_id,
            category=category_of(r.category),
            kind=CaseKind(r.kind),
            township=r.township,
            number=number_label(dict(r._mapping), county_names),
            content=str(r.doc.get("content", "")),
            tokens=r.tokens or {},
        )
        for r in rows
        if not r.doc.get("confidential")
    ]
