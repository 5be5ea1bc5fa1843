"""Outcomes recorded in one statement: each row gets its own values, only while still claimed.

PostgreSQL takes one ``UPDATE … FROM unnest(…)``; SQLite (the demo) a statement per row: both
must leave the same rows behind.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from kit.db import make_engine, make_sessionmaker
from kit.migrate import upgrade
from kit.testing import fresh_database
from notify.adapters.store import NotifyStore
from notify.adapters.tables import make_schema
from notify.bootstrap import MIGRATIONS

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _row(n: int) -> dict[str, Any]:
    return {
        "delivery_id": f"00000000-0000-5000-8000-00000000000{n}",
        "event_id": f"10000000-0000-5000-8000-00000000000{n}",
        "recipient_kind": "deputy",
        "recipient_id": f"D-{n}",
        "channel": "email",
        "township": "330102001",
        "event_type": "cases.case.replied",
        "event_time": NOW,
        "subject": "C-2025-000001",
        "template": "cases.case.replied",
        "status": "pending",
        "urgent": False,
        "held": False,
        "next_at": NOW,
        "title": "答复",
        "body": "正文",
        "segments": 0,
        "attempts": 0,
        "last_error": "SMTP 451" if n == 3 else None,
        "error_kind": None,
        "created_at": NOW,
    }


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.integration), "sqlite"])
async def url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated database of each kind."""
    async with contextlib.AsyncExitStack() as stack:
        if request.param == "sqlite":
            made = f"sqlite+aiosqlite:///{tmp_path / 'notify.db'}"
        else:
            made = await stack.enter_async_context(fresh_database())
        await upgrade(MIGRATIONS, made)
        yield made


async def test_one_statement_records_each_outcome_of_the_rows_still_claimed(url: str) -> None:
    schema = make_schema()
    d = schema.tables.deliveries
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions() as session:
            store = NotifyStore(session, schema.tables)
            await store.add_deliveries([_row(n) for n in range(1, 5)])
            claimed = await store.claim(NOW, "me", NOW + timedelta(minutes=2), 10)
            assert len(claimed) == 4
            # another sender retook the fourth after our claim ran out
            await session.execute(
                update(d).where(d.c.delivery_id == _row(4)["delivery_id"]).values(claimed_by="b")
            )
            later = NOW + timedelta(seconds=30)
            ours = await store.mark_many(
                "me",
                [
                    {
                        "delivery_id": _row(1)["delivery_id"],
                        "status": "sent",
                        "attempts": 1,
                        "last_error": None,
                        "error_kind": None,
                        "finished_at": NOW,
                        "provider_id": "<id-1@notify>",
                    },
                    {
                        "delivery_id": _row(2)["delivery_id"],
                        "status": "retrying",
                        "attempts": 1,
                        "last_error": "SMTP timeout",
                        "error_kind": None,
                        "next_at": later,
                    },
                    {  # over the rate limit: back in the queue, its last error kept
                        "delivery_id": _row(3)["delivery_id"],
                        "status": "pending",
                        "attempts": 0,
                        "last_error": "SMTP 451",
                        "error_kind": None,
                        "next_at": later,
                    },
                    {
                        "delivery_id": _row(4)["delivery_id"],
                        "status": "sent",
                        "attempts": 1,
                        "last_error": None,
                        "error_kind": None,
                        "finished_at": NOW,
                    },
                ],
            )
            await session.commit()
            found = {
                r.delivery_id: r
                for r in (await session.execute(select(d).order_by(d.c.delivery_id))).all()
            }
    finally:
        await engine.dispose()
    assert ours == {_row(n)["delivery_id"] for n in (1, 2, 3)}
    one, two, three, four = (found[_row(n)["delivery_id"]] for n in range(1, 5))
    assert (one.status, one.provider_id, one.finished_at, one.claimed_by) == (
        "sent",
        "<id-1@notify>",
        NOW,
        None,
    )
    assert one.next_at == NOW  # kept
    assert (two.status, two.attempts, two.next_at, two.last_error) == (
        "retrying",
        1,
        later,
        "SMTP timeout",
    )
    assert two.finished_at is None
    assert (three.status, three.attempts, three.next_at, three.last_error) == (
        "pending",
        0,
        later,
        "SMTP 451",
    )
    assert (four.status, four.claimed_by) == ("sending", "b")  # not ours any more: untouched
