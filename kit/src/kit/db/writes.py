"""A transaction's trailing inserts in one round trip: state rows, audit, keys, outbox, NOTIFY.

A unit of work queues rows (``Writes.add``) and keys that must be new (``Writes.claim``) and
writes them all at commit. On PostgreSQL that is one statement whatever the number of tables:
each table's rows are a data-modifying CTE (``WITH w0 AS (INSERT ...), w1 AS (INSERT ...)``),
each claim an ``INSERT ... ON CONFLICT DO NOTHING RETURNING 1`` whose count the final ``SELECT``
returns beside ``pg_notify``; foreign keys are checked at the end of the statement, so a parent
and its children may come in the same one. A table's rows go as one array
per column (``INSERT … SELECT … FROM unnest($1::type[], …) WITH ORDINALITY ORDER BY``, rows
in order), so the SQL text depends only on the shape (tables, columns, claims), never on the
row count: it is built once per shape and the driver's prepared statement is reused by every
batch. Queued upserts (``ON CONFLICT (keys) DO UPDATE``) go in the same statement. Parameters
go through each column type's bind processor, as SQLAlchemy's own execution would. Elsewhere
(SQLite) each table is one ``executemany``, each upsert one statement and each claim one insert.
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
class Upsert:
    """Rows to insert or, when their ``keys`` exist, to update (only to a greater ``newer``)."""

    table: Table
    keys: tuple[str, ...]
    newer: str | None
    rows: dict[tuple[Any, ...], Mapping[str, Any]]


@dataclass
class Writes:
    """Rows queued for the end of a transaction, in order."""

    inserts: list[tuple[Table, list[Mapping[str, Any]]]] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    upserts: list[Upsert] = field(default_factory=list)

    def upsert(
        self,
        table: Table,
        keys: Sequence[str],
        rows: Sequence[Mapping[str, Any]],
        newer: str | None = None,
    ) -> None:
        """Queue rows to insert or update by ``keys`` (a key queued twice: the last row, or the
        one with the greater ``newer``, is written)."""
        if not rows:
            return
        found = next(
            (
                u
                for u in self.upserts
                if u.table is table and u.keys == tuple(keys) and u.newer == newer
            ),
            None,
        )
        if found is None:
            found = Upsert(table, tuple(keys), newer, {})
            self.upserts.append(found)
        for row in rows:
            row = _with_defaults(table, row)
            if found.rows and row.keys() != next(iter(found.rows.values())).keys():
                raise ValueError(f"{table.name}: queue upserts of one set of columns")
            key = tuple(row[k] for k in keys)
            kept = found.rows.get(key)
            if kept is None or newer is None or kept[newer] < row[newer]:
                found.rows[key] = row

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
        return bool(self.inserts or self.claims or self.upserts)

    def clear(self) -> None:
        """Forget everything queued."""
        self.inserts.clear()
        self.upserts.clear()
        self.claims.clear()


def _defaults(table: Table) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Return a table's scalar Python-side defaults and its computed ones (kept on the table)."""
    found: tuple[dict[str, Any], tuple[str, ...]] | None = table.info.get("kit_defaults")
    if found is None:
        with_default = [c for c in table.columns if c.default is not None]
        scalar = {c.name: c.default.arg for c in with_default if c.default.is_scalar}  # type: ignore[union-attr]
        computed = tuple(c.name for c in with_default if not c.default.is_scalar)  # type: ignore[union-attr]
        found = table.info["kit_defaults"] = (scalar, computed)
    return found


def _with_defaults(table: Table, row: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return the row with the scalar Python-side defaults of columns it leaves out."""
    scalar, computed = _defaults(table)
    if not scalar and not computed:
        return row
    for name in computed:
        if name not in row:
            raise ValueError(f"{table.name}.{name}: give a value (its default is computed)")
    missing = {name: value for name, value in scalar.items() if name not in row}
    return {**row, **missing} if missing else row


async def write(conn: AsyncConnection, writes: Writes, *, notify: str | None = None) -> None:
    """Write what is queued inside the connection's transaction; NOTIFY ``notify`` with it."""
    dialect = conn.dialect
    if dialect.name == "postgresql" and _parameters(writes) <= MAX_PARAMETERS:
        await _one_statement(conn, writes, notify)
        return
    for table, rows in writes.inserts:
        await conn.execute(insert(table), rows)
    for upsert in writes.upserts:
        await _upsert_alone(conn, upsert)
    for claim in writes.claims:
        await _claim_alone(conn, claim)
    if notify is not None and dialect.name == "postgresql":
        await conn.exec_driver_sql("SELECT pg_notify($1, '')", (notify,))


def _parameters(writes: Writes) -> int:
    # a table's rows are one array per column (unnest); a claim is a row of parameters
    return (
        sum(len(rows[0]) for _, rows in writes.inserts)
        + sum(len(c.row) for c in writes.claims)
        + sum(len(next(iter(u.rows.values()))) for u in writes.upserts)
    )


async def _upsert_alone(conn: AsyncConnection, upsert: Upsert) -> None:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        statement: Any = postgresql.insert(upsert.table)
    else:
        statement = sqlite.insert(upsert.table)
    rows = list(upsert.rows.values())
    changed = {c: statement.excluded[c] for c in rows[0] if c not in upsert.keys}
    if not changed:
        await conn.execute(statement.on_conflict_do_nothing(), rows)
        return
    only = (
        None
        if upsert.newer is None
        else upsert.table.c[upsert.newer] < statement.excluded[upsert.newer]
    )
    await conn.execute(
        statement.on_conflict_do_update(index_elements=list(upsert.keys), set_=changed, where=only),
        rows,
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
        tuple((t.fullname, tuple(rows[0].keys())) for t, rows in writes.inserts),
        tuple((c.table.fullname, tuple(c.row.keys())) for c in writes.claims),
        tuple(
            (
                u.table.fullname,
                u.keys,
                u.newer,
                tuple(next(iter(u.rows.values())).keys()),
            )
            for u in writes.upserts
        ),
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


def _arrays(dialect: Dialect, table: Table, rows: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    """Return one list of bound values per column (the arrays ``unnest`` turns into rows)."""
    columns = list(rows[0].keys())
    out: list[list[Any]] = []
    for column in columns:
        process = _processor(dialect, table, column)
        values = [row[column] for row in rows]
        out.append(values if process is None else [process(v) for v in values])
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

    def arrays(table: Table, columns: Sequence[str]) -> str:
        """``INSERT … SELECT … FROM unnest($1::type[], …)`` in the arrays' order: one SQL text
        for any number of rows (the prepared statement is reused; a parameter per column)."""
        nonlocal n
        names = [quote.quote(c) for c in columns]
        typed = []
        for c in columns:
            n += 1
            typed.append(f"${n}::{table.c[c].type.compile(dialect=dialect)}[]")
        alias = ", ".join([*names, "kit_ord"])
        return (
            f"INSERT INTO {quote.format_table(table)} ({', '.join(names)}) "  # noqa: S608
            f"SELECT {', '.join(names)} FROM unnest({', '.join(typed)}) "
            f"WITH ORDINALITY AS kit_rows({alias}) ORDER BY kit_ord"
        )

    parts = []
    for i, (table, rows) in enumerate(writes.inserts):
        parts.append(f"w{i} AS ({arrays(table, list(rows[0].keys()))})")
    for k, upsert in enumerate(writes.upserts):
        columns = list(next(iter(upsert.rows.values())).keys())
        values = arrays(upsert.table, columns)
        keys = ", ".join(quote.quote(c) for c in upsert.keys)
        changed = [c for c in columns if c not in upsert.keys]
        if changed:
            set_ = ", ".join(f"{quote.quote(c)} = EXCLUDED.{quote.quote(c)}" for c in changed)
            action = f"DO UPDATE SET {set_}"
            if upsert.newer is not None:
                newer = quote.quote(upsert.newer)
                action += f" WHERE {quote.format_table(upsert.table)}.{newer} < EXCLUDED.{newer}"
        else:
            action = "DO NOTHING"
        parts.append(f"u{k} AS ({values} ON CONFLICT ({keys}) {action})")
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
    writes = Writes(_coalesced(writes.inserts), writes.claims, writes.upserts)
    dialect = conn.dialect
    key = (dialect.name, _shape(writes, notify))
    sql = _sql_of_shape.get(key)
    if sql is None:
        if len(_sql_of_shape) >= MAX_SHAPES:
            _sql_of_shape.clear()
        sql = _sql_of_shape[key] = _sql(dialect, writes, notify)
    parameters: list[Any] = []
    for table, rows in writes.inserts:
        parameters += _arrays(dialect, table, rows)
    for upsert in writes.upserts:
        parameters += _arrays(dialect, upsert.table, list(upsert.rows.values()))
    for claim in writes.claims:
        parameters += _values(dialect, claim.table, [claim.row])
    if notify is not None:
        parameters.append(notify)
    row = (await conn.exec_driver_sql(sql, tuple(parameters))).one()
    for claim, made in zip(writes.claims, row, strict=False):
        if not made:
            raise claim.error
