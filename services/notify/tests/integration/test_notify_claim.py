"""The sender's claim on PostgreSQL: the due rows from the partial index, in order, never more.

Before ``ix_deliveries_claimable`` the claim's one ``OR`` of "due" and "claim ran out" made
PostgreSQL scan the whole table and sort everything due at every claim (11 ms at 10,000 rows on
the shared machine, growing with the table); the plan is checked here, with what it claims. Since
``ix_deliveries_due (status, next_at)`` gave way to partial indexes (every status change wrote an
entry into it), the lapsed claims, the backlog gauge and the digest's items are checked to read
theirs, and the delivery log its indexes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Select, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from kit.db import make_engine, make_sessionmaker
from kit.migrate import upgrade
from notify.adapters.store import (
    NotifyStore,
    _claim_statement,
    backlog_statements,
    digest_items_statement,
)
from notify.adapters.tables import make_schema
from notify.bootstrap import MIGRATIONS

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
ROWS = 5000


def _row(n: int, status: str, next_at: datetime, lease_until: datetime | None) -> dict[str, Any]:
    return {
        "delivery_id": f"00000000-0000-5000-8000-{n:012d}",
        "event_id": f"10000000-0000-5000-8000-{n:012d}",
        "recipient_kind": "deputy",
        "recipient_id": f"D-{n}",
        "channel": "email",
        "township": "330102001",
        "event_type": "cases.case.replied",
        "event_time": NOW,
        "subject": "C-2025-000001",
        "template": "cases.case.replied",
        "status": status,
        "urgent": False,
        "held": False,
        "next_at": next_at,
        "title": "答复",
        "body": "正文" * 300,
        "segments": 0,
        "attempts": 1 if status == "sending" else 0,
        "claimed_by": "gone" if status == "sending" else None,
        "lease_until": lease_until,
        "created_at": NOW,
    }


def _rows() -> list[dict[str, Any]]:
    """3,000 sent, 200 digest items, 1,796 due (later and later), 2 sending whose claim ran out,
    2 still held."""
    rows = []
    for n in range(ROWS):
        if n < 3000:
            rows.append(_row(n, "sent", NOW - timedelta(hours=1), None))
        elif n < ROWS - 4 and n >= 3200:
            rows.append(_row(n, "pending", NOW - timedelta(seconds=ROWS - n), None))
        elif n < 3200:  # digest items, their digests due at 06:00
            rows.append(_row(n, "digested", NOW + timedelta(hours=4), None))
        else:  # claimed by a sender that died (two ran out, two still held)
            lease = NOW - timedelta(seconds=1) if n < ROWS - 2 else NOW + timedelta(minutes=1)
            rows.append(_row(n, "sending", NOW - timedelta(minutes=5), lease))
    return rows


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated database holding ``_rows()``, analysed."""
    await upgrade(MIGRATIONS, database_url)
    made = make_engine(database_url)
    schema = make_schema()
    try:
        async with make_sessionmaker(made)() as session:
            await session.execute(insert(schema.tables.deliveries), _rows())
            await session.commit()
        async with made.connect() as conn:
            await conn.execute(text("ANALYZE deliveries"))
            await conn.commit()
        yield made
    finally:
        await made.dispose()


async def test_the_claim_reads_the_partial_index_not_the_table(engine: AsyncEngine) -> None:
    schema = make_schema()
    statement = _claim_statement(schema.tables.deliveries, schema.tables.contacts)
    compiled = statement.compile(dialect=engine.dialect)
    values = compiled.construct_params(
        {"now": NOW, "holder": "me", "until": NOW + timedelta(minutes=2), "limit": 64}
    )
    assert compiled.positiontup is not None
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        plan = "\n".join(
            r[0]
            for r in await driver.fetch(
                f"EXPLAIN {compiled}", *(values[name] for name in compiled.positiontup)
            )
        )
        await conn.rollback()
    # the rows chosen (the UPDATE's own join is the planner's choice for a table this small)
    due = plan[plan.index("CTE due") : plan.index("CTE chosen")]
    assert "Index Scan using ix_deliveries_claimable" in due, plan
    assert "Seq Scan" not in due, plan
    assert "Sort" not in due, plan


async def test_the_claim_takes_lapsed_claims_first_then_the_oldest_due_never_more(
    engine: AsyncEngine,
) -> None:
    schema = make_schema()
    async with make_sessionmaker(engine)() as session:
        store = NotifyStore(session, schema.tables)
        first = await store.claim(NOW, "me", NOW + timedelta(minutes=2), 10)
        second = await store.claim(NOW, "me", NOW + timedelta(minutes=2), 10)
        await session.commit()
    ids = [int(c.delivery_id.rsplit("-", 1)[1]) for c in first]
    assert sorted(ids[:2]) == [ROWS - 4, ROWS - 3]  # the two whose claim ran out
    assert ids[2:] == list(range(3200, 3208))  # the oldest due, in next_at order
    assert [int(c.delivery_id.rsplit("-", 1)[1]) for c in second] == list(range(3208, 3218))
    assert all(c.row["status"] == "sending" and c.row["claimed_by"] == "me" for c in first)
    assert [c.row["attempts"] for c in first[:2]] == [2, 2]  # the retaken count their attempt


async def _plan(engine: AsyncEngine, statement: Any, values: dict[str, Any] | None = None) -> str:
    """Return PostgreSQL's plan of a statement (its parameters bound as the driver binds them)."""
    compiled = statement.compile(dialect=engine.dialect)
    params = compiled.construct_params(values)
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        rows = await driver.fetch(
            f"EXPLAIN {compiled}", *(params[name] for name in compiled.positiontup or ())
        )
        await conn.rollback()
    return "\n".join(r[0] for r in rows)


async def test_the_lapsed_claims_backlog_and_digest_read_their_partial_indexes(
    engine: AsyncEngine,
) -> None:
    d = make_schema().tables.deliveries
    claim = await _plan(
        engine,
        _claim_statement(d, make_schema().tables.contacts),
        {"now": NOW, "holder": "me", "until": NOW + timedelta(minutes=2), "limit": 64},
    )
    lapsed = claim[claim.index("CTE lapsed") : claim.index("CTE due")]
    assert "ix_deliveries_claimed" in lapsed, claim
    assert "Seq Scan" not in lapsed, claim
    due, claimed, held = [await _plan(engine, s) for s in backlog_statements(d, NOW)]
    assert "ix_deliveries_claimable" in due, due
    assert "ix_deliveries_claimed" in claimed, claimed
    assert "ix_deliveries_claimable" in held, held
    digest = await _plan(engine, digest_items_statement(d, NOW + timedelta(hours=5), 100))
    assert "ix_deliveries_digested" in digest, digest
    assert "Seq Scan" not in digest, digest


async def test_the_delivery_log_reads_its_indexes(engine: AsyncEngine) -> None:
    d = make_schema().tables.deliveries
    newest: Select[Any] = select(d).order_by(d.c.created_at.desc(), d.c.delivery_id).limit(50)
    mine = await _plan(
        engine, newest.where(d.c.recipient_kind == "deputy", d.c.recipient_id == "D-3100")
    )
    about = await _plan(engine, newest.where(d.c.subject == "C-2025-000002"))
    assert "ix_deliveries_recipient" in mine, mine
    assert "ix_deliveries_subject" in about, about
