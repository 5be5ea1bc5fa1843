"""Unit of work: one transaction for the state change, its outbox rows and its inbox row."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from contracts.envelope import Envelope
from kit import tracing
from kit.db.writes import Writes, write
from kit.outbox import Outbox


class UnitOfWork:
    """A session plus the events staged in it; nothing is written until ``commit``.

    Besides statements run on ``session`` (or ``connection()``) right away, a handler may queue
    rows with ``add`` and keys that must be new with ``claim``: ``commit`` writes them with the
    staged events (and, on PostgreSQL, the relay's NOTIFY) in one statement, one round trip
    instead of one per table. Queued rows are not visible to the transaction's reads before.
    """

    session: AsyncSession

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], outbox: Outbox) -> None:
        self._sessionmaker = sessionmaker
        self.outbox = outbox
        self._staged: list[Envelope[Any]] = []
        self._rows: list[Mapping[str, Any]] = []
        self._writes = Writes()
        self._events_written = False
        self._committed = False
        self._connection: AsyncConnection | None = None
        self._after_commit: list[Callable[[], None]] = []

    async def __aenter__(self) -> Self:
        self.session = self._sessionmaker()
        self._staged = []
        self._rows = []
        self._writes = Writes()
        self._events_written = False
        self._committed = False
        self._connection = None
        self._after_commit = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                await self.session.rollback()
        finally:
            await self.session.close()

    async def connection(self) -> AsyncConnection:
        """Return the transaction's connection (Core statements skip the ORM's execute path)."""
        if self._connection is None:
            self._connection = await self.session.connection()
        return self._connection

    def add(self, table: Table, *rows: Mapping[str, Any]) -> None:
        """Queue rows to insert at commit, after every statement run before it, in order."""
        self._writes.add(table, rows)

    def add_all(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """Queue many rows of one table to insert at commit."""
        self._writes.add(table, rows)

    def upsert(
        self,
        table: Table,
        keys: Sequence[str],
        rows: Sequence[Mapping[str, Any]],
        *,
        newer: str | None = None,
    ) -> None:
        """Queue rows to insert at commit or, where ``keys`` exist, to update (with ``newer``:
        only a stored row whose ``newer`` column is smaller).

        The commit's statement sees the table as it was before it: do not ``add`` a row with the
        same key to the same table in the same unit of work (that is a unique violation).
        """
        self._writes.upsert(table, keys, rows, newer)

    def claim(self, table: Table, row: Mapping[str, Any], error: Exception) -> None:
        """Queue a row whose key must be new: if it is taken at commit, ``error`` is raised."""
        self._writes.claim(table, row, error)

    def stage(self, *envelopes: Envelope[Any]) -> None:
        """Queue events to be written to the outbox at commit, in order."""
        stamped = tracing.stamped_all(envelopes)  # the trace travels on
        self._staged.extend(stamped)
        self._rows.extend(self.outbox.row(e) for e in stamped)

    def stage_rows(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Queue outbox rows built by ``Outbox.row_of`` (a consumer's hot path), in order with
        the events staged before and after them; ``staged`` does not list them."""
        self._rows.extend(rows)

    def after_commit(self, effect: Callable[[], None]) -> None:
        """Run ``effect`` once the transaction has committed (never when it rolls back).

        For what must not happen twice when a failed transaction is tried again (counting a
        metric): a batch rolled back and re-applied registers its effects anew.
        """
        self._after_commit.append(effect)

    @property
    def staged(self) -> tuple[Envelope[Any], ...]:
        """Return the events staged so far."""
        return tuple(self._staged)

    async def flush(self) -> None:
        """Write the queued rows and the staged events now (``commit`` does it anyway)."""
        notify = None
        if self._rows:
            self._writes.add(self.outbox.table, self._rows)
            notify = self.outbox.channel
        if self._writes:
            await write(await self.connection(), self._writes, notify=notify)
        self._events_written = self._events_written or bool(self._rows)
        self._staged = []
        self._rows = []
        self._writes.clear()

    async def commit(self) -> None:
        """Write the queued rows and staged events and commit everything in one transaction."""
        await self.flush()
        self._connection = None
        await self.session.commit()
        self._committed = True
        if self._events_written:
            self.outbox.committed()
        effects, self._after_commit = self._after_commit, []
        for effect in effects:
            effect()

    async def rollback(self) -> None:
        """Drop the staged events and queued rows and roll the transaction back."""
        self._staged = []
        self._rows = []
        self._writes.clear()
        self._events_written = False
        self._connection = None
        self._after_commit = []
        await self.session.rollback()


UnitOfWorkFactory = Callable[[], UnitOfWork]


def uow_factory(
    sessionmaker: async_sessionmaker[AsyncSession], outbox: Outbox
) -> UnitOfWorkFactory:
    """Return a factory of units of work bound to a database and an outbox."""

    def make() -> UnitOfWork:
        return UnitOfWork(sessionmaker, outbox)

    return make


__all__ = ["UnitOfWork", "UnitOfWorkFactory", "uow_factory"]
