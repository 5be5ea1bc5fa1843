"""Inbox: which events a consumer has applied, written in the same transaction as the effects."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Table
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession


class Inbox:
    """Claims event ids for a consumer; a claimed id is never applied twice."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self._sql: str | None = None

    async def claim(
        self, session: AsyncSession, consumer: str, events: Sequence[tuple[str, str]]
    ) -> set[str]:
        """Record (event id, type) pairs in the session's transaction; return the ids new to it."""
        if not events:
            return set()
        now = datetime.now(UTC)
        unique = dict(events)
        if session.bind.dialect.name == "postgresql":
            # one statement whatever the count: the ids and types as two arrays (one SQL text,
            # one prepared statement reused by every batch)
            connection = await session.connection()
            result = await connection.exec_driver_sql(
                self._unnest(session.bind.dialect),
                (consumer, list(unique), list(unique.values()), now),
            )
            claimed = result.scalar()  # one row: the new ids as one array (NULL when none)
            return set(claimed) if claimed else set()
        rows = [
            {"consumer": consumer, "event_id": i, "event_type": t, "processed_at": now}
            for i, t in unique.items()
        ]
        statement = (
            sqlite_insert(self.table)
            .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
            .returning(self.table.c.event_id)
        )
        return set((await session.execute(statement, rows)).scalars())

    def _unnest(self, dialect: Dialect) -> str:
        """``INSERT … SELECT … FROM unnest(ids, types) ON CONFLICT DO NOTHING RETURNING``, the
        returned ids aggregated into one array: one row to read whatever the batch's size."""
        if self._sql is None:
            # the kit's own table, quoted from its metadata; every value is a parameter
            table = dialect.identifier_preparer.format_table(self.table)
            self._sql = (
                f"WITH kit_new AS (INSERT INTO {table} "  # noqa: S608
                "(consumer, event_id, event_type, processed_at) "
                "SELECT $1, e, t, $4 FROM unnest($2::varchar[], $3::varchar[]) AS kit_claims(e, t) "
                "ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id) "
                "SELECT array_agg(event_id) FROM kit_new"
            )
        return self._sql
