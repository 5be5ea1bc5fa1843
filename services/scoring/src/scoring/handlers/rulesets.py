"""Rule sets: the default seed, drafts from YAML, preview against the active one, activation.

Activating a version re-derives the year from the stored facts into that version's rows, in one
transaction with the switch: readers see the old ledger or the new, never half of one. The
differences are published as ``scoring.points.recorded`` events (a dropped entry as its negation).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

from contracts.envelope import Envelope, RawEnvelope
from contracts.scoring import PointsRecorded, RuleSetActivated
from kit.errors import FieldError, InputError, NotFoundError, TransitionError
from kit.events import event
from kit.uow import UnitOfWork
from scoring.adapters.store import Ledger, RuleSetRow, Store, entry_of
from scoring.domain import facts as f
from scoring.domain.access import require_rule_manager, require_rule_reader
from scoring.domain.documents import DEPUTY_POINTS_FILE, InvalidDocumentError, parse_rule_set
from scoring.domain.entries import Entry, name_uuid
from scoring.domain.ledger import derive
from scoring.domain.preview import Preview, diff, preview as compare
from scoring.domain.translate import fact_of
from scoring.events import points_recorded
from scoring.handlers.context import Caller, Services
from scoring.handlers.ledgers import SOURCE, stage_entries
from scoring.handlers.totals import refresh_ledger

SYSTEM = "scoring"
PROGRESS_EVERY = 1000


def default_document(county: str, year: int) -> str:
    """Return the seed YAML adopted by a county for a year."""
    seed = resources.files("scoring.rules").joinpath(DEPUTY_POINTS_FILE).read_text("utf-8")
    return f'{seed.rstrip()}\n\ncounty: "{county}"\nyear: {year}\nversion: 1\n'


async def facts_of(svc: Services, store: Store, county: str) -> list[f.Fact]:
    """Return a county's stored facts in the order applied (replay progress on the gauge)."""
    envelopes = await store.facts_of(county)
    out: list[f.Fact] = []
    for i, doc in enumerate(envelopes, 1):
        fact = fact_of(RawEnvelope.model_validate(doc))
        if fact is not None:
            out.append(fact)
        if i % PROGRESS_EVERY == 0:
            svc.metrics.replay.set(i / len(envelopes))
    svc.metrics.replay.set(1)
    return out


def _dropped(entry: Entry, version: int) -> PointsRecorded:
    """Return the event that takes back an entry a new rule set no longer gives."""
    dropped = points_recorded(entry)
    return dropped.model_copy(
        update={
            "entry_id": name_uuid(f"dropped|{entry.entry_id}|{version}"),
            "points": -dropped.points,
            "rule_set_version": version,
            "compensates": entry.entry_id,
        }
    )


async def rederive(
    svc: Services,
    uow: UnitOfWork,
    row: RuleSetRow,
    previous: RuleSetRow | None,
    cause: Envelope[Any] | None = None,
) -> int:
    """Derive a version's ledger from the stored facts; publish what differs; return the count."""
    store = svc.store(uow)
    rules = svc.rules(row)
    entries = derive(await facts_of(svc, store, row.county), rules)
    await store.add_entries(Ledger(row.county, row.year, row.version), entries, svc.now())
    before: list[Entry] = []
    if previous is not None:
        old = Ledger(previous.county, previous.year, previous.version)
        before = [entry_of(r) for r in await store.entries(old)]
    changes = diff(before, entries)
    stage_entries(svc, uow, [c.draft for c in changes if c.draft is not None], cause)
    for c in changes:
        if c.draft is None and c.now is not None:
            uow.stage(event(_dropped(c.now, row.version), source=SOURCE, cause=cause))
    return len(changes)


async def ensure_year(
    svc: Services, uow: UnitOfWork, county: str, year: int, cause: Envelope[Any] | None
) -> None:
    """Adopt the seeded rules for a county's year (its ledger and totals) the first time it is needed."""
    store = svc.store(uow)
    if await store.rule_sets(county, year):
        return
    now = svc.now()
    row = RuleSetRow(
        county=county,
        year=year,
        version=1,
        status="active",
        title=parse_rule_set(default_document(county, year)).title,
        document=default_document(county, year),
        created_by=SYSTEM,
        created_at=now,
        activated_by=SYSTEM,
        activated_at=now,
    )
    await store.add_rule_set(row)
    await rederive(svc, uow, row, None, cause)
    await refresh_ledger(svc, uow, row, cause)


def _invalid(error: InvalidDocumentError) -> InputError:
    return InputError([FieldError(("document", *e.loc), e.msg, e.type) for e in error.errors])


async def list_rule_sets(
    svc: Services, caller: Caller, county: str, year: int | None
) -> list[RuleSetRow]:
    """Return a county's rule sets (of a year), newest first."""
    require_rule_reader(caller.principal, county)
    async with svc.uow() as uow:
        return await svc.store(uow).rule_sets(county, year)


async def read_rule_set(
    svc: Services, caller: Caller, county: str, year: int, version: int
) -> RuleSetRow:
    """Return one rule set version."""
    require_rule_reader(caller.principal, county)
    async with svc.uow() as uow:
        found = await svc.store(uow).rule_set(county, year, version)
    if found is None:
        raise NotFoundError(f"rule set {county}/{year}/{version}")
    return found


async def create_draft(svc: Services, caller: Caller, county: str, document: str) -> RuleSetRow:
    """Store a valid YAML document as the next draft version of its county and year."""
    require_rule_manager(caller.principal, county)
    try:
        rules = parse_rule_set(document)
    except InvalidDocumentError as error:
        raise _invalid(error) from error
    if rules.county != county:
        raise InputError([FieldError(("document", "county"), f"must be {county}", "value_error")])
    async with svc.uow() as uow:
        store = svc.store(uow)
        await store.lock_county(county)
        versions = [r.version for r in await store.rule_sets(county, rules.year)]
        if not versions:  # the seed is version 1 of every year: a draft is compared with it
            await ensure_year(svc, uow, county, rules.year, None)
            versions = [1]
        row = RuleSetRow(
            county=county,
            year=rules.year,
            version=max(versions) + 1,
            status="draft",
            title=rules.title,
            document=document,
            created_by=caller.subject,
            created_at=svc.now(),
            activated_by=None,
            activated_at=None,
        )
        await store.add_rule_set(row)
        await _audit(svc, uow, caller, row, "create_rule_set")
        await uow.commit()
    return row


@dataclass(frozen=True)
class PreviewResult:
    """A draft compared with the active version of its county and year."""

    active: RuleSetRow
    draft: RuleSetRow
    preview: Preview


async def _active_and(
    store: Store, county: str, year: int, version: int
) -> tuple[RuleSetRow, RuleSetRow]:
    draft = await store.rule_set(county, year, version)
    if draft is None:
        raise NotFoundError(f"rule set {county}/{year}/{version}")
    if draft.status != "draft":
        raise TransitionError(
            f"version {version} is {draft.status}, not a draft", state=draft.status
        )
    active = await store.active(county, year)
    if not active:
        raise TransitionError(f"no active rule set for {county}/{year}", state=draft.status)
    return active[0], draft


async def preview_draft(
    svc: Services, caller: Caller, county: str, year: int, version: int
) -> PreviewResult:
    """Return what activating a draft would change for every deputy of the county."""
    require_rule_manager(caller.principal, county)
    async with svc.uow() as uow:
        store = svc.store(uow)
        active, draft = await _active_and(store, county, year, version)
        facts = await facts_of(svc, store, county)
        deputies = [r.deputy_id for r in await store.deputies_of(county)]
    result = compare(facts, svc.rules(active), svc.rules(draft), deputies)
    return PreviewResult(active, draft, result)


async def activate(
    svc: Services, caller: Caller, county: str, year: int, version: int
) -> tuple[RuleSetRow, int]:
    """Make a draft the active rules of its year: re-derive, switch, publish the differences."""
    require_rule_manager(caller.principal, county)
    async with svc.uow() as uow:
        store = svc.store(uow)
        await store.lock_county(county)
        active, draft = await _active_and(store, county, year, version)
        changed = await rederive(svc, uow, draft, active)
        await refresh_ledger(svc, uow, draft, previous=active)
        await store.set_status(county, year, active.version, "retired")
        now = svc.now()
        await store.set_status(
            county, year, version, "active", activated_by=caller.subject, activated_at=now
        )
        row = await store.rule_set(county, year, version)
        assert row is not None
        await _audit(svc, uow, caller, row, "activate_rule_set")
        uow.stage(
            event(
                RuleSetActivated(
                    rule_set_id=f"{county}/{year}/{version}",
                    county=county,
                    year=year,
                    version=version,
                    previous_version=active.version,
                    entries_changed=changed,
                    activated_by=caller.subject,
                ),
                source=SOURCE,
            )
        )
        await uow.commit()
    return row, changed


async def _audit(
    svc: Services, uow: UnitOfWork, caller: Caller, row: RuleSetRow, action: str
) -> None:
    await svc.audit.record(
        uow.session,
        actor=caller.principal,
        action=action,
        resource_type="rule_set",
        resource_id=f"{row.county}/{row.year}/{row.version}",
        township=row.county,
    )
