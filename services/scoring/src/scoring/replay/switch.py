"""Swap the fresh tables in, in one transaction, while nothing else writes the derived tables.

The ledger consumer must not run during a replay. The switch takes the derived tables in
EXCLUSIVE mode (readers go on reading the old rows; writers wait), then checks that the
consumer group still has no member and has not committed since the replay started, and that no
rule set changed; otherwise it rolls back and refuses. Then it replaces the rows, adds the
replay's event ids to the group's inbox, stores the seed rule sets the replay adopted, commits.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    delete,
    false,
    func,
    insert,
    not_,
    select,
    text,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from scoring.adapters.store import RuleSetRow
from scoring.replay.derived import Derived
from scoring.replay.fresh import Fresh, Renamed


class ReplayRefusedError(Exception):
    """The replay cannot switch over (or start): the reason is the message."""


Check = Callable[[AsyncConnection], Awaitable[None]]
"""Raises ``ReplayRefusedError`` when the switch must not happen; runs inside the switch's transaction."""


def rule_set_marks(rows: Iterable[RuleSetRow]) -> set[tuple[str, int, int, str]]:
    """Return what identifies the rule sets' state (a change during the replay refuses the switch)."""
    return {(r.county, r.year, r.version, r.status) for r in rows}


Where = Callable[[Table], list[ColumnElement[bool]]]
"""The rows of a table (live or fresh) a switch replaces."""


async def _copy(conn: AsyncConnection, live: Table, fresh: Table, where: Where) -> None:
    """Replace the live rows ``where`` selects by the fresh ones, in the fresh order."""
    await conn.execute(delete(live).where(*where(live)))
    numbered = "seq" in live.c and live.c.seq.autoincrement is True
    columns = [c.name for c in live.c if not (numbered and c.name == "seq")]
    source = select(*(fresh.c[c] for c in columns)).where(*where(fresh))
    if "seq" in fresh.c:
        source = source.order_by(fresh.c.seq)
    await conn.execute(insert(live).from_select(columns, source))


def _ledgers(keys: Sequence[tuple[str, int, int]]) -> Where:
    def where(table: Table) -> list[ColumnElement[bool]]:
        if not keys:
            return [false()]
        columns = tuple_(table.c.county, table.c.year, table.c.rule_set_version)
        return [columns.in_(list(keys))]

    return where


def _all(_table: Table) -> list[ColumnElement[bool]]:
    return []


async def _swap(
    conn: AsyncConnection, live: Table, copy: Table, renamed: Sequence[Renamed], keep: Where | None
) -> None:
    """Put a fresh copy (indexed already) in the live table's place, under its name (PostgreSQL).

    ``keep`` selects the live rows that stay (the ledgers not replayed): they are copied over
    first, numbered after the fresh rows in their order. The table's sequence moves with it.
    """
    if keep is not None:
        columns = [c.name for c in live.c if c.name != "seq"]
        last = select(func.coalesce(func.max(copy.c.seq), 0)).scalar_subquery()
        kept = select(
            *(live.c[c] for c in columns), last + func.row_number().over(order_by=live.c.seq)
        ).where(not_(and_(true(), *keep(live))))
        await conn.execute(insert(copy).from_select([*columns, "seq"], kept))
    name, fresh_name = live.name, copy.name
    sequence = None
    if "seq" in live.c:
        sequence = await conn.scalar(text("SELECT pg_get_serial_sequence(:t, 'seq')"), {"t": name})
    if sequence is not None:
        await conn.execute(text(f'ALTER SEQUENCE {sequence} OWNED BY "{fresh_name}".seq'))
    await conn.execute(text(f'DROP TABLE "{name}"'))
    await conn.execute(text(f'ALTER TABLE "{fresh_name}" RENAME TO "{name}"'))
    for r in renamed:
        if r.constraint:
            await conn.execute(
                text(f'ALTER TABLE "{name}" RENAME CONSTRAINT "{r.temporary}" TO "{r.name}"')
            )
        else:
            await conn.execute(text(f'ALTER INDEX "{r.temporary}" RENAME TO "{r.name}"'))
    if sequence is not None:
        await conn.execute(
            text(f"SELECT setval('{sequence}', COALESCE(MAX(seq), 0) + 1, false) FROM \"{name}\"")  # noqa: S608 (names from the catalog)
        )


async def switch(
    fresh: Fresh,
    derived: Sequence[Derived],
    *,
    ledgers: Sequence[tuple[str, int, int]],
    everything: bool,
    adopted: Sequence[RuleSetRow],
    rule_sets: Table,
    inbox: Table | None,
    check: Check,
    swapped: Mapping[str, Sequence[Renamed]] | None = None,
    say: Callable[[str], None] = lambda _line: None,
) -> None:
    """Replace the derived rows by the fresh ones and commit, or refuse and change nothing.

    The tables in ``swapped`` (a replay of everything on PostgreSQL: the large ones, indexed
    beforehand) are swapped in whole, the others copied row by row. ``say`` is told each table's
    time (the progress output).
    """
    swapped = swapped or {}
    engine = fresh.engine
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = [d.table for d in derived] + [rule_sets.name]
            if inbox is not None:
                names.append(inbox.name)
            quoted = ", ".join(f'"{n}"' for n in names)
            await conn.execute(text(f"LOCK TABLE {quoted} IN EXCLUSIVE MODE"))
        await check(conn)
        for d in derived:
            live, copy = fresh.live[d.table], fresh.fresh(d.table)
            started = time.monotonic()
            if d.table in swapped:
                keep = _ledgers(ledgers) if d.per_ledger else None
                await _swap(conn, live, copy, swapped[d.table], keep)
            elif d.per_ledger:
                await _copy(conn, live, copy, _ledgers(ledgers))
            elif everything:
                await _copy(conn, live, copy, _all)
            say(f"replay: switch: {d.table} in {time.monotonic() - started:.1f} s")
        if adopted:
            await conn.execute(insert(rule_sets), [dict(r.__dict__) for r in adopted])
        if inbox is not None:
            started = time.monotonic()
            await _inbox(conn, inbox, fresh.fresh(inbox.name), swapped.get(inbox.name))
            say(f"replay: switch: {inbox.name} in {time.monotonic() - started:.1f} s")


async def _inbox(
    conn: AsyncConnection, inbox: Table, copy: Table, renamed: Sequence[Renamed] | None
) -> None:
    """Add the replay's event ids to the inbox, keeping every row it has (other consumers' too).

    Swapped (``renamed``: the fresh copy has the inbox's key already): the live rows go into the
    copy, which takes the inbox's place, so the time grows with the rows kept, not with the
    events replayed. Otherwise the fresh rows go into the live inbox.
    """
    postgres = conn.dialect.name == "postgresql"
    columns = [c.name for c in inbox.c]
    source, target = (inbox, copy) if renamed is not None else (copy, inbox)
    statement = (
        (pg_insert if postgres else sqlite_insert)(target)
        # WHERE true: SQLite cannot parse INSERT … SELECT … ON CONFLICT without a WHERE
        .from_select(columns, select(*(source.c[c] for c in columns)).where(true()))
        .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
    )
    await conn.execute(statement)
    if renamed is not None:
        await _swap(conn, inbox, copy, renamed, None)
