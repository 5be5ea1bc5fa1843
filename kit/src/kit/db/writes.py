"""A transaction's trailing inserts in one round trip: state rows, audit, keys, outbox, NOTIFY.

A unit of work queues rows (``Writes.add``) and keys that must be new (``Writes.claim``) and
writes them all at commit. On PostgreSQL that is one statement whatever the number of tables:
each table's rows are a data-modifying CTE (``WITH w0 AS (INSERT ...), w1 AS (INSERT ...)``),
each claim an ``INSERT ... ON CONFLICT DO NOTHING RETURNING 1`` whose count the final ``SELECT``
returns beside ``pg_notify``; foreign keys are checked at the end of the statement, so a parent
and its children may come in the same one. The SQL text depends only on the shape (tables,
columns, row counts), so it is built once per shape and the driver's prepared statement is
reused; parameters go through each column type's bind processor, as SQLAlchemy's own
execution would. Elsewhere (SQLite) each table is one ``executemany`` and each claim one insert.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import CursorResult, Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

#: Above this many parameters the rows go in plain statements (PostgreSQL allows 32,767).
MAX_PARAMETERS = 20_000


@dataclass(frozen=True)
class Claim:
    """A row whose key must not exist yet; ``error`` is raised at the write when it does."""

    table: Table
    row: Mapping[str, Any]
    error: Exception


@dataclass
class Writes:
    """Rows queued for the end of a transaction, in order."""

    inserts: list[tuple[Table, list[Mapping[str, Any]]]] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)

    def add(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """Queue rows of one table (joined to the previous batch when it is the same shape)."""
        if not rows:
            return
        rows = [_with_defaults(table, row) for row in rows]
        if self.inserts and self.inserts[-1][0] is table:
            last = self.inserts[-1][1]
            if last[0].keys() == rows[0].keys():
                last.extend(rows)
                return
        self.inserts.append((table, list(rows)))

    def claim(self, table: Table, row: Mapping[str, Any], error: Exception) -> None:
        """Queue a row whose key must be new; ``error`` is raised at the write if it is taken."""
        self.claims.append(Claim(table, _with_defaults(table, row), error))

    def __bool__(self) -> bool:
        return bool(self.inserts or self.claims)

    def clear(self) -> None:
        """Forget everything queued."""
        self.inserts.clear()
        self.claims.clear()


def _with_defaults(table: Table, row: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return the row with the scalar Python-side defaults of columns it leaves out."""
    missing = {
        c.name: c.default.arg  # type: ignore[attr-defined]
        for c in table.columns
        if c.name not in row and c.default is not None and c.default.is_scalar
    }
    for c in table.columns:
        if c.name not in row and c.default is not None and not c.default.is_scalar:
            raise ValueError(f"{table.name}.{c.name}: give a value (its default is computed)")
    return {**row, **missing} if missing else row


async def write(conn: AsyncConnection, writes: Writes, *, notify: str | None = None) -> None:
    """Write what is queued inside the connection's transaction; NOTIFY ``notify`` with it."""
    dialect = conn.dialect
    if dialect.name == "postgresql" and _parameters(writes) <= MAX_PARAMETERS:
        await _one_statement(conn, writes, notify)
        return
    for table, rows in writes.inserts:
        await conn.execute(insert(table), rows)
    for claim in writes.claims:
        await _claim_alone(conn, claim)
    if notify is not None and dialect.name == "postgresql":
        await conn.exec_driver_sql("SELECT pg_notify($1, '')", (notify,))


def _parameters(writes: Writes) -> int:
    return sum(len(rows) * len(rows[0]) for _, rows in writes.inserts) + sum(
        len(c.row) for c in writes.claims
    )


async def _claim_alone(conn: AsyncConnection, claim: Claim) -> None:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        statement: Any = postgresql.insert(claim.table)
    else:
        statement = sqlite.insert(claim.table)
    result = await conn.execute(statement.values(**claim.row).on_conflict_do_nothing())
    if isinstance(result, CursorResult) and result.rowcount == 0:
        raise claim.error


def _coalesced(
    inserts: list[tuple[Table, list[Mapping[str, Any]]]],
) -> list[tuple[Table, list[Mapping[str, Any]]]]:
    """Return the batches with one per table and columns, rows in order (one statement only)."""
    groups: dict[tuple[int, tuple[str, ...]], tuple[Table, list[Mapping[str, Any]]]] = {}
    for table, rows in inserts:
        key = (id(table), tuple(rows[0].keys()))
        if key in groups:
            groups[key][1].extend(rows)
        else:
            groups[key] = (table, list(rows))
    return list(groups.values())


Shape = tuple[Any, ...]
Processor = Callable[[Any], Any] | None
_sql_of_shape: dict[Shape, str] = {}
MAX_SHAPES = 1000


def _shape(writes: Writes, notify: str | None) -> Shape:
    return (
        tuple((t.fullname, tuple(rows[0].keys()), len(rows)) for t, rows in writes.inserts),
        tuple((c.table.fullname, tuple(c.row.keys())) for c in writes.claims),
        notify is not None,
    )


def _processor(dialect: Dialect, table: Table, column: str) -> Processor:
    """Return a column's bind processor on a dialect (kept on the table: built once)."""
    known: dict[tuple[str, str], Processor] = table.info.setdefault("kit_bind_processors", {})
    key = (dialect.name, column)
    if key not in known:
        kind = table.c[column].type
        known[key] = kind.dialect_impl(dialect).bind_processor(dialect)
    return known[key]


def _values(dialect: Dialect, table: Table, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
    columns = list(rows[0].keys())
    processors = [_processor(dialect, table, c) for c in columns]
    out: list[Any] = []
    for row in rows:
        for column, process in zip(columns, processors, strict=True):
            value = row[column]
            out.append(value if process is None else process(value))
    return out


def _sql(dialect: Dialect, writes: Writes, notify: str | None) -> str:
    quote = dialect.identifier_preparer
    n = 0

    def placeholders(width: int, count: int) -> str:
        nonlocal n
        groups = []
        for _ in range(count):
            groups.append("(" + ", ".join(f"${n + i + 1}" for i in range(width)) + ")")
            n += width
        return ", ".join(groups)

    def head(table: Table, columns: Sequence[str]) -> str:
        names = ", ".join(quote.quote(c) for c in columns)
        # identifiers come from the table's metadata, quoted; every value is a parameter
        return f"INSERT INTO {quote.format_table(table)} ({names}) VALUES "  # noqa: S608

    parts = []
    for i, (table, rows) in enumerate(writes.inserts):
        columns = list(rows[0].keys())
        parts.append(f"w{i} AS ({head(table, columns)}{placeholders(len(columns), len(rows))})")
    for j, claim in enumerate(writes.claims):
        columns = list(claim.row.keys())
        values = placeholders(len(columns), 1)
        parts.append(
            f"c{j} AS ({head(claim.table, columns)}{values} ON CONFLICT DO NOTHING RETURNING 1)"
        )
    outputs = [f"(SELECT count(*) FROM c{j})" for j in range(len(writes.claims))]  # noqa: S608
    if notify is not None:
        outputs.append(f"pg_notify(${n + 1}, '')")
    with_ = f"WITH {', '.join(parts)} " if parts else ""
    return f"{with_}SELECT {', '.join(outputs) or '1'}"


async def _one_statement(conn: AsyncConnection, writes: Writes, notify: str | None) -> None:
    writes = Writes(_coalesced(writes.inserts), writes.claims)
    dialect = conn.dialect
    key = (dialect.name, _shape(writes, notify))
    sql = _sql_of_shape.get(key)
    if sql is None:
        if len(_sql_of_shape) >= MAX_SHAPES:
            _sql_of_shape.clear()
        sql = _sql_of_shape[key] = _sql(dialect, writes, notify)
    parameters: list[Any] = []
    for table, rows in writes.inserts:
        parameters += _values(dialect, table, rows)
    for claim in writes.claims:
        parameters += _values(dialect, claim.table, [claim.row])
    if notify is not None:
        parameters.append(notify)
    row = (await conn.exec_driver_sql(sql, tuple(parameters))).one()
    for claim, made in zip(writes.claims, row, strict=False):
        if not made:
            raise claim.error
