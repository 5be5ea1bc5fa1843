"""What the consumer tests compare: the stored state, and the ledgers against a derivation anew."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.envelope import RawEnvelope
from scoring.adapters.store import BatchStore, Ledger, entry_of
from scoring.adapters.tables import Tables
from scoring.domain.ledger import derive
from scoring.domain.reviews import Status
from scoring.domain.scorecard import score_cards
from scoring.domain.totals import tally
from scoring.domain.translate import fact_of
from scoring.handlers.context import Services
from scoring.handlers.totals import stored_totals

_SKIP = {"seq", "recorded_at", "stored_at", "parked_at", "updated_at", "created_at"}


async def stored_state(engine: AsyncEngine, tables: Tables) -> dict[str, list[tuple[Any, ...]]]:
    """Return every table the consumer writes, rows in a stable order, times and serials left out."""
    order = {
        "entries": "seq",
        "facts": "seq",
        "parked": "seq",
    }
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with engine.connect() as conn:
        for name in (
            "townships",
            "deputies",
            "facts",
            "parked",
            "parked_waits",
            "entries",
            "activity_versions",
            "activity_hours",
            "case_signers",
            "deputy_totals",
        ):
            table = getattr(tables, name)
            columns = [c for c in table.c if c.name not in _SKIP]
            q = select(*columns)
            keys = [table.c[order[name]]] if name in order else list(table.primary_key.columns)
            q = q.order_by(*keys)
            out[name] = [tuple(r) for r in await conn.execute(q)]
        r = tables.rule_sets
        rows = await conn.execute(
            select(r.c.county, r.c.year, r.c.version, r.c.status).order_by(r.c.year, r.c.version)
        )
        out["rule_sets"] = [tuple(x) for x in rows]
    return out


async def check_ledgers(svc: Services, county: str) -> int:
    """Assert each active ledger equals ``derive`` over the stored facts and the projection equals
    the cards; return the entries checked."""
    checked = 0
    async with svc.uow() as uow:
        store = BatchStore(uow.session, svc.tables)
        facts = [fact_of(RawEnvelope.model_validate(doc)) for doc in await store.facts_of(county)]
        roster = {r.deputy_id: r.township for r in await store.deputies_of(county)}
        for row in await store.active(county):
            ledger = Ledger(county, row.year, row.version)
            rules = svc.rules(row)
            rows = await store.entries(ledger)
            stored = [entry_of(r) for r in rows]
            assert stored == derive([x for x in facts if x is not None], rules), row.year
            checked += len(stored)
            lines = [entry_of(r) for r in rows if r.status != Status.voided]
            confirmed = {r.entry_id for r in rows if r.status == Status.rechecked}
            projection = await stored_totals(store, ledger)
            cards = score_cards(lines, rules, roster)
            for deputy_id, totals in projection.items():
                assert totals == tally(deputy_id, totals.township, lines, confirmed, rules), (
                    deputy_id
                )
                assert totals.total == cards[deputy_id].total, deputy_id
                assert totals.grade is cards[deputy_id].grade, deputy_id
            assert set(projection) == {e.deputy_id for e in stored}, row.year
    return checked
