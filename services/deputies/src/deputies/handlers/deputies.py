"""Register deputies (one or a roster's worth), update them, change their status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType
from typing import Any, Final

from sqlalchemy.exc import IntegrityError

from deputies import events
from deputies.adapters.repository import Repository
from deputies.domain.access import require_county_admin, require_write
from deputies.domain.drafts import DeputyDraft, check_draft
from deputies.domain.errors import (
    FieldError,
    InputError,
    NotFoundError,
    TransitionError,
    VersionConflictError,
)
from deputies.domain.model import (
    ChangeState,
    Contact,
    Deputy,
    DeputyStatus,
    ElectedBy,
    Level,
    StatusChange,
    StatusReason,
    TownshipKind,
)
from deputies.domain.status import change_status, initial_reason, mandate_of, undo
from deputies.handlers.context import (
    Caller,
    Services,
    new_id,
    record_creation,
    refresh_statistics,
    remember_creation,
)
from kit import clock
from kit.audit import change_detail
from kit.masking import MaskKind, valid_id_number, valid_mobile
from kit.uow import UnitOfWork

RowErrors = dict[int, list[FieldError]]
DUPLICATE_NOW = FieldError(
    ("id_number",),
    "a deputy with this ID number was registered for this term meanwhile",
    "duplicate",
)
#: After this many new rows the planner's statistics are refreshed (a fresh import of 10,000
#: rows otherwise looks like 4 rows to PostgreSQL until autovacuum comes by).
BULK = 1000


@dataclass(frozen=True)
class Registration:
    """What a batch registration did: the deputies written and the rows refused."""

    created: list[Deputy]
    errors: RowErrors
    rows: list[dict[str, Any]] = field(default_factory=list)
    """The rows written, as the table holds them (a new record's view needs no read back)."""


async def check_drafts(
    repo: Repository,
    drafts: Sequence[DeputyDraft],
    *,
    today: date,
    exclude_id: str | None = None,
) -> RowErrors:
    """Return the errors of each draft (by position), against each other and the roster."""
    kinds: dict[str, TownshipKind | None] = {}
    for code in {d.township for d in drafts}:
        township = await repo.township(code)
        kinds[code] = township.kind if township else None
    stations = await repo.station_townships({d.station_id for d in drafts if d.station_id})
    taken = await repo.holders({(d.id_number, d.term) for d in drafts if d.id_number})
    seen: dict[tuple[str, int], int] = {}
    errors: RowErrors = {}
    for index, draft in enumerate(drafts):
        found = check_draft(
            draft,
            township_kind=kinds[draft.township],
            today=today,
            valid_id_number=valid_id_number,
            valid_mobile=valid_mobile,
        )
        if draft.station_id and stations.get(draft.station_id) != draft.township:
            found.append(FieldError(("station_id",), "no such station in this township", "unknown"))
        if draft.id_number:
            key = (draft.id_number, draft.term)
            holder = taken.get(key)
            if (holder is not None and holder != exclude_id) or key in seen:
                found.append(
                    FieldError(
                        ("id_number",),
                        f"a deputy with this ID number is already on the roster of term {draft.term}",
                        "duplicate",
                    )
                )
            seen.setdefault(key, index)
        if found:
            errors[index] = found
    return errors


def deputy_from_draft(draft: DeputyDraft) -> Deputy:
    """Return a new active deputy for a checked draft."""
    return Deputy(
        id=new_id(),
        township=draft.township,
        name=draft.name.strip(),
        gender=draft.gender,
        levels=draft.levels,
        term=draft.term,
        status=DeputyStatus.active,
        status_reason=initial_reason(draft.elected_by is ElectedBy.by_election),
        status_since=draft.elected_on,
        elected_on=draft.elected_on,
        birth_date=draft.birth_date,
        ethnicity=draft.ethnicity,
        party=draft.party,
        occupation=draft.occupation,
        sector=draft.sector,
        electoral_district=draft.electoral_district,
        deputy_group=draft.deputy_group,
        station_id=draft.station_id,
        elected_by=draft.elected_by,
        contact=Contact(phone=draft.phone, id_number=draft.id_number, address=draft.address),
    )


async def register_deputies(
    svc: Services,
    caller: Caller,
    drafts: Sequence[DeputyDraft],
    *,
    all_or_nothing: bool = True,
    source: str = "form",
    write: bool = True,
) -> Registration:
    """Register deputies; with ``all_or_nothing`` one bad draft means nothing is written.

    ``write=False`` only checks (an import whose other rows already failed reports every error).
    """
    for township in sorted({d.township for d in drafts}):
        require_write(caller.viewer, township)
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        errors = await check_drafts(repo, drafts, today=clock.today(svc.clock()))
        if (errors and all_or_nothing) or not write:
            return Registration([], errors)
        created = [deputy_from_draft(d) for i, d in enumerate(drafts) if i not in errors]
        # every row below is queued and written at commit in one statement (kit.db.writes)
        rows = repo.add_deputies(created)
        repo.add_history(
            [
                StatusChange(d.id, None, d.status, d.status_reason, d.elected_on)
                for d in created
                if d.elected_on is not None  # unknown: no dated entry
            ],
            by=caller.subject,
        )
        for deputy in created:
            if source == "form":
                svc.audit.add(
                    uow,
                    actor=caller.principal,
                    action="create",
                    resource_type="deputy",
                    resource_id=deputy.id,
                    township=deputy.township,
                )
        if source != "form" and created:
            svc.audit.add(
                uow,
                actor=caller.principal,
                action="import",
                resource_type="deputy",
                township=created[0].township,
                detail={"source": source, "created": len(created), "refused": len(errors)},
            )
        uow.stage(*(events.deputy_registered(d, caller) for d in created))
        if source == "form" and len(created) == 1:
            await remember_creation(svc, uow, caller, created[0].id)
        try:
            await uow.commit()
        except IntegrityError:  # a concurrent registration took an ID number first
            raise InputError([DUPLICATE_NOW]) from None
    if len(created) >= BULK:
        await refresh_statistics(svc, svc.tables.deputies.name)
    return Registration(created, errors, rows)


Registered = tuple[Deputy, dict[str, Any]]
"""A deputy registered from the form, and its row as the table holds it."""


async def register_batch(
    svc: Services, forms: Sequence[tuple[Caller, DeputyDraft]]
) -> list[Registered | BaseException]:
    """Register the deputies of concurrent form requests in one transaction; return each outcome.

    The callers' write scope was checked before (``require_write``). The drafts are checked
    together (one read of each township, the stations and the ID numbers; a second draft with
    an ID number another one in the batch has is refused as a duplicate, as it would be after
    it); a refused draft gets its 422 and its neighbours are written, each with its audit
    entry, event and Idempotency-Key. A unique violation at the commit fails the batch: alone,
    the draft that caused it gets its 422.
    """
    drafts = [draft for _, draft in forms]
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        errors = await check_drafts(repo, drafts, today=clock.today(svc.clock()))
        accepted = [(i, deputy_from_draft(d)) for i, d in enumerate(drafts) if i not in errors]
        rows = repo.add_deputies([deputy for _, deputy in accepted])
        for i, deputy in accepted:
            caller = forms[i][0]
            if deputy.elected_on is not None:  # unknown: no dated entry
                change = StatusChange(
                    deputy.id, None, deputy.status, deputy.status_reason, deputy.elected_on
                )
                repo.add_history([change], by=caller.subject)
            await record_creation(
                svc,
                uow,
                caller,
                events.deputy_registered(deputy, caller),
                resource_type="deputy",
                record_id=deputy.id,
                township=deputy.township,
            )
        if accepted:
            try:
                await uow.commit()
            except IntegrityError:  # a concurrent registration took an ID number first
                if len(forms) > 1:
                    raise  # written again one by one: the draft that caused it is refused
                return [InputError([DUPLICATE_NOW])]
    made = iter(zip((deputy for _, deputy in accepted), rows, strict=True))
    return [InputError(errors[i]) if i in errors else next(made) for i in range(len(forms))]


UPDATABLE = frozenset(
    {
        "name",
        "gender",
        "birth_date",
        "ethnicity",
        "party",
        "occupation",
        "sector",
        "levels",
        "electoral_district",
        "deputy_group",
        "station_id",
        "phone",
        "id_number",
        "address",
    }
)
CONTACT_FIELDS = frozenset({"phone", "id_number", "address"})
RESTRICTED: Final = MappingProxyType(
    {
        "phone": MaskKind.phone,
        "id_number": MaskKind.id_number,
        "address": MaskKind.address,
        "birth_date": None,
    }
)
"""Restricted fields of a deputy as the audit log keeps their before and after (masked)."""
REQUIRED = frozenset({"name", "gender", "levels"})


async def _load_for_change(
    repo: Repository, caller: Caller, deputy_id: str, expected_version: int | None
) -> Deputy:
    deputy = await repo.deputy(deputy_id)
    if deputy is None:
        raise NotFoundError(f"deputy {deputy_id}")
    require_write(caller.viewer, deputy.township)
    if expected_version is not None and deputy.version != expected_version:
        raise VersionConflictError(f"deputy is at version {deputy.version}")
    return deputy


def _as_draft(deputy: Deputy) -> DeputyDraft:
    return DeputyDraft(
        township=deputy.township,
        name=deputy.name,
        gender=deputy.gender,
        levels=deputy.levels,
        term=deputy.term,
        elected_on=deputy.elected_on,
        birth_date=deputy.birth_date,
        ethnicity=deputy.ethnicity,
        party=deputy.party,
        occupation=deputy.occupation,
        sector=deputy.sector,
        electoral_district=deputy.electoral_district,
        deputy_group=deputy.deputy_group,
        station_id=deputy.station_id,
        elected_by=deputy.elected_by,
        phone=deputy.contact.phone,
        id_number=deputy.contact.id_number,
        address=deputy.contact.address,
    )


async def update_deputy(
    svc: Services, caller: Caller, deputy_id: str, expected_version: int, changes: dict[str, Any]
) -> Deputy:
    """Change a deputy's details at the version the caller read."""
    check_changes(changes)
    async with svc.uow() as uow:
        deputy, changed = await apply_update(svc, uow, caller, deputy_id, expected_version, changes)
        if changed:
            await uow.commit()
    return deputy


def check_changes(changes: dict[str, Any]) -> None:
    """Refuse changes of fields an edit cannot change, or that empty a required one."""
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise InputError([FieldError((n,), "cannot be changed here", "forbidden") for n in unknown])
    cleared = sorted(n for n in REQUIRED if n in changes and changes[n] is None)
    if cleared:
        raise InputError([FieldError((n,), "must not be empty", "missing") for n in cleared])


async def apply_update(
    svc: Services,
    uow: UnitOfWork,
    caller: Caller,
    deputy_id: str,
    expected_version: int,
    changes: dict[str, Any],
    **note: Any,
) -> tuple[Deputy, list[str]]:
    """Apply checked changes in a unit of work (saved, audited, event staged; not committed).

    Every edit of a deputy's record goes through here (an approved contact proposal too);
    ``note`` is added to the audit entry's detail. Returns the deputy and the fields changed.
    """
    repo = svc.repository(uow)
    deputy = await _load_for_change(repo, caller, deputy_id, expected_version)
    before = {n: _current(deputy, n) for n in UPDATABLE}
    changed = sorted(n for n, v in changes.items() if v != _current(deputy, n))
    contact = replace(deputy.contact, **{n: changes[n] for n in CONTACT_FIELDS if n in changes})
    for name in set(changes) - CONTACT_FIELDS:
        setattr(deputy, name, changes[name])
    deputy.contact = contact
    errors = await check_drafts(
        repo, [_as_draft(deputy)], today=clock.today(svc.clock()), exclude_id=deputy.id
    )
    if errors:
        raise InputError(errors[0])
    if not changed:
        return deputy, changed
    deputy.version += 1
    try:
        await repo.save_deputy(deputy, expected_version=expected_version)
    except IntegrityError:
        raise InputError([DUPLICATE_NOW]) from None
    after = {n: _current(deputy, n) for n in UPDATABLE}
    svc.audit.add(
        uow,
        actor=caller.principal,
        action="update",
        resource_type="deputy",
        resource_id=deputy.id,
        township=deputy.township,
        detail=change_detail(before, after, restricted=RESTRICTED, **note),
    )
    uow.stage(events.deputy_updated(deputy, changed, caller))
    return deputy, changed


def _current(deputy: Deputy, name: str) -> object:
    if name in CONTACT_FIELDS:
        return getattr(deputy.contact, name)
    return getattr(deputy, name)


@dataclass(frozen=True)
class ChangeStatus:
    """Move a deputy's mandate(s) to another status, for a reason, from a date."""

    deputy_id: str
    to_status: DeputyStatus
    reason: StatusReason
    effective_date: date
    expected_version: int
    note: str | None = None
    level: Level | None = None


def _require_mandate(caller: Caller, deputy: Deputy, level: Level) -> None:
    """A county mandate is the county's to change; a township mandate its township's too."""
    require_write(caller.viewer, deputy.township[:6] if level is Level.county else deputy.township)


async def change_deputy_status(svc: Services, caller: Caller, cmd: ChangeStatus) -> Deputy:
    """Apply a status change now, or schedule it when its effective date is still to come."""
    today = clock.today(svc.clock())
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        deputy = await repo.deputy(cmd.deputy_id)
        if deputy is None:
            raise NotFoundError(f"deputy {cmd.deputy_id}")
        require_write(caller.viewer, deputy.township)
        mandate = mandate_of(deputy, cmd.level)
        _require_mandate(caller, deputy, mandate)
        if deputy.version != cmd.expected_version:
            raise VersionConflictError(f"deputy is at version {deputy.version}")
        history = await repo.history(deputy.id)
        if any(c.state is ChangeState.scheduled and c.level is mandate for c in history):
            raise TransitionError(f"a scheduled change of the {mandate} mandate is pending")
        before = deputy.version
        probe = replace(deputy) if cmd.effective_date > today else deputy
        change = change_status(
            probe,
            cmd.to_status,
            reason=cmd.reason,
            effective_date=cmd.effective_date,
            note=cmd.note,
            level=mandate,
        )
        if probe is not deputy:  # a day still to come: the job applies it then
            change = replace(change, state=ChangeState.scheduled)
            deputy.version += 1
        await repo.save_deputy(deputy, expected_version=before)
        seq = await repo.add_change(change, by=caller.subject)
        svc.audit.add(
            uow,
            actor=caller.principal,
            action="schedule_status" if probe is not deputy else "change_status",
            resource_type="deputy",
            resource_id=deputy.id,
            township=deputy.township,
            detail={
                "to": change.to_status.value,
                "reason": change.reason.value,
                "level": mandate.value,
                "effective_date": change.effective_date.isoformat(),
            },
        )
        if probe is not deputy:
            uow.stage(events.status_change_scheduled(deputy, replace(change, seq=seq), caller))
        else:
            uow.stage(events.deputy_status_changed(deputy, change, caller))
        await uow.commit()
    return deputy


async def correct_status(
    svc: Services,
    caller: Caller,
    deputy_id: str,
    expected_version: int,
    reason: str,
    level: Level | None = None,
) -> Deputy:
    """Undo a mandate's latest status change (in force or scheduled): county_admin, with a reason.

    ``level`` names the mandate; without it, the latest change of any mandate.
    """
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        deputy = await repo.deputy(deputy_id)
        if deputy is None:
            raise NotFoundError(f"deputy {deputy_id}")
        require_county_admin(caller.viewer, deputy.township)
        if deputy.version != expected_version:
            raise VersionConflictError(f"deputy is at version {deputy.version}")
        history = [c for c in await repo.history(deputy.id) if c.state is not ChangeState.corrected]
        changes = [
            c for c in history if c.from_status is not None and (level is None or c.level is level)
        ]
        if not changes:
            raise TransitionError("there is no status change to correct")
        last = changes[-1]
        assert last.seq is not None
        if last.state is ChangeState.applied:
            earlier = [c for c in history if c.state is ChangeState.applied and c is not last]
            undo(deputy, last, earlier[-1] if earlier else None)
        else:
            deputy.version += 1
        await repo.save_deputy(deputy, expected_version=expected_version)
        await repo.set_change_state(
            last.seq, ChangeState.corrected, was=last.state, note=f"corrected: {reason}"
        )
        svc.audit.add(
            uow,
            actor=caller.principal,
            action="correct_status",
            resource_type="deputy",
            resource_id=deputy.id,
            township=deputy.township,
            detail={"corrected_change": str(last.seq), "reason": reason},
        )
        uow.stage(events.status_corrected(deputy, last, reason, caller))
        await uow.commit()
    return deputy


async def apply_due_change(svc: Services, change: StatusChange, caller: Caller) -> bool:
    """Apply one scheduled change whose day has come, once; False if it moved or no longer fits."""
    assert change.seq is not None
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        if not await repo.set_change_state(
            change.seq, ChangeState.applied, was=ChangeState.scheduled
        ):
            return False
        deputy = await repo.deputy(change.deputy_id)
        assert deputy is not None
        before = deputy.version
        applied = change_status(
            deputy,
            change.to_status,
            reason=change.reason,
            effective_date=change.effective_date,
            note=change.note,
            level=change.level,
        )
        await repo.save_deputy(deputy, expected_version=before)
        uow.stage(events.deputy_status_changed(deputy, applied, caller))
        await uow.commit()
    return True
