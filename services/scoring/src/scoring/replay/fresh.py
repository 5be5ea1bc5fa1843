"""The fresh copies of the derived tables (``<name>_rebuild``): created empty, bulk-filled, dropped.

A fresh copy has the live table's columns and no constraint or index (``CREATE TABLE … AS SELECT
… WHERE 1 = 0``), so bulk inserts are cheap; the switch copies it into the live table. On
PostgreSQL rows go in with ``COPY`` (asyncpg), on SQLite with ``executemany``.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import JSON, MetaData, Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from contracts.envelope import RawEnvelope
from scoring.adapters.store import ENTRY_COLUMNS, Ledger, entry_record
from scoring.domain.intake import LedgerKey
from scoring.replay.fold import Drained, Fold

SUFFIX = "_rebuild"
CHUNK = 20_000
_INDEX = re.compile(
    r"(?P<create>CREATE (?:UNIQUE )?INDEX )\S+ ON (?:ONLY )?(?P<table>\S+) (?P<rest>USING .*)"
)


@dataclass(frozen=True)
class Renamed:
    """An index (or the constraint it backs) built on a fresh copy under a temporary name."""

    temporary: str
    name: str
    constraint: bool


INDEX_BUILDS = 3
"""Indexes of a fresh copy built at the same time (PostgreSQL builds each in its own process)."""
INDEX_MEMORY = "256MB"
"""Sort memory of each index build (the default 64 MB sorts a million-entry ledger on disk)."""
FACT_COLUMNS = ["seq", "event_id", "event_type", "county", "township", "envelope", "stored_at"]
INBOX_COLUMNS = ["consumer", "event_id", "event_type", "processed_at"]


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
        self._entry_columns = [*ENTRY_COLUMNS, "seq"]
        self._writing: asyncio.Task[None] | None = None
        self._slots = asyncio.Semaphore(INDEX_BUILDS)
        """Index builds running at once, over every table ``index`` is called for."""

    def fresh(self, name: str) -> Table:
        """Return the fresh copy of a live table."""
        return self.copies[name]

    async def create(self) -> None:
        """Drop any leftover copies and create them empty (PostgreSQL: the live columns, their
        defaults and checks, no index; SQLite: the columns only)."""
        async with self.engine.begin() as conn:
            for name in self.live:
                await conn.execute(text(f'DROP TABLE IF EXISTS "{name}{SUFFIX}"'))
                if self._postgres:
                    await conn.execute(
                        text(
                            f'CREATE TABLE "{name}{SUFFIX}" '
                            f'(LIKE "{name}" INCLUDING ALL EXCLUDING INDEXES)'
                        )
                    )
                else:
                    await conn.execute(
                        text(f'CREATE TABLE "{name}{SUFFIX}" AS SELECT * FROM "{name}" WHERE 1 = 0')  # noqa: S608 (names from the metadata)
                    )

    async def index(self, name: str) -> list[Renamed]:
        """Give a fresh copy the live table's indexes and constraints under temporary names (built
        once over the rows, not row by row, a few at a time on connections of their own) and its
        statistics; return the names to restore.

        PostgreSQL only: the switch then swaps the copy in whole (``switch.swap``).
        """
        copy = name + SUFFIX
        async with self.engine.connect() as conn:
            found = await conn.execute(
                text(
                    "SELECT i.relname, pg_get_indexdef(i.oid), c.contype "
                    "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                    "LEFT JOIN pg_constraint c ON c.conindid = i.oid AND c.conrelid = x.indrelid "
                    "WHERE x.indrelid = CAST(:table AS regclass) ORDER BY i.relname"
                ),
                {"table": name},
            )
            indexes = found.tuples().all()
        renamed = [
            Renamed(f"{index_name[:50]}{SUFFIX}", index_name, kind in ("p", "u"))
            for index_name, _, kind in indexes
        ]
        statements = []
        for r, (_, definition, _) in zip(renamed, indexes, strict=True):
            match = _INDEX.fullmatch(definition)
            if match is None:
                raise RuntimeError(f"unexpected index definition: {definition}")
            table = match["table"].removesuffix(name) + f'"{copy}"'
            statements.append(f'{match["create"]}"{r.temporary}" ON {table} {match["rest"]}')

        async def build(statement: str) -> None:
            async with self._slots, self.engine.begin() as conn:
                await conn.execute(text(f"SET LOCAL maintenance_work_mem = '{INDEX_MEMORY}'"))
                await conn.execute(text(statement))

        await asyncio.gather(*(build(s) for s in statements))
        async with self.engine.begin() as conn:
            for r, (_, _, kind) in zip(renamed, indexes, strict=True):
                if r.constraint:
                    constraint = "PRIMARY KEY" if kind == "p" else "UNIQUE"
                    await conn.execute(
                        text(
                            f'ALTER TABLE "{copy}" ADD CONSTRAINT "{r.temporary}" '
                            f'{constraint} USING INDEX "{r.temporary}"'
                        )
                    )
            await conn.execute(text(f'ANALYZE "{copy}"'))
        return renamed

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
        columns = [c.name for c in self.copies[name].c]
        jsons = {c.name for c in self.copies[name].c if isinstance(c.type, JSON)}
        records = (_jsoned(row, columns, jsons) for row in self._numbered(name, rows))
        return await self.write_records(name, columns, records)

    async def write_records(
        self, name: str, columns: Sequence[str], records: Iterable[tuple[Any, ...]]
    ) -> int:
        """Bulk-insert records (values in ``columns`` order, JSON values as JSON text) into the
        fresh copy of a table; return how many. No row dict per record (the large tables)."""
        written = 0
        pending = iter(records)
        while chunk := list(islice(pending, CHUNK)):
            async with self.engine.connect() as conn:
                await self._copy(conn, name, list(columns), chunk)
                await conn.commit()
            written += len(chunk)
        return written

    async def _copy(
        self, conn: AsyncConnection, name: str, columns: list[str], records: list[tuple[Any, ...]]
    ) -> None:
        """Append records (values in ``columns`` order) to a fresh table: COPY, or executemany."""
        if not records:
            return
        table = self.copies[name]
        if self._postgres:
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None
            await raw.copy_records_to_table(table.name, records=records, columns=columns)
        else:
            jsons = {c.name for c in table.c if isinstance(c.type, JSON)}
            plain = [
                {c: _plain(v, c in jsons) for c, v in zip(columns, r, strict=True)} for r in records
            ]
            await conn.execute(insert(table), plain)
        self.counts[name] += len(records)

    async def flush(self, drained: Drained) -> None:
        """Write the facts kept, the entries written and the inbox rows since the last flush.

        The rows are built now and written while the caller goes on (one write in flight at a
        time, on a connection of its own); ``settle`` waits for the last one.
        """
        await self.settle()
        now = self.now
        facts = []
        for (envelope, county), event_id in zip(drained.kept, drained.kept_ids, strict=True):
            self._seq["facts"] += 1
            facts.append(
                (
                    self._seq["facts"],
                    event_id,
                    envelope.type,
                    county,
                    envelope.township,
                    envelope.model_dump_json(),
                    now,
                )
            )
        # Each entry's record as the consumer's store makes it, then its number: the columns
        # are named to COPY in that order (no row dict per entry). The entries of one fact share
        # its event id: the text the fold formatted for the fact's row, else formatted once.
        entries = []
        ledgers: dict[LedgerKey, Ledger] = {}
        seq = self._seq["entries"]
        texts = {id(e): t for (e, _), t in zip(drained.kept, drained.kept_ids, strict=True)}
        last: RawEnvelope | None = None
        text = ""
        for w in drained.written:
            ledger = ledgers.get(w.ledger) or ledgers.setdefault(w.ledger, Ledger(*w.ledger))
            if w.cause is not last:
                last = w.cause
                text = texts.get(id(last)) or str(w.entry.source_event_id)
            seq += 1
            entries.append((*entry_record(w.entry, ledger, now, text), seq))
        self._seq["entries"] = seq
        inbox = [
            (self.consumer, event_id, event_type, now) for event_id, event_type in drained.claimed
        ]
        self._writing = asyncio.create_task(self._write_batch(facts, entries, inbox))

    async def _write_batch(
        self,
        facts: list[tuple[Any, ...]],
        entries: list[tuple[Any, ...]],
        inbox: list[tuple[Any, ...]],
    ) -> None:
        async with self.engine.connect() as conn:
            await self._copy(conn, "facts", FACT_COLUMNS, facts)
            await self._copy(conn, "entries", self._entry_columns, entries)
            if self.inbox in self.live:
                await self._copy(conn, self.inbox, INBOX_COLUMNS, inbox)
            await conn.commit()

    async def settle(self) -> None:
        """Wait for the write in flight (its error, if any, is raised here)."""
        writing, self._writing = self._writing, None
        if writing is not None:
            await writing

    async def history(self, county: str) -> AsyncIterator[RawEnvelope]:
        """Yield a county's facts written so far, in order (a new ledger is derived from them)."""
        await self.flush(self.fold.drain())
        await self.settle()
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


def _jsoned(row: dict[str, Any], columns: list[str], jsons: set[str]) -> tuple[Any, ...]:
    """Return a row's values in ``columns`` order, its JSON values as JSON text (what COPY takes)."""
    return tuple(
        json.dumps(row[c], ensure_ascii=False) if c in jsons and row[c] is not None else row[c]
        for c in columns
    )


def _plain(value: Any, is_json: bool) -> Any:
    if is_json and isinstance(value, str):
        return json.loads(value)
    return value
