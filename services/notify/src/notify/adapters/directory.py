"""The directory's own reads and writes (units, staff, offices, contacts) and the case projection.

Kept apart from ``store.py`` (deliveries and the sender's claims). Addresses read here are
restricted: the API masks them before they leave (``handlers.directory``), nothing logs them.
The import's file reading (CSV in UTF-8 or GB18030, XLSX through openpyxl) is here too.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ARRAY, String, and_, any_, bindparam, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import cases as ce
from contracts.common import EventData
from contracts.vocabulary import RecipientKind
from kit.db import ranges
from notify.adapters.store import directory_changed, write_contact
from notify.adapters.tables import Tables
from notify.domain.directory import Entry, MemoryDirectory, Office, Subject, SubjectKind
from notify.domain.model import Channel, RecipientRef
from notify.domain.preferences import Preferences

PROJECTED = frozenset(
    {
        ce.SuggestionSubmitted.EVENT_TYPE,
        ce.OpinionSubmitted.EVENT_TYPE,
        ce.CaseAssigned.EVENT_TYPE,
        ce.CaseReturned.EVENT_TYPE,
        ce.SupervisionTopicOpened.EVENT_TYPE,
        ce.SupervisionMeasureAdded.EVENT_TYPE,
    }
)
"""The cases events the case projection reads."""
_IDS = bindparam("ids", type_=ARRAY(String))
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_UPSERT_SUBJECTS = (
    "INSERT INTO subjects (kind, subject_id, township, title, lead_unit_id, deputy_ids) "
    "SELECT k, i, t, ti, l, d::json FROM unnest($1::VARCHAR[], $2::VARCHAR[], $3::VARCHAR[], "
    "$4::TEXT[], $5::VARCHAR[], $6::TEXT[]) AS u(k, i, t, ti, l, d) "
    "ON CONFLICT (kind, subject_id) DO UPDATE SET township = EXCLUDED.township, "
    "title = EXCLUDED.title, "
    "lead_unit_id = coalesce(EXCLUDED.lead_unit_id, subjects.lead_unit_id), "
    "deputy_ids = CASE WHEN json_array_length(EXCLUDED.deputy_ids) > 0 "
    "THEN EXCLUDED.deputy_ids ELSE subjects.deputy_ids END"
)
"""The case projection's upsert on PostgreSQL: one array a column, keys distinct (merged)."""


@dataclass(frozen=True)
class Listed:
    """A directory entry as stored: who, where, whether active, its version, addresses, offices."""

    ref: RecipientRef
    name: str
    area: str
    active: bool
    version: int
    contacts: Mapping[Channel, str] = field(default_factory=dict)
    offices: frozenset[Office] = frozenset()
    superseded: frozenset[Channel] = frozenset()


def subjects_of(data: EventData) -> list[Subject]:
    """Return what one cases event tells the case projection (empty for other events)."""
    if isinstance(data, ce.SuggestionSubmitted):
        deputies = (data.lead_deputy_id, *data.co_deputy_ids)
        return [Subject(SubjectKind.case, data.case_id, data.township, data.title, None, deputies)]
    if isinstance(data, ce.OpinionSubmitted):
        deputies = tuple(data.receiving_deputy_ids)
        return [Subject(SubjectKind.case, data.case_id, data.township, data.title, None, deputies)]
    if isinstance(data, ce.CaseAssigned):
        lead = next((u.unit_id for u in data.units if str(u.role) == "lead"), None)
        return [
            Subject(
                SubjectKind.case, data.case_id, data.township, data.title, lead, data.deputy_ids
            )
        ]
    if isinstance(data, ce.SupervisionTopicOpened):
        topic = Subject(SubjectKind.topic, data.topic_id, data.township, data.title)
        return [topic, *(_measure(data.township, m) for m in data.measures)]
    if isinstance(data, ce.SupervisionMeasureAdded):
        return [_measure(data.township, data.measure)]
    return []


def _measure(township: str, measure: ce.Measure) -> Subject:
    return Subject(
        SubjectKind.measure,
        measure.measure_id,
        township,
        measure.description,
        measure.owner_unit_id,
    )


def named_subjects(data: EventData) -> list[tuple[SubjectKind, str]]:
    """Return the subjects an event may need from the projection: its case or topic, a measure."""
    wanted = [(SubjectKind.case, data.event_subject()), (SubjectKind.topic, data.event_subject())]
    measure = getattr(data, "measure_id", None)
    if isinstance(measure, str):
        wanted.append((SubjectKind.measure, measure))
    return wanted


class DirectoryStore:
    """The directory tables over one session."""

    def __init__(self, session: AsyncSession, tables: Tables) -> None:
        self.session = session
        self.t = tables

    def _insert(self, table: Any) -> Any:
        dialect = self.session.get_bind().dialect.name
        return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)

    # -- entries ---------------------------------------------------------------------------------

    async def entries(
        self, kind: RecipientKind, within: str, refs: Sequence[RecipientRef] | None = None
    ) -> list[Listed]:
        """Return the entries of a kind whose area lies within a division-code prefix, by id."""
        r = self.t.recipients
        query = select(r).where(r.c.kind == kind.value, ranges.within(r.c.township, within))
        if refs is not None:
            query = query.where(r.c.recipient_id.in_([ref.id for ref in refs]))
        rows = (await self.session.execute(query.order_by(r.c.recipient_id))).all()
        if not rows:
            return []
        ids = [row.recipient_id for row in rows]
        c, o = self.t.contacts, self.t.office_holders
        contacts: dict[str, dict[Channel, str]] = {}
        superseded: dict[str, set[Channel]] = {}
        for row in (
            await self.session.execute(
                select(c).where(c.c.kind == kind.value, c.c.recipient_id.in_(ids))
            )
        ).all():
            contacts.setdefault(row.recipient_id, {})[Channel(row.channel)] = row.address
            if row.superseded_at is not None:
                superseded.setdefault(row.recipient_id, set()).add(Channel(row.channel))
        offices: dict[str, set[Office]] = {}
        for row in (
            await self.session.execute(
                select(o).where(o.c.kind == kind.value, o.c.recipient_id.in_(ids))
            )
        ).all():
            offices.setdefault(row.recipient_id, set()).add(Office(row.office))
        return [
            Listed(
                RecipientRef(kind, row.recipient_id),
                row.name,
                row.township,
                bool(row.active),
                int(row.version),
                contacts.get(row.recipient_id, {}),
                frozenset(offices.get(row.recipient_id, ())),
                frozenset(superseded.get(row.recipient_id, ())),
            )
            for row in rows
        ]

    async def entry(self, ref: RecipientRef) -> Listed | None:
        """Return one entry, or None."""
        found = await self.entries(ref.kind, "", [ref])
        return found[0] if found else None

    async def save(self, entry: Entry, expected: int | None) -> int | None:
        """Write a unit or staff entry; return its new version, or None if not at ``expected``.

        ``expected`` 0 creates (and fails if the entry exists); None writes whatever is stored
        (the import). The entry's offices replace those it held; its contacts are set or erased
        channel by channel.
        """
        await directory_changed(self.session, self.t)
        r = self.t.recipients
        key = and_(r.c.kind == entry.kind.value, r.c.recipient_id == entry.id)
        current = await self.session.scalar(select(r.c.version).where(key))
        if expected is not None and (current or 0) != expected:
            return None
        values = {"name": entry.name, "township": entry.area, "active": entry.active}
        if current is None:
            version = 1
            inserted = await self.session.execute(
                self._insert(r)
                .values(kind=entry.kind.value, recipient_id=entry.id, version=version, **values)
                .on_conflict_do_nothing()
            )
            if not getattr(inserted, "rowcount", 0):
                return None
        else:
            version = current + 1
            done = await self.session.execute(
                update(r).where(key, r.c.version == current).values(version=version, **values)
            )
            if not getattr(done, "rowcount", 0):
                return None
        o = self.t.office_holders
        await self.session.execute(
            delete(o).where(o.c.kind == entry.kind.value, o.c.recipient_id == entry.id)
        )
        for office in sorted(entry.offices):
            await self.session.execute(
                o.insert().values(
                    office=office.value,
                    scope=entry.area,
                    kind=entry.kind.value,
                    recipient_id=entry.id,
                )
            )
        await self.set_contacts(entry.ref, entry.contacts)
        return version

    async def set_contacts(self, ref: RecipientRef, contacts: Mapping[Channel, str | None]) -> None:
        """Set (or with None, erase) a recipient's address on each channel given."""
        await directory_changed(self.session, self.t)
        for channel, address in contacts.items():
            await write_contact(self.session, self.t, ref, channel, address)

    async def deputies(self, ids: Iterable[str]) -> dict[str, str]:
        """Return the township of each deputy on the roster projection, by id."""
        wanted = list(set(ids))
        if not wanted:
            return {}
        r = self.t.recipients
        rows = await self.session.execute(
            select(r.c.recipient_id, r.c.township).where(
                r.c.kind == RecipientKind.deputy.value, r.c.recipient_id.in_(wanted)
            )
        )
        return {row.recipient_id: row.township for row in rows.all()}

    async def existing(self, kind: RecipientKind, ids: Iterable[str]) -> dict[str, str]:
        """Return the area of each entry of a kind that exists, by id."""
        wanted = list(set(ids))
        if not wanted:
            return {}
        r = self.t.recipients
        rows = await self.session.execute(
            select(r.c.recipient_id, r.c.township).where(
                r.c.kind == kind.value, r.c.recipient_id.in_(wanted)
            )
        )
        return {row.recipient_id: row.township for row in rows.all()}

    # -- the case projection ---------------------------------------------------------------------

    async def project(self, events: Iterable[EventData]) -> None:
        """Apply cases events to the projection, in order (a returned lead unit is cleared).

        The upserts between two returns are merged per subject (in order: what a later event
        sets wins, a lead unit or deputies it does not name are kept) and written with one
        statement per shape, not one per event (a PostgreSQL ``INSERT … ON CONFLICT`` is not in
        SQLAlchemy's statement cache: each statement is compiled anew).
        """
        s = self.t.subjects
        pending: dict[tuple[str, str], dict[str, Any]] = {}
        for data in events:
            if isinstance(data, ce.CaseReturned):
                if str(data.role) == "lead":
                    await self._upsert_subjects(pending)
                    pending = {}
                    await self.session.execute(
                        update(s)
                        .where(
                            s.c.kind == SubjectKind.case.value,
                            s.c.subject_id == data.case_id,
                            s.c.lead_unit_id == data.unit_id,
                        )
                        .values(lead_unit_id=None)
                    )
                continue
            for subject in subjects_of(data):
                _merge(pending, subject)
        await self._upsert_subjects(pending)

    async def _upsert_subjects(self, merged: Mapping[tuple[str, str], dict[str, Any]]) -> None:
        """Upsert merged subjects: a lead unit or deputies a subject does not name are kept.

        On PostgreSQL one ``INSERT … SELECT FROM unnest(…) ON CONFLICT DO UPDATE`` whose text is
        the same for any number of subjects (prepared once), where a multi-row ``VALUES`` was
        compiled, bound parameter by parameter and planned anew every batch; SQLite takes one
        statement for each set of columns a conflict updates.
        """
        if not merged:
            return
        if self.session.get_bind().dialect.name == "postgresql":
            rows = list(merged.values())
            conn = await self.session.connection()
            await conn.exec_driver_sql(
                _UPSERT_SUBJECTS,
                (
                    [r["kind"] for r in rows],
                    [r["subject_id"] for r in rows],
                    [r["township"] for r in rows],
                    [r["title"] for r in rows],
                    [r["lead_unit_id"] for r in rows],
                    [_JSON.encode(r["deputy_ids"]) for r in rows],
                ),
            )
            return
        shapes: dict[tuple[bool, bool], list[dict[str, Any]]] = {}
        for row in merged.values():
            shape = (row["lead_unit_id"] is not None, bool(row["deputy_ids"]))
            shapes.setdefault(shape, []).append(row)
        for (lead, deputies), rows in shapes.items():
            statement = self._insert(self.t.subjects)
            changed = ["township", "title"] + ["lead_unit_id"] * lead + ["deputy_ids"] * deputies
            await self.session.execute(
                statement.on_conflict_do_update(
                    index_elements=["kind", "subject_id"],
                    set_={name: statement.excluded[name] for name in changed},
                ),
                rows,
            )  # executemany: one compilation for the rows

    async def subjects(self, keys: Iterable[tuple[SubjectKind, str]]) -> list[Subject]:
        """Return what the projection knows of some subjects.

        On PostgreSQL one text for any number of ids (``subject_id = ANY(:ids)``, prepared once;
        an ``IN`` list is a new statement for every length), the kinds sorted out here.
        """
        wanted = {(k.value, i) for k, i in keys}
        if not wanted:
            return []
        s = self.t.subjects
        if self.session.get_bind().dialect.name == "postgresql":
            ids = sorted({i for _, i in wanted})
            query = select(s).where(s.c.subject_id == any_(_IDS))
            found = [
                r
                for r in (await self.session.execute(query, {"ids": ids})).all()
                if (r.kind, r.subject_id) in wanted
            ]
        else:
            match = or_(
                *(
                    and_(s.c.kind == kind, s.c.subject_id.in_([i for k, i in wanted if k == kind]))
                    for kind in {k for k, _ in wanted}
                )
            )
            found = list((await self.session.execute(select(s).where(match))).all())
        return [
            Subject(
                SubjectKind(row.kind),
                row.subject_id,
                row.township,
                row.title,
                row.lead_unit_id,
                tuple(row.deputy_ids or ()),
            )
            for row in found
        ]


# -- the intake's copy of the directory ---------------------------------------------------------

DIRECTORY_MAX_AGE = 60.0
"""Seconds the intake keeps a copy of the directory at most, even at an unchanged version (a row
changed behind the stores' back, by hand in SQL, is seen within this)."""


@dataclass(frozen=True)
class Snapshot:
    """What the intake reads of the directory: people and offices, preferences, township names."""

    directory: MemoryDirectory
    preferences: Mapping[RecipientRef, Preferences]
    townships: Mapping[str, str]


class DirectoryCache:
    """The intake's copy of the directory, kept while the directory's version holds.

    ``current(version)`` gives the copy read at that version (None: read it again); ``keep`` is
    called once the transaction that read it has committed, so a copy that saw the transaction's
    own uncommitted writes (a deputy registered in the same batch) is never kept for a rollback.
    """

    def __init__(
        self, max_age: float = DIRECTORY_MAX_AGE, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_age = max_age
        self._clock = clock
        self._kept: tuple[int, float, Snapshot] | None = None

    def current(self, version: int | None) -> Snapshot | None:
        """Return the copy read at ``version`` if it is young enough, else None."""
        if version is None or self._kept is None:
            return None
        kept_version, read_at, snapshot = self._kept
        if kept_version != version or self._clock() - read_at > self.max_age:
            return None
        return snapshot

    def started(self) -> float:
        """Return the clock now (taken before a copy is read: its age counts from there)."""
        return self._clock()

    def keep(self, version: int | None, read_at: float, snapshot: Snapshot) -> None:
        """Keep a copy read at ``version`` (from ``read_at``) for the next batches."""
        if version is not None:
            self._kept = (version, read_at, snapshot)

    def clear(self) -> None:
        """Forget the copy (the next batch reads the directory again)."""
        self._kept = None


# -- reading an import file ---------------------------------------------------------------------

XLSX_TYPES = frozenset(
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/xlsx"}
)
MAX_ROWS = 5000


class FileError(ValueError):
    """A file that cannot be read as a table."""


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone number typed into a number cell
    return str(value).strip()


def read_table(
    content: bytes, content_type: str, filename: str
) -> list[tuple[int, dict[str, str]]]:
    """Return the rows of a CSV or XLSX file with their row number in the file: header -> text.

    Blank rows are skipped (their numbers too), so a report's row numbers are the sheet's.
    """
    is_xlsx = content[:2] == b"PK" or content_type.split(";")[0].strip() in XLSX_TYPES
    if filename.lower().endswith(".csv"):
        is_xlsx = False
    rows = _xlsx(content) if is_xlsx else _csv(content)
    if not rows:
        raise FileError("the file has no header row")
    header = [h.strip() for h in rows[0][1]]
    if len(rows) - 1 > MAX_ROWS:
        raise FileError(f"at most {MAX_ROWS} rows a file")
    return [
        (n, {h: (values[i] if i < len(values) else "") for i, h in enumerate(header) if h})
        for n, values in rows[1:]
    ]


def _csv(content: bytes) -> list[tuple[int, list[str]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        return [
            (n, [c.strip() for c in row])
            for n, row in enumerate(csv.reader(io.StringIO(text)), start=1)
            if any(c.strip() for c in row)
        ]
    raise FileError("the CSV is neither UTF-8 nor GB18030 text")


def _xlsx(content: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook  # imported here: only the import route needs it

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise FileError(f"not a readable XLSX file ({type(error).__name__})") from None
    try:
        sheet = book.worksheets[0]
        return [
            (n, [_cell(v) for v in row])
            for n, row in enumerate(sheet.iter_rows(values_only=True), start=1)
            if any(v not in (None, "") for v in row)
        ]
    finally:
        book.close()


def _merge(pending: dict[tuple[str, str], dict[str, Any]], subject: Subject) -> None:
    """Fold one upsert of a subject into those pending, as applying them in order would."""
    key = (subject.kind.value, subject.id[:64])
    row = pending.get(key)
    if row is None:
        pending[key] = {
            "kind": key[0],
            "subject_id": key[1],
            "township": subject.township,
            "title": subject.title,
            "lead_unit_id": subject.lead_unit_id,
            "deputy_ids": list(subject.deputy_ids),
        }
        return
    row.update(township=subject.township, title=subject.title)
    if subject.lead_unit_id is not None:
        row["lead_unit_id"] = subject.lead_unit_id
    if subject.deputy_ids:
        row["deputy_ids"] = list(subject.deputy_ids)
