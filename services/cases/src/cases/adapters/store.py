"""Load and save cases, units and clocks inside the caller's unit of work (never commits).

Statements run on the transaction's Core connection (not the ORM session's execute path); rows
that only need to exist at commit (a new case, its deputies, units, timeline, constituent) are
queued on the unit of work, which writes them with the audit entry, the idempotency key and the
outbox rows in one statement.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Executable, TextClause, bindparam, delete, insert, select, text, update
from sqlalchemy.engine import CursorResult, Row

from cases.adapters.codec import case_from_doc, case_to_doc
from cases.adapters.tables import Tables
from cases.domain.errors import VersionConflictError
from cases.domain.model import Case
from cases.domain.numbering import CaseNumber, county_label, county_of
from contracts.vocabulary import CaseKind
from kit.uow import UnitOfWork


@dataclass(frozen=True)
class UnitRecord:
    """A handling unit (承办单位) registered with the service."""

    unit_id: str
    name: str
    scope: str
    active: bool


@dataclass(frozen=True)
class Constituent:
    """The constituent behind an opinion: restricted personal data."""

    name: str
    phone: str | None = None
    address: str | None = None


@functools.cache
def _advance(counters: str) -> TextClause:
    """Return the counter upsert of ``next_numbers`` on the table named ``counters``, built once.

    As text: SQLAlchemy cannot cache a compiled ON CONFLICT DO UPDATE (no cache key).
    """
    return text(
        f"INSERT INTO {counters} (county, year, kind, last)"  # noqa: S608 - our table's name
        " VALUES (:county, :year, :kind, :count)"
        " ON CONFLICT (county, year, kind)"
        f" DO UPDATE SET last = {counters}.last + excluded.last RETURNING last"
    )


def case_columns(case: Case, chase_on: date | None) -> dict[str, Any]:
    """Return the indexed columns of a case row, derived from the aggregate."""
    last = case.last_reply
    rating = case.feedback[-1] if case.feedback else None
    lead = case.lead
    return {
        "kind": case.kind.value,
        "township": case.township,
        "state": case.state.value,
        "category": case.category,
        "title": case.title,
        "submitter": case.submitter,
        "lead_unit_id": lead.unit_id if lead else None,
        "received_on": case.received_on,
        "due_on": case.due_on,
        "chase_on": chase_on,
        "key_chase": case.key_chase,
        "solved": case.solved,
        "replied_on": last.replied_on if last else None,
        "reply_class": last.reply_class.value if last else None,
        "on_time": case.on_time if last else None,
        "result": rating.result.value if rating else None,
        "doc": case_to_doc(case),
        "version": case.version,
    }


def _units(case: Case) -> tuple[tuple[str, str], ...]:
    """Return a case's handling units as (unit id, role) pairs, in order."""
    return tuple((u.unit_id, u.role.value) for u in case.units)


class CaseStore:
    """Cases, their units, deputies, constituents and timelines."""

    def __init__(
        self, uow: UnitOfWork, tables: Tables, county_names: Mapping[str, str] | None = None
    ) -> None:
        self.uow = uow
        self.session = uow.session
        self.t = tables
        self.county_names: Mapping[str, str] = county_names or {}
        self._loaded: dict[str, tuple[tuple[tuple[str, str], ...], tuple[str, ...]]] = {}

    async def _run(self, statement: Executable, rows: Any = None) -> CursorResult[Any]:
        """Execute a Core statement on the unit of work's connection."""
        return await (await self.uow.connection()).execute(statement, rows)

    async def _scalar(self, statement: Executable) -> Any:
        """Return the first column of the first row a Core statement gives, if any."""
        return (await self._run(statement)).scalar()

    # units and clocks
    async def units(self, ids: Iterable[str]) -> dict[str, UnitRecord]:
        """Return the registered units among ``ids``."""
        wanted = set(ids)
        if not wanted:
            return {}
        rows = await self._run(select(self.t.units).where(self.t.units.c.unit_id.in_(wanted)))
        return {r.unit_id: UnitRecord(r.unit_id, r.name, r.scope, r.active) for r in rows.all()}

    async def add_unit(self, unit: UnitRecord, at: datetime) -> None:
        """Register a handling unit."""
        await self._run(
            insert(self.t.units).values(
                unit_id=unit.unit_id,
                name=unit.name,
                scope=unit.scope,
                active=unit.active,
                created_at=at,
            )
        )

    async def opinion_days(self, township: str) -> int | None:
        """Return the township's own opinion clock in days, if it set one."""
        value = await self._scalar(
            select(self.t.township_clocks.c.opinion_days).where(
                self.t.township_clocks.c.township == township
            )
        )
        return None if value is None else int(value)

    async def set_opinion_days(self, township: str, days: int, *, at: datetime, by: str) -> None:
        """Set the township's opinion clock (applies to opinions assigned from now on)."""
        table = self.t.township_clocks
        done = await self._run(
            update(table)
            .where(table.c.township == township)
            .values(opinion_days=days, updated_at=at, updated_by=by)
        )
        if not getattr(done, "rowcount", 0):
            await self._run(
                insert(table).values(
                    township=township, opinion_days=days, updated_at=at, updated_by=by
                )
            )

    # cases
    def _columns(self) -> tuple[Any, ...]:
        c = self.t.cases.c
        return (c.case_id, c.doc, c.version, c.number_county, c.number_year, c.number_seq)

    def _from_row(self, row: Row[Any]) -> Case:
        case = case_from_doc(row.doc, row.version)
        if row.number_seq is not None:
            case.number = CaseNumber(
                row.number_county,
                row.number_year,
                case.kind,
                row.number_seq,
                county_label(row.number_county, self.county_names),
            )
        return self._loaded_as(case)

    async def case(self, case_id: str, *, lock: bool = False) -> Case | None:
        """Return a case (with an empty timeline: only new steps are appended on save)."""
        query = select(*self._columns()).where(self.t.cases.c.case_id == case_id)
        if lock and self.session.bind.dialect.name == "postgresql":
            query = query.with_for_update()
        row = (await self._run(query)).one_or_none()
        return None if row is None else self._from_row(row)

    async def cases(self, case_ids: Sequence[str]) -> dict[str, Case]:
        """Return several cases at once (timelines empty)."""
        if not case_ids:
            return {}
        c = self.t.cases.c
        rows = await self._run(select(*self._columns()).where(c.case_id.in_(case_ids)))
        return {r.case_id: self._from_row(r) for r in rows.all()}

    async def next_numbers(
        self, township: str, year: int, kind: CaseKind, count: int
    ) -> list[CaseNumber]:
        """Take the next ``count`` numbers of a county, year and kind inside the caller's transaction.

        One upsert with ``RETURNING``: the counter row stays locked until the transaction ends,
        so concurrent filings queue on it and a rolled-back filing gives its numbers back.
        """
        county = county_of(township)
        wanted = {"county": county, "year": year, "kind": kind.value, "count": count}
        last = int((await self._run(_advance(self.t.case_counters.fullname), wanted)).scalar_one())
        label = county_label(county, self.county_names)
        return [
            CaseNumber(county, year, kind, seq, label) for seq in range(last - count + 1, last + 1)
        ]

    def add_case(
        self,
        case: Case,
        *,
        chase_on: date | None,
        at: datetime,
        tokens: dict[str, int] | None = None,
    ) -> None:
        """Queue a new case with its deputies, first timeline steps and token vector."""
        row = {"case_id": case.case_id, "created_at": at, "updated_at": at, "tokens": tokens}
        number = case.number
        row |= {
            "number_county": number.county if number else None,
            "number_year": number.year if number else None,
            "number_seq": number.seq if number else None,
        }
        self.uow.add(self.t.cases, {**row, **case_columns(case, chase_on)})
        self._add_units(case)
        self._add_deputies(case)
        self._timeline(case, first_seq=1)

    async def save_case(
        self, case: Case, *, expected_version: int, chase_on: date | None, at: datetime
    ) -> None:
        """Write a changed case if nobody changed it since ``expected_version`` was read."""
        done = await self._run(
            update(self.t.cases)
            .where(
                self.t.cases.c.case_id == case.case_id,
                self.t.cases.c.version == expected_version,
            )
            .values(updated_at=at, **case_columns(case, chase_on))
        )
        if getattr(done, "rowcount", 0) != 1:
            raise VersionConflictError(f"case {case.case_id} changed meanwhile; read it again")
        units, deputies = self._loaded.get(case.case_id, (None, None))
        if units != _units(case):  # links are rewritten only when the step changed them
            await self._run(
                delete(self.t.case_units).where(self.t.case_units.c.case_id == case.case_id)
            )
            self._add_units(case)
        if deputies != tuple(case.deputy_ids):
            await self._run(
                delete(self.t.case_deputies).where(self.t.case_deputies.c.case_id == case.case_id)
            )
            self._add_deputies(case)
        self._timeline(case, first_seq=expected_version + 1)
        self._loaded_as(case)

    def _loaded_as(self, case: Case) -> Case:
        """Remember the links a case was read with (``save_case`` rewrites only changed ones)."""
        self._loaded[case.case_id] = (_units(case), tuple(case.deputy_ids))
        return case

    def _add_units(self, case: Case) -> None:
        self.uow.add_all(
            self.t.case_units,
            [
                {"unit_id": unit_id, "case_id": case.case_id, "role": role}
                for unit_id, role in _units(case)
            ],
        )

    def _add_deputies(self, case: Case) -> None:
        self.uow.add_all(
            self.t.case_deputies,
            [
                {"deputy_id": d, "case_id": case.case_id, "position": i}
                for i, d in enumerate(case.deputy_ids)
            ],
        )

    def _timeline(self, case: Case, *, first_seq: int) -> None:
        rows = [
            {
                "case_id": case.case_id,
                "seq": first_seq + i,
                "at": e.at,
                "actor": e.actor,
                "action": e.action.value,
                "before": e.before.value if e.before else None,
                "after": e.after.value,
                "comment": e.comment,
            }
            for i, e in enumerate(case.timeline)
        ]
        self.uow.add_all(self.t.timeline, rows)

    async def timeline(self, case_id: str) -> list[dict[str, Any]]:
        """Return every step of a case, oldest first."""
        t = self.t.timeline
        rows = await self._run(
            select(t.c.seq, t.c.at, t.c.actor, t.c.action, t.c.before, t.c.after, t.c.comment)
            .where(t.c.case_id == case_id)
            .order_by(t.c.seq)
        )
        return [dict(r._mapping) for r in rows.all()]

    # constituents
    def add_constituent(self, case_id: str, person: Constituent) -> None:
        """Queue the constituent behind an opinion."""
        self.uow.add(
            self.t.constituents,
            {
                "case_id": case_id,
                "name": person.name,
                "phone": person.phone,
                "address": person.address,
            },
        )

    async def constituents(self, case_ids: Sequence[str]) -> dict[str, Constituent]:
        """Return the constituents behind the given cases."""
        if not case_ids:
            return {}
        rows = await self._run(
            select(self.t.constituents).where(self.t.constituents.c.case_id.in_(case_ids))
        )
        return {r.case_id: Constituent(r.name, r.phone, r.address) for r in rows.all()}

    # chasing
    async def due_for_chase(self, today: date, limit: int) -> list[tuple[str, int]]:
        """Return (case id, version) of cases whose chase day has come (index range scan)."""
        c = self.t.cases.c
        rows = await self._run(
            select(c.case_id, c.version)
            .where(c.chase_on.isnot(None), c.chase_on <= today)
            .order_by(c.chase_on, c.case_id)
            .limit(limit)
        )
        return [(r.case_id, r.version) for r in rows.all()]

    async def move_chase_days(self, moves: Sequence[tuple[str, int, date | None]]) -> None:
        """Set each case's next chase day, if it is still at the version read (one executemany)."""
        if not moves:
            return
        c = self.t.cases.c
        await self._run(
            update(self.t.cases)
            .where(c.case_id == bindparam("b_case"), c.version == bindparam("b_version"))
            .values(chase_on=bindparam("b_chase_on")),
            [{"b_case": cid, "b_version": v, "b_chase_on": on} for cid, v, on in moves],
        )

    async def all_units(self, scope: str) -> list[UnitRecord]:
        """Return the units serving places inside (or around) a scope."""
        rows = await self._run(select(self.t.units).order_by(self.t.units.c.unit_id))
        return [
            UnitRecord(r.unit_id, r.name, r.scope, r.active)
            for r in rows.all()
            if r.scope.startswith(scope) or scope.startswith(r.scope)
        ]
