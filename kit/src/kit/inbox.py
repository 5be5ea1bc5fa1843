"""Inbox: which events a consumer has applied, written in the same transaction as the effects."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


class Inbox:
    """Claims event ids for a consumer; a claimed id is never applied twice."""

    def __init__(self, table: Table) -> None:
        self.table = table

    async def claim(
        self, session: AsyncSession, consumer: str, events: Sequence[tuple[str, str]]
    ) -> set[str]:
        """Record (event id, type) pairs in the session's transaction; return the ids new to it."""
        if not events:
            return set()
        now = datetime.now(UTC)
        rows = [
            {
                "consumer": consumer,
                "event_id": event_id,
                "event_type": event_type,
                "processed_at": now,
            }
            for event_id, event_type in dict(events).items()
        ]
        insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        statement = (
            insert(self.table)
            .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
            .returning(self.table.c.event_id)
        )
        # executemany with RETURNING: one cached statement, sent in pages ("insertmanyvalues")
        return set((await session.execute(statement, rows)).scalars())
