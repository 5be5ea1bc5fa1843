"""The fresh copies of the derived tables (``<name>_rebuild``): created empty, bulk-filled, dropped.

A fresh copy has the live table's columns and no constraint or index (``CREATE TABLE … AS SELECT
… WHERE 1 = 0``), so bulk inserts are cheap; the switch copies it into the live table. On
PostgreSQL rows go in with ``COPY`` (asyncpg), on SQLite with ``executemany``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import JSON, MetaData, Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.envelope import RawEnvelope
from scoring.adapters.store import entry_row
from scoring.replay.fold import Drained, Fold

SUFFIX = "_rebuild"
CHUNK = 20_000


class JsonText(str):
    """A JSON document already serialised (written as is by COPY)."""

    __slots__ = ()


class Fresh:
    """The fresh copies of some live tables on one engine; what builders write through."""

    def __init__(
        self,
        engine: AsyncEngine,
        live: Sequence[Table],
        fold: Fold,
        now: datetime,
        *,
        consumer: str,
        inbox: str = "inbox",
    ) -> None:
        self.engine = engine
        self.consumer = consumer
        self.inbox = inbox
        self.fold = fold
        self.now = now
        self.live = {t.name: t for t in live}
        scratch = MetaData()
        self.copies = {t.name: t.to_metadata(scratch, name=t.name + SUFFIX) for t in live}
        self.counts = dict.fromkeys(self.live, 0)
        self._seq = dict.fromkeys(self.live, 0)
        self._postgres = engine.dialect.name == "postgresql"

    def fresh(self, name: str) -> Table:
        """Return the fresh copy of a live table."""
        return self.copies[name]

    async def create(self) -> None:
        """Drop any leftover copies and create them empty."""
        async with self.engine.begin() as conn:
            for name in self.live:
                await conn.execute(text(f'DROP TABLE IF EXISTS "{name}{SUFFIX}"'))
                await conn.execute(
                    text(f'CREATE TABLE "{name}{SUFFIX}" AS SELECT * FROM "{name}" WHERE 1 = 0')  # noqa: S608 (names from the metadata)
                )

    async def drop(self) -> None:
        """Drop the copies."""
        async with self.engine.begin() as conn:
            for name in self.live:
                await conn.execute(text(f'DROP TABLE IF EXISTS "{name}{SUFFIX}"'))

    def _numbered(self, name: str, rows: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        """Give rows of a table with a ``seq`` column the next numbers (the order written)."""
        if "seq" not in self.live[name].c:
            yield from rows
            return
        for row in rows:
            self._seq[name] += 1
            yield {**row, "seq": self._seq[name]}

    async def write(self, name: str, rows: Iterable[dict[str, Any]]) -> int:
        """Bulk-insert rows into the fresh copy of a table; return how many."""
        table = self.copies[name]
        columns = [c.name for c in table.c]
        jsons = {c.name for c in table.c if isinstance(c.type, JSON)}
        written = 0
        numbered = iter(self._numbered(name, rows))
        while chunk := list(islice(numbered, CHUNK)):
            async with self.engine.begin() as conn:
                if self._postgres:
                    raw = (await conn.get_raw_connection()).driver_connection
                    assert raw is not None
                    records = [tuple(_pg(row.get(c), c in jsons) for c in columns) for row in chunk]
                    await raw.copy_records_to_table(table.name, records=records, columns=columns)
                else:
                    plain = [{c: _plain(row.get(c), c in jsons) for c in columns} for row in chunk]
                    await conn.execute(insert(table), plain)
            written += len(chunk)
        self.counts[name] += written
        return written

    async def flush(self, drained: Drained) -> None:
        """Write the facts kept, the entries written and the inbox rows since the last flush."""
        await self.write(
            "facts",
            (
                {
                    "event_id": str(k.envelope.id),
                    "event_type": k.envelope.type,
                    "county": k.county,
                    "township": k.envelope.township,
                    "envelope": JsonText(k.envelope.model_dump_json()),
                    "stored_at": self.now,
                }
                for k in drained.kept
            ),
        )
        await self.write(
            "entries", (entry_row(e, ledger, self.now) for ledger, e in drained.written)
        )
        if self.inbox in self.live:
            await self.write(
                self.inbox,
                (
                    {
                        "consumer": self.consumer,
                        "event_id": event_id,
                        "event_type": event_type,
                        "processed_at": self.now,
                    }
                    for event_id, event_type in drained.claimed
                ),
            )

    async def history(self, county: str) -> AsyncIterator[RawEnvelope]:
        """Yield a county's facts written so far, in order (a new ledger is derived from them)."""
        await self.flush(self.fold.drain())
        facts = self.copies["facts"]
        async with self.engine.connect() as conn:
            rows = await conn.stream(
                select(facts.c.envelope).where(facts.c.county == county).order_by(facts.c.seq)
            )
            async for row in rows:
                yield RawEnvelope.model_validate(row.envelope)

    async def count(self, name: str) -> int:
        """Return the rows in the fresh copy of a table."""
        async with self.engine.connect() as conn:
            found = await conn.scalar(select(func.count()).select_from(self.copies[name]))
        return int(found or 0)


def _pg(value: Any, is_json: bool) -> Any:
    if not is_json or value is None or isinstance(value, JsonText):
        return value
    return json.dumps(value, ensure_ascii=False)


def _plain(value: Any, is_json: bool) -> Any:
    if is_json and isinstance(value, JsonText):
        return json.loads(value)
    return value
