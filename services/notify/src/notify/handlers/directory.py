"""The directory's use cases: list and read entries (masked), write a unit or a staff member, import.

Each checks who calls first (role, then township scope), then the input, then the version read
(If-Match). Addresses never leave unmasked and never reach a log line or an audit entry (the
audit's before/after shows an address as ``****``: that it changed, not to what). An import
writes every row or none.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event as sa_event

from contracts.vocabulary import RecipientKind
from kit.audit import change_detail
from kit.errors import (
    FieldError,
    ForbiddenError,
    InputError,
    NotFoundError,
    VersionConflictError,
)
from kit.precondition import Precondition
from kit.principal import Principal, Role
from notify import events
from notify.adapters.directory import (
    PROJECTED,
    DirectoryStore,
    Listed,
    Snapshot,
    named_subjects,
)
from notify.adapters.store import directory_version
from notify.domain.directory import (
    HIDDEN,
    TOWNSHIP_DIGITS,
    Entry,
    MemoryDirectory,
    Problem,
    audited_contacts,
    check_entry,
    entry_from_row,
    may_manage,
    missing_columns,
)
from notify.domain.model import Channel, RecipientRef
from notify.handlers.api import masked_contact
from notify.handlers.context import Caller, Services

log = logging.getLogger(__name__)

READERS = frozenset({Role.county_admin, Role.township_staff, Role.operator})
"""Roles that read the directory of their area (contacts masked)."""

COUNTY_DIGITS = 6


def audited(entry: Listed | None) -> dict[str, Any]:
    """Return an entry as its audit before/after compares it (addresses by channel, hidden)."""
    if entry is None:
        return {}
    return {
        "name": entry.name,
        "area": entry.area,
        "active": entry.active,
        "offices": sorted(o.value for o in entry.offices),
        **audited_contacts(entry.contacts),
    }


def store(svc: Services, uow: Any) -> DirectoryStore:
    """Return the directory store over a unit of work's session."""
    return DirectoryStore(uow.session, svc.tables)


def view(entry: Listed) -> dict[str, Any]:
    """Return an entry as every read shows it: addresses masked."""
    return {
        "kind": entry.ref.kind.value,
        "id": entry.ref.id,
        "name": entry.name,
        "area": entry.area,
        "active": entry.active,
        "version": entry.version,
        "offices": sorted(o.value for o in entry.offices),
        "contacts": {c.value: masked_contact(c, a) for c, a in sorted(entry.contacts.items())},
        "superseded": sorted(c.value for c in entry.superseded),
    }


def _area(p: Principal, kind: RecipientKind) -> str:
    # units belong to a county: township staff read their county's units
    return p.scope[:COUNTY_DIGITS] if kind is RecipientKind.handling_unit else p.scope


def _reader(p: Principal) -> None:
    if not p.has(*READERS):
        raise ForbiddenError("the directory is read by county and township staff and operators")


async def entries(
    svc: Services,
    caller: Caller,
    kind: RecipientKind,
    limit: int,
    offset: int,
    *,
    superseded: bool = False,
) -> list[dict[str, Any]]:
    """Return the units, staff or deputies of the caller's area, addresses masked.

    ``superseded`` keeps those with an address the roster has since changed (to re-enter).
    """
    p = caller.principal
    _reader(p)
    async with svc.uow() as uow:
        found = await store(svc, uow).entries(kind, _area(p, kind))
    if superseded:
        found = [e for e in found if e.superseded]
    return [view(e) for e in found[offset : offset + limit]]


async def entry(svc: Services, caller: Caller, kind: RecipientKind, entry_id: str) -> Listed:
    """Return one entry of the caller's area (addresses masked by ``view``)."""
    p = caller.principal
    _reader(p)
    async with svc.uow() as uow:
        found = await store(svc, uow).entries(kind, "", [RecipientRef(kind, entry_id)])
    if not found:
        raise NotFoundError(f"{kind.value}:{entry_id} is not in the directory")
    if not found[0].area.startswith(_area(p, kind)):
        raise ForbiddenError("this entry is outside your area", township=found[0].area)
    return found[0]


def _refuse(problems: Sequence[Problem]) -> InputError:
    return InputError([FieldError(p.loc, p.msg) for p in problems])  # the kit adds "body"


async def put(svc: Services, caller: Caller, new: Entry, precondition: Precondition) -> Listed:
    """Create or replace a unit or a staff member (If-Match: "0" to create, else the version)."""
    p = caller.principal
    refusal = may_manage(p.roles, p.scope, new.kind, new.area, new.offices)
    if refusal is not None:
        raise ForbiddenError(refusal, township=new.area)
    problems = check_entry(new)
    if problems:
        raise _refuse(problems)
    expected = precondition.required()
    async with svc.uow() as uow:
        directory = store(svc, uow)
        before = await directory.entry(new.ref)
        if before is not None:
            moved = may_manage(p.roles, p.scope, new.kind, before.area, before.offices)
            if moved is not None:
                raise ForbiddenError(moved, township=before.area)
        version = await directory.save(new, expected)
        if version is None:
            raise VersionConflictError(
                f"{new.ref} is at version {before.version if before else 0}, not {expected}"
            )
        after = await directory.entry(new.ref)
        assert after is not None
        await svc.audit.record(
            uow.session,
            actor=p,
            action="create_entry" if before is None else "change_entry",
            resource_type=new.kind.value,
            resource_id=new.id,
            township=new.area,
            detail=change_detail(
                audited(before), audited(after), restricted=HIDDEN, version=version
            ),
        )
        await uow.commit()
    log.info("directory %s %s v%d by %s", new.kind.value, new.id, version, p.subject)
    return after


@dataclass
class ImportReport:
    """What an import did, or why it did nothing: every rejected row with its reasons."""

    kind: RecipientKind
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, row: int, entry_id: str, problems: Sequence[Problem]) -> None:
        """Record why a row cannot be written."""
        for problem in problems:
            self.errors.append(
                {
                    "row": row,
                    "id": entry_id[:64],
                    "field": ".".join(str(x) for x in problem.loc),
                    "message": problem.msg,
                }
            )

    def body(self) -> dict[str, Any]:
        """Return the report as the API answers it."""
        return {
            "kind": self.kind.value,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "written": not self.errors,
            "errors": self.errors,
        }


def _count(svc: Services, kind: RecipientKind, result: str, rows: int) -> None:
    if svc.metrics is not None:
        svc.metrics.imported.labels(kind=kind.value, result=result).inc(rows)


def check_importer(caller: Caller, kind: RecipientKind) -> None:
    """Refuse a caller who may not import this kind of file (before its body is read)."""
    p = caller.principal
    if p.has(Role.county_admin):
        return
    if p.has(Role.township_staff) and kind is not RecipientKind.handling_unit:
        return
    raise ForbiddenError(
        "imports are made by county staff (township staff: their township's staff and deputies)"
    )


async def import_rows(
    svc: Services,
    caller: Caller,
    kind: RecipientKind,
    rows: Sequence[tuple[int, Mapping[str, str]]],
) -> ImportReport:
    """Check every row, then write all of them in one transaction, or none if any is rejected.

    Units and staff are created or replaced (a contact cell left empty keeps the address; ``-``
    erases it); a deputy row sets the addresses of a deputy already on the roster projection
    (the roster itself comes from ``deputies.events``, never from this file).
    """
    p = caller.principal
    check_importer(caller, kind)
    report = ImportReport(kind, rows=len(rows))
    if rows:
        lacking = missing_columns(kind, rows[0][1].keys())
        if lacking:
            report.reject(1, "", [Problem(("header",), f"no column {c}") for c in lacking])
            _count(svc, kind, "rejected", len(rows))
            return report
    default_area = p.scope if len(p.scope) in (COUNTY_DIGITS, TOWNSHIP_DIGITS) else ""
    if kind is RecipientKind.handling_unit:
        default_area = p.scope[:COUNTY_DIGITS]
    parsed = [(n, *entry_from_row(kind, cells, default_area)) for n, cells in rows]
    seen: dict[str, int] = {}
    async with svc.uow() as uow:
        directory = store(svc, uow)
        ids = [e.id for _, e, _ in parsed]
        known = await directory.existing(kind, ids)
        for n, new, problems in parsed:
            problems = list(problems)
            if new.id in seen:
                problems.append(Problem(("id",), f"also on row {seen[new.id]}"))
            seen.setdefault(new.id, n)
            if kind is RecipientKind.deputy:
                township = known.get(new.id)
                if township is None:
                    problems.append(Problem(("id",), "not on the roster notify knows"))
                elif not p.covers(township):
                    problems.append(Problem(("id",), "this deputy is outside your area"))
            else:
                for area in (new.area, known.get(new.id)):
                    refusal = area and may_manage(p.roles, p.scope, kind, area, new.offices)
                    if refusal:
                        problems.append(Problem(("township",), refusal))
                        break
            report.reject(n, new.id, problems)
        if report.errors:
            _count(svc, kind, "rejected", len({e["row"] for e in report.errors}))
            return report
        for _, new, _ in parsed:
            if kind is RecipientKind.deputy:
                await directory.set_contacts(new.ref, new.contacts)
            else:
                await directory.save(new, None)
        report.created = sum(1 for _, e, _ in parsed if e.id not in known)
        report.updated = len(parsed) - report.created
        await svc.audit.record(
            uow.session,
            actor=p,
            action="import_directory",
            resource_type=kind.value,
            resource_id=f"{len(parsed)} rows",
            township=p.scope or None,
            detail={"rows": len(parsed), "created": report.created, "updated": report.updated},
        )
        await uow.commit()
    _count(svc, kind, "written", len(parsed))
    log.info("directory import of %d %s rows by %s", len(parsed), kind.value, p.subject)
    return report


def contacts_in(given: Mapping[str, str | None]) -> dict[Channel, str | None]:
    """Return the addresses of a request body by channel (a missing channel: left as it is)."""
    return {Channel(k): (v.strip() or None) if v is not None else None for k, v in given.items()}


async def batch_directory(
    svc: Services, uow: Any, events: Sequence[Any], people: MemoryDirectory
) -> MemoryDirectory:
    """Apply a run of cases events to the case projection; return the directory knowing its cases.

    Called by the consumer in its transaction, before routing: ``people`` (the directory of
    ``batch_snapshot``) plus the cases, topics and measures the events name.
    """
    directory = store(svc, uow)
    projected = [e for e in events if e.EVENT_TYPE in PROJECTED]
    if projected:
        await directory.project(projected)
    keys = [key for e in events for key in named_subjects(e)]
    return people.with_subjects(await directory.subjects(keys))


async def project(svc: Services, uow: Any, events: Sequence[Any]) -> None:
    """Apply cases events that reach nobody to the case projection (nothing else to read)."""
    projected = [e for e in events if e.EVENT_TYPE in PROJECTED]
    if projected:
        await store(svc, uow).project(projected)


async def batch_snapshot(svc: Services, uow: Any) -> Snapshot:
    """Return the directory, preferences and township names for a batch: the copy kept, if current.

    One statement reads the directory's version (committed, or this transaction's own after a
    deputy event of the same batch); only when it moved (a write through any instance's store)
    or the copy is older than the cache's ``max_age`` are the tables read again. The copy read is
    kept once the batch's transaction has committed.
    """
    cache = svc.directory_cache
    version = await directory_version(uow.session, svc.tables)
    found = cache.current(version)
    if found is not None:
        return found
    read_at = cache.started()
    if svc.metrics is not None:
        svc.metrics.directory_reads.inc()
    notify_store = svc.store(uow)
    snapshot = Snapshot(
        await notify_store.directory(),
        await notify_store.all_preferences(),
        await notify_store.township_names(),
    )

    def committed(session: Any) -> None:
        cache.keep(version, read_at, snapshot)

    sa_event.listen(uow.session.sync_session, "after_commit", committed, once=True)
    return snapshot


def stage_in_app(svc: Services, uow: Any, rows: Sequence[Mapping[str, Any]], now: Any) -> None:
    """Stage ``notification.sent`` (channel in_app) for inbox items stored with the event."""
    made = events.Rows(uow.outbox)
    uow.stage_rows([made.sent({**row, "channel": Channel.in_app.value}, 1, now) for row in rows])
    if svc.metrics is not None and rows:
        svc.metrics.deliveries.labels(channel=Channel.in_app.value, result="sent").inc(len(rows))
