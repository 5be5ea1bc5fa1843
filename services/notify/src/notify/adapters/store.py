"""Reads and writes of the notify tables over one unit of work's session."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    DateTime,
    Integer,
    Row,
    Select,
    String,
    Table,
    TextClause,
    and_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    text,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.vocabulary import RecipientKind
from kit.db import ranges
from notify.adapters.codec import preferences_from
from notify.adapters.tables import Tables
from notify.domain.attempts import Status
from notify.domain.directory import MemoryDirectory, Office
from notify.domain.model import Channel, Recipient, RecipientRef
from notify.domain.preferences import Preferences

DUE = (Status.pending.value, Status.retrying.value)
OPEN = (*DUE, Status.sending.value)
_MARKED = (
    "delivery_id",
    "status",
    "attempts",
    "last_error",
    "error_kind",
    "next_at",
    "finished_at",
    "provider_id",
)
_TEXTS = ("delivery_id", "status", "last_error", "error_kind", "provider_id")
_TIMES = ("next_at", "finished_at")


@functools.cache
def _mark_statement(table: str) -> TextClause:
    """Return ``mark_many``'s one statement: the outcomes as arrays, ``unnest`` into rows.

    Its text is the same for any number of outcomes, so it is compiled (and prepared) once, where
    an ``UPDATE … FROM (VALUES …)`` was compiled with every outcome's parameters each time. A
    value left NULL (``next_at``, ``finished_at``, ``provider_id``) keeps the stored one.
    """
    return text(
        f"UPDATE {table} AS d SET status = o.status, attempts = o.attempts, "  # noqa: S608 (our table's name)
        "last_error = o.last_error, error_kind = o.error_kind, "
        "next_at = coalesce(o.next_at, d.next_at), "
        "finished_at = coalesce(o.finished_at, d.finished_at), "
        "provider_id = coalesce(o.provider_id, d.provider_id), "
        "claimed_by = NULL, lease_until = NULL "
        "FROM unnest(CAST(:delivery_id AS VARCHAR[]), CAST(:status AS VARCHAR[]), "
        "CAST(:attempts AS INTEGER[]), CAST(:last_error AS VARCHAR[]), "
        "CAST(:error_kind AS VARCHAR[]), CAST(:next_at AS TIMESTAMPTZ[]), "
        "CAST(:finished_at AS TIMESTAMPTZ[]), CAST(:provider_id AS VARCHAR[])) "
        "AS o(delivery_id, status, attempts, last_error, error_kind, next_at, finished_at, "
        "provider_id) "
        "WHERE d.delivery_id = o.delivery_id AND d.claimed_by = :holder "
        f"AND d.status = '{Status.sending.value}' "
        "RETURNING d.delivery_id"
    ).bindparams(
        *(bindparam(name, type_=ARRAY(String)) for name in _TEXTS),
        bindparam("attempts", type_=ARRAY(Integer)),
        *(bindparam(name, type_=ARRAY(DateTime(timezone=True))) for name in _TIMES),
    )


async def directory_changed(session: AsyncSession, tables: Tables) -> None:
    """Move the directory's version in the writer's transaction (call it before the write).

    Every write of recipients, contacts, offices, townships or preferences calls it: an intake
    holding a copy of an older version reads them again (``handlers.intake``). Taken first, the
    version row's lock orders concurrent writers (no deadlock between two of them).
    """
    v = tables.directory_version
    await session.execute(update(v).where(v.c.id == 1).values(version=v.c.version + 1))


async def write_contact(
    session: AsyncSession, tables: Tables, ref: RecipientRef, channel: Channel, address: str | None
) -> None:
    """Set (or with None, erase) an address; a new one is current (not superseded)."""
    t = tables.contacts
    key = (t.c.kind == ref.kind.value, t.c.recipient_id == ref.id, t.c.channel == channel.value)
    await session.execute(t.delete().where(*key))
    if address:
        await session.execute(
            t.insert().values(
                kind=ref.kind.value, recipient_id=ref.id, channel=channel.value, address=address
            )
        )


async def directory_version(session: AsyncSession, tables: Tables) -> int | None:
    """Return the directory's committed version (this transaction's, after its own writes)."""
    v = tables.directory_version
    found: int | None = await session.scalar(select(v.c.version).where(v.c.id == 1))
    return found


_DELIVERY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("delivery_id", "VARCHAR"),
    ("event_id", "VARCHAR"),
    ("recipient_kind", "VARCHAR"),
    ("recipient_id", "VARCHAR"),
    ("channel", "VARCHAR"),
    ("township", "VARCHAR"),
    ("event_type", "VARCHAR"),
    ("event_time", "TIMESTAMPTZ"),
    ("subject", "VARCHAR"),
    ("template", "VARCHAR"),
    ("status", "VARCHAR"),
    ("urgent", "BOOLEAN"),
    ("held", "BOOLEAN"),
    ("next_at", "TIMESTAMPTZ"),
    ("digest_day", "DATE"),
    ("title", "TEXT"),
    ("body", "TEXT"),
    ("segments", "INTEGER"),
    ("attempts", "INTEGER"),
    ("error_kind", "VARCHAR"),
    ("last_error", "VARCHAR"),
    ("created_at", "TIMESTAMPTZ"),
    ("finished_at", "TIMESTAMPTZ"),
)
"""The columns the intake writes of a delivery, with their PostgreSQL array element types."""
_INBOX_COLUMNS: tuple[tuple[str, str], ...] = (
    ("item_id", "VARCHAR"),
    ("recipient_kind", "VARCHAR"),
    ("recipient_id", "VARCHAR"),
    ("township", "VARCHAR"),
    ("event_id", "VARCHAR"),
    ("event_type", "VARCHAR"),
    ("subject", "VARCHAR"),
    ("title", "TEXT"),
    ("body", "TEXT"),
    ("created_at", "TIMESTAMPTZ"),
)


def _unnest_insert(table: str, columns: Sequence[tuple[str, str]], returning: str | None) -> str:
    """Return an ``INSERT … SELECT FROM unnest(<one array a column>) ON CONFLICT DO NOTHING``.

    Its text is the same for any number of rows: prepared once per connection, where an
    ``executemany`` of N rows was rendered (and prepared) anew for every N and processed each
    row's parameters one by one.
    """
    names = ", ".join(name for name, _ in columns)
    arrays = ", ".join(f"${n}::{kind}[]" for n, (_, kind) in enumerate(columns, 1))
    tail = f" RETURNING {returning}" if returning else ""
    return (
        f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) "  # noqa: S608 (our names)
        f"ON CONFLICT DO NOTHING{tail}"
    )


def _due(d: Table, now: Any) -> ColumnElement[bool]:
    """Return the condition of a delivery a sender may claim: due, or its claim ran out."""
    return or_(
        and_(d.c.status.in_(DUE), d.c.next_at <= now),
        and_(d.c.status == Status.sending.value, d.c.lease_until < now),
    )


def _status(d: Table, *statuses: str) -> ColumnElement[bool]:
    """Return ``status IN (<literals>)``: PostgreSQL proves a partial index applies in any plan."""
    return d.c.status.in_([literal_column(f"'{s}'") for s in statuses])


def backlog_statements(d: Table, now: datetime) -> tuple[Select[Any], Select[Any], Select[Any]]:
    """Return the backlog gauge's statements: the due rows, the claimed ones (count and the
    oldest ``next_at``, each through its partial index), and the held ones."""
    due = select(func.count(), func.min(d.c.next_at)).where(_status(d, *DUE), d.c.next_at <= now)
    claimed = select(func.count(), func.min(d.c.next_at)).where(
        _status(d, Status.sending.value), d.c.next_at <= now
    )
    held = select(func.count()).where(_status(d, Status.pending.value), d.c.held, d.c.next_at > now)
    return due, claimed, held


def digest_items_statement(d: Table, now: datetime, limit: int) -> Select[Any]:
    """Return the digest items whose digest instant has come (``ix_deliveries_digested``)."""
    return (
        select(d)
        .where(_status(d, Status.digested.value), d.c.next_at <= now)
        .order_by(d.c.recipient_kind, d.c.recipient_id, d.c.channel, d.c.digest_day)
        .limit(limit)
    )


@functools.cache
def _claim_statement(d: Table, contacts: Table) -> Any:
    """Return the claim's one PostgreSQL statement, built once (its cache key computed once).

    Two ``MATERIALIZED`` CTEs take the rows (``FOR UPDATE SKIP LOCKED``, each evaluated once):
    the due ones in ``next_at`` order from the partial index ``ix_deliveries_claimable`` (it
    stops after ``:limit``: no scan of the table and no sort of everything due, whose cost grew
    with the table — 11 ms a claim at 10,000 rows), and those whose claim ran out (few: the
    ``sending`` rows of ``ix_deliveries_claimed``); the ``UPDATE`` claims at most ``:limit`` of
    them, those whose claim ran out first, and returns each with its address.
    """
    now = bindparam("now", type_=DateTime(timezone=True))
    limit = bindparam("limit", type_=Integer)
    due = (
        select(d.c.delivery_id)
        .where(d.c.status.in_([literal_column(f"'{s}'") for s in DUE]), d.c.next_at <= now)
        # the statuses as literals: PostgreSQL proves the partial index applies in any plan
        .order_by(d.c.next_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("due")
        .prefix_with("MATERIALIZED")
    )
    lapsed = (
        select(d.c.delivery_id)
        .where(d.c.status == literal_column(f"'{Status.sending.value}'"), d.c.lease_until < now)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("lapsed")
        .prefix_with("MATERIALIZED")
    )
    taken = (
        union_all(select(lapsed.c.delivery_id), select(due.c.delivery_id))
        .limit(limit)
        .cte("chosen")
        .prefix_with("MATERIALIZED")
    )
    address = (
        select(contacts.c.address)
        .where(
            contacts.c.kind == d.c.recipient_kind,
            contacts.c.recipient_id == d.c.recipient_id,
            contacts.c.channel == d.c.channel,
            contacts.c.superseded_at.is_(None),
        )
        .scalar_subquery()
        .label("_address")
    )
    return (
        update(d)
        .where(d.c.delivery_id == taken.c.delivery_id)
        .values(
            status=Status.sending.value,
            claimed_by=bindparam("holder", type_=String),
            lease_until=bindparam("until", type_=DateTime(timezone=True)),
            attempts=d.c.attempts + 1,
        )
        .returning(*d.c, address)
    )


@functools.cache
def _claim_sql(
    d: Table, contacts: Table, dialect: Any
) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """Return the claim's text for asyncpg, its parameters' names in order and the fixed values.

    Compiled once: the sender runs it through the driver (no SQLAlchemy result rows to build).
    """
    compiled = _claim_statement(d, contacts).compile(dialect=dialect)
    names = tuple(compiled.positiontup or ())
    wanted = {"now": None, "holder": None, "until": None, "limit": None}
    fixed = {k: v for k, v in compiled.construct_params(wanted).items() if k not in wanted}
    return str(compiled), names, fixed


@dataclass(frozen=True)
class Claimed:
    """A delivery a sender holds: its row and its recipient's address on its channel (restricted)."""

    row: Mapping[str, Any]
    address: str | None = field(default=None, repr=False)

    @property
    def delivery_id(self) -> str:
        """Return the delivery id."""
        return str(self.row["delivery_id"])

    @property
    def ref(self) -> RecipientRef:
        """Return the recipient."""
        return RecipientRef(RecipientKind(self.row["recipient_kind"]), self.row["recipient_id"])

    @property
    def channel(self) -> Channel:
        """Return the channel."""
        return Channel(self.row["channel"])

    @property
    def attempts(self) -> int:
        """Return the attempts made, this one included."""
        return int(self.row["attempts"])


class NotifyStore:
    """The notify tables over one session."""

    def __init__(self, session: AsyncSession, tables: Tables) -> None:
        self.session = session
        self.t = tables

    def _insert(self, table: Any) -> Any:
        dialect = self.session.get_bind().dialect.name
        return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)

    # -- directory -----------------------------------------------------------------------------

    async def directory(self) -> MemoryDirectory:
        """Return the whole directory with its contacts (restricted: for planning and sending)."""
        t = self.t
        addresses: dict[tuple[str, str], dict[Channel, str]] = {}
        superseded: dict[tuple[str, str], set[Channel]] = {}
        for row in (await self.session.execute(select(t.contacts))).all():
            key = (row.kind, row.recipient_id)
            if row.superseded_at is None:
                addresses.setdefault(key, {})[Channel(row.channel)] = row.address
            else:
                superseded.setdefault(key, set()).add(Channel(row.channel))
        people = [
            Recipient(
                RecipientRef(RecipientKind(r.kind), r.recipient_id),
                r.name,
                r.township,
                MappingProxyType(addresses.get((r.kind, r.recipient_id), {})),
                frozenset(superseded.get((r.kind, r.recipient_id), ())),
            )
            for r in (
                await self.session.execute(select(t.recipients).where(t.recipients.c.active))
            ).all()
        ]
        offices: dict[tuple[Office, str], list[RecipientRef]] = {}
        for o in (await self.session.execute(select(t.office_holders))).all():
            offices.setdefault((Office(o.office), o.scope), []).append(
                RecipientRef(RecipientKind(o.kind), o.recipient_id)
            )
        return MemoryDirectory(people, offices)

    async def upsert_recipient(
        self, ref: RecipientRef, *, name: str, township: str, active: bool, version: int = 0
    ) -> None:
        """Record a recipient unless a newer version is already known."""
        await directory_changed(self.session, self.t)
        t = self.t.recipients
        values = {
            "kind": ref.kind.value,
            "recipient_id": ref.id,
            "name": name,
            "township": township,
            "active": active,
            "version": version,
        }
        statement = self._insert(t).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["kind", "recipient_id"],
            set_={k: statement.excluded[k] for k in ("name", "township", "active", "version")},
            where=t.c.version <= version,
        )
        await self.session.execute(statement)

    async def set_active(self, ref: RecipientRef, active: bool, version: int) -> None:
        """Mark a recipient active or not, unless a newer version is known."""
        await directory_changed(self.session, self.t)
        t = self.t.recipients
        await self.session.execute(
            update(t)
            .where(t.c.kind == ref.kind.value, t.c.recipient_id == ref.id, t.c.version < version)
            .values(active=active, version=version)
        )

    async def set_contact(self, ref: RecipientRef, channel: Channel, address: str | None) -> None:
        """Set (or with None, erase) a recipient's address on a channel."""
        await directory_changed(self.session, self.t)
        await write_contact(self.session, self.t, ref, channel, address)

    async def supersede_contact(self, ref: RecipientRef, channel: Channel, at: datetime) -> bool:
        """Mark a recipient's address on a channel as changed at its source; say if one was."""
        await directory_changed(self.session, self.t)
        t = self.t.contacts
        done = await self.session.execute(
            update(t)
            .where(
                t.c.kind == ref.kind.value,
                t.c.recipient_id == ref.id,
                t.c.channel == channel.value,
                t.c.superseded_at.is_(None),
            )
            .values(superseded_at=at)
        )
        return bool(getattr(done, "rowcount", 0))

    async def hold_office(self, office: Office, scope: str, ref: RecipientRef) -> None:
        """Record that a recipient holds an office for a township or county."""
        await directory_changed(self.session, self.t)
        statement = self._insert(self.t.office_holders).values(
            office=office.value, scope=scope, kind=ref.kind.value, recipient_id=ref.id
        )
        await self.session.execute(statement.on_conflict_do_nothing())

    async def upsert_township(self, code: str, county: str, name: str) -> None:
        """Record a township's name."""
        await directory_changed(self.session, self.t)
        statement = self._insert(self.t.townships).values(code=code, county=county, name=name)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["code"], set_={"name": name, "county": county}
            )
        )

    async def township_of(self, ref: RecipientRef) -> str | None:
        """Return the township of a recipient the directory knows (or None)."""
        t = self.t.recipients
        found: str | None = await self.session.scalar(
            select(t.c.township).where(t.c.kind == ref.kind.value, t.c.recipient_id == ref.id)
        )
        return found

    async def township_names(self) -> dict[str, str]:
        """Return every known township's name by code."""
        rows = await self.session.execute(select(self.t.townships.c.code, self.t.townships.c.name))
        return {r.code: r.name for r in rows.all()}

    async def addresses(
        self, keys: Iterable[tuple[RecipientRef, Channel]]
    ) -> dict[tuple[RecipientRef, Channel], str]:
        """Return the addresses of (recipient, channel) pairs that have one (restricted)."""
        wanted = {(r.kind.value, r.id, c.value): (r, c) for r, c in keys}
        if not wanted:
            return {}
        t = self.t.contacts
        rows = await self.session.execute(
            select(t).where(tuple_(t.c.kind, t.c.recipient_id, t.c.channel).in_(list(wanted)))
        )
        return {wanted[(r.kind, r.recipient_id, r.channel)]: r.address for r in rows.all()}

    # -- preferences and reminders ------------------------------------------------------------

    async def all_preferences(self) -> dict[RecipientRef, Preferences]:
        """Return the stored preferences of every recipient that has any."""
        rows = await self.session.execute(select(self.t.preferences))
        return {
            RecipientRef(RecipientKind(r.kind), r.recipient_id): preferences_from(r.document)
            for r in rows.all()
        }

    async def preferences_row(self, ref: RecipientRef) -> Row[Any] | None:
        """Return a recipient's stored preferences row (document, version), if any."""
        t = self.t.preferences
        found = await self.session.execute(
            select(t).where(t.c.kind == ref.kind.value, t.c.recipient_id == ref.id)
        )
        return found.one_or_none()

    async def save_preferences(
        self, ref: RecipientRef, doc: Mapping[str, Any], expected: int
    ) -> int | None:
        """Store preferences if the stored version is ``expected`` (0: none yet); return the new."""
        await directory_changed(self.session, self.t)
        t = self.t.preferences
        if expected == 0:
            statement = self._insert(t).values(
                kind=ref.kind.value, recipient_id=ref.id, document=dict(doc), version=1
            )
            done = await self.session.execute(statement.on_conflict_do_nothing())
            return 1 if getattr(done, "rowcount", 0) else None
        done = await self.session.execute(
            update(t)
            .where(t.c.kind == ref.kind.value, t.c.recipient_id == ref.id, t.c.version == expected)
            .values(document=dict(doc), version=expected + 1)
        )
        return expected + 1 if getattr(done, "rowcount", 0) else None

    async def reminders(self, keys: Iterable[str]) -> dict[tuple[RecipientRef, str], Row[Any]]:
        """Return the reminder state of every recipient for some throttle keys."""
        wanted = list(set(keys))
        if not wanted:
            return {}
        t = self.t.reminders
        rows = await self.session.execute(select(t).where(t.c.key.in_(wanted)))
        return {(RecipientRef(RecipientKind(r.kind), r.recipient_id), r.key): r for r in rows.all()}

    async def remind(self, ref: RecipientRef, key: str, at: datetime) -> None:
        """Count one more reminder sent to a recipient under a throttle key."""
        t = self.t.reminders
        statement = self._insert(t).values(
            kind=ref.kind.value, recipient_id=ref.id, key=key, last_at=at, sent=1
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["kind", "recipient_id", "key"],
                set_={"last_at": at, "sent": t.c.sent + 1},
            )
        )

    # -- deliveries ------------------------------------------------------------------------------

    async def add_deliveries(self, rows: Sequence[Mapping[str, Any]]) -> set[str]:
        """Insert deliveries; a key already there is skipped. Return the ids inserted."""
        if not rows:
            return set()
        t = self.t.deliveries
        if self.session.get_bind().dialect.name == "postgresql":
            sql = _unnest_insert(t.fullname, _DELIVERY_COLUMNS, "delivery_id")
            found = await self._unnest(sql, _DELIVERY_COLUMNS, rows)
            return {str(r[0]) for r in found}
        statement = self._insert(t).on_conflict_do_nothing().returning(t.c.delivery_id)
        # executemany: SQLAlchemy batches the rows into multi-row INSERTs ("insertmanyvalues")
        done = await self.session.execute(statement, [dict(r) for r in rows])
        return set(done.scalars().all())

    async def add_inbox_items(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert in-app inbox items; one already there is skipped."""
        if not rows:
            return
        if self.session.get_bind().dialect.name == "postgresql":
            sql = _unnest_insert(self.t.inbox_items.fullname, _INBOX_COLUMNS, None)
            await self._unnest(sql, _INBOX_COLUMNS, rows)
            return
        statement = self._insert(self.t.inbox_items).on_conflict_do_nothing()
        await self.session.execute(statement, [dict(r) for r in rows])  # executemany

    async def _unnest(
        self, sql: str, columns: Sequence[tuple[str, str]], rows: Sequence[Mapping[str, Any]]
    ) -> list[Any]:
        """Run an ``_unnest_insert`` with the rows as one array a column (asyncpg, as the kit's
        trailing writes do); return the rows it returns."""
        conn = await self.session.connection()
        arrays = tuple([row.get(name) for row in rows] for name, _ in columns)
        found = await conn.exec_driver_sql(sql, arrays)
        return list(found.all()) if found.returns_rows else []

    async def claim(self, now: datetime, holder: str, until: datetime, limit: int) -> list[Claimed]:
        """Claim due deliveries (and ones whose claim ran out) for this sender; count the attempt.

        Each comes with its recipient's address on its channel (None: it has none). On
        PostgreSQL one statement does it all (``_claim_statement``: ``MATERIALIZED`` CTEs take the
        rows, ``FOR UPDATE SKIP LOCKED``, never more than ``limit``; the ``UPDATE`` claims them
        and returns them with the address); SQLite takes three statements.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            conn = await self.session.connection()
            sql, names, fixed = _claim_sql(self.t.deliveries, self.t.contacts, conn.dialect)
            values = {**fixed, "now": now, "holder": holder, "until": until, "limit": limit}
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            # asyncpg's own fetch: one statement, so in a unit of work that has run nothing yet
            # it commits on its own (no BEGIN and COMMIT round trips; SQLAlchemy begins lazily)
            claimed = []
            for r in await driver.fetch(sql, *(values[name] for name in names)):
                row = dict(r)
                claimed.append(Claimed(row, row.pop("_address")))
            return claimed
        d = self.t.deliveries
        due = _due(d, now)
        # SQLite: one writer at a time holds the database, no row locks to skip
        chosen = select(d.c.delivery_id).where(due).order_by(d.c.next_at).limit(limit)
        ids = list((await self.session.execute(chosen)).scalars().all())
        if not ids:
            return []
        statement = (
            update(d)
            .where(d.c.delivery_id.in_(ids), due)
            .values(
                status=Status.sending.value,
                claimed_by=holder,
                lease_until=until,
                attempts=d.c.attempts + 1,
            )
            .returning(*d.c)
        )
        rows = [Claimed(dict(r)) for r in (await self.session.execute(statement)).mappings().all()]
        addresses = await self.addresses((c.ref, c.channel) for c in rows)
        return [Claimed(c.row, addresses.get((c.ref, c.channel))) for c in rows]

    async def mark_many(self, holder: str, outcomes: Sequence[Mapping[str, Any]]) -> set[str]:
        """Record many attempts' outcomes in one statement; return the ids still this sender's.

        Each outcome names ``delivery_id``, ``status``, ``attempts``, ``last_error`` and
        ``error_kind``, and optionally ``next_at``, ``finished_at``, ``provider_id`` (a missing
        one keeps the stored value). A row another sender retook meanwhile is left alone.
        """
        if not outcomes:
            return set()
        d = self.t.deliveries
        if self.session.get_bind().dialect.name != "postgresql":
            return await self._mark_each(holder, outcomes)
        arrays = {name: [out.get(name) for out in outcomes] for name in _MARKED}
        conn = await self.session.connection()  # Core: not the ORM's execute path
        done = await conn.execute(_mark_statement(d.fullname), {**arrays, "holder": holder})
        return {str(i) for i in done.scalars().all()}

    async def _mark_each(self, holder: str, outcomes: Sequence[Mapping[str, Any]]) -> set[str]:
        """``mark_many`` a statement per row (SQLite has no ``UPDATE … FROM (VALUES …) AS o (…)``)."""
        d = self.t.deliveries
        ours: set[str] = set()
        for out in outcomes:
            values = {k: v for k, v in out.items() if k != "delivery_id" and v is not None}
            values.update({k: out.get(k) for k in ("last_error", "error_kind")})
            done = await self.session.execute(
                update(d)
                .where(
                    d.c.delivery_id == out["delivery_id"],
                    d.c.claimed_by == holder,
                    d.c.status == Status.sending.value,
                )
                .values(**values, claimed_by=None, lease_until=None)
            )
            if getattr(done, "rowcount", 0):
                ours.add(str(out["delivery_id"]))
        return ours

    async def backlog(self, now: datetime) -> tuple[int, float, int]:
        """Return the deliveries due and unsent, the oldest one's age (s), and those held."""
        d = self.t.deliveries
        count, oldest = 0, None
        for statement in backlog_statements(d, now)[:2]:
            n, first = (await self.session.execute(statement)).one()
            count += int(n)
            if first is not None and (oldest is None or first < oldest):
                oldest = first
        held = await self.session.scalar(backlog_statements(d, now)[2])
        age = (now - oldest).total_seconds() if oldest is not None else 0.0
        return count, age, int(held or 0)

    async def due_digest_items(self, now: datetime, limit: int) -> list[Row[Any]]:
        """Return digest items whose digest instant has come, oldest first."""
        found = await self.session.execute(digest_items_statement(self.t.deliveries, now, limit))
        return list(found.all())

    async def include(self, ids: Sequence[str], digest_id: str, now: datetime) -> None:
        """Mark digest items as gone out in the digest delivery ``digest_id``."""
        d = self.t.deliveries
        await self.session.execute(
            update(d)
            .where(d.c.delivery_id.in_(ids), d.c.status == Status.digested.value)
            .values(status=Status.included.value, provider_id=digest_id, finished_at=now)
        )

    async def delivery(self, delivery_id: str) -> Row[Any] | None:
        """Return one delivery row."""
        d = self.t.deliveries
        found = await self.session.execute(select(d).where(d.c.delivery_id == delivery_id))
        return found.one_or_none()

    async def log(
        self,
        ref: RecipientRef | None,
        subject: str | None,
        limit: int,
        offset: int,
        *,
        within: str | None = None,
    ) -> list[Row[Any]]:
        """Return deliveries of a recipient or about a subject (a case), newest first.

        ``within`` keeps the deliveries of townships under a division-code prefix.
        """
        d = self.t.deliveries
        query = select(d)
        if within is not None:
            query = query.where(ranges.within(d.c.township, within))
        if ref is not None:
            query = query.where(d.c.recipient_kind == ref.kind.value, d.c.recipient_id == ref.id)
        if subject is not None:
            query = query.where(d.c.subject == subject)
        query = query.order_by(d.c.created_at.desc(), d.c.delivery_id).limit(limit).offset(offset)
        return list((await self.session.execute(query)).all())

    async def resend(self, delivery_id: str, now: datetime) -> bool:
        """Put a failed delivery back in the queue (its attempts start again)."""
        d = self.t.deliveries
        done = await self.session.execute(
            update(d)
            .where(d.c.delivery_id == delivery_id, d.c.status == Status.failed.value)
            .values(
                status=Status.pending.value,
                next_at=now,
                attempts=0,
                error_kind=None,
                finished_at=None,
            )
        )
        return bool(getattr(done, "rowcount", 0))

    # -- inbox -----------------------------------------------------------------------------------

    async def inbox(self, ref: RecipientRef, limit: int, offset: int) -> tuple[list[Row[Any]], int]:
        """Return a recipient's inbox items, newest first, and the unread count."""
        i = self.t.inbox_items
        mine = and_(i.c.recipient_kind == ref.kind.value, i.c.recipient_id == ref.id)
        rows = await self.session.execute(
            select(i)
            .where(mine)
            .order_by(i.c.created_at.desc(), i.c.item_id)
            .limit(limit)
            .offset(offset)
        )
        unread = await self.session.scalar(
            select(func.count()).select_from(i).where(mine, i.c.read_at.is_(None))
        )
        return list(rows.all()), int(unread or 0)

    async def mark_read(self, ref: RecipientRef, item_id: str, now: datetime) -> bool | None:
        """Mark an own inbox item read; None when it is not the recipient's (or does not exist)."""
        i = self.t.inbox_items
        row = (
            await self.session.execute(
                select(i.c.read_at).where(
                    i.c.item_id == item_id,
                    i.c.recipient_kind == ref.kind.value,
                    i.c.recipient_id == ref.id,
                )
            )
        ).one_or_none()
        if row is None:
            return None
        if row.read_at is None:
            await self.session.execute(update(i).where(i.c.item_id == item_id).values(read_at=now))
        return True
