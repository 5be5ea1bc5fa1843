"""File suggestions and record opinions; triage them (answer, refuse, merge, convert, accept)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import CompoundSelect, bindparam, literal_column, null, select, union_all

from cases import events
from cases.adapters.store import CaseStore, Constituent
from cases.adapters.tables import Tables
from cases.domain import intake
from cases.domain.access import require_staff, require_submit
from cases.domain.clocks import Clocks
from cases.domain.errors import FieldError, InputError, invalid
from cases.domain.model import Case, day_of
from cases.domain.numbering import county_of
from cases.domain.similarity import token_vector
from cases.handlers.context import Caller, Services, created_before, new_id, remember_creation
from cases.handlers.roster import TERMINATED
from cases.handlers.steps import audit, require_version, step, visible
from contracts.envelope import Envelope
from contracts.vocabulary import CaseKind, Level, NotAcceptedReason, OpinionOrigin, SuggestionTiming
from kit.errors import DomainError
from kit.uow import UnitOfWork


@dataclass(frozen=True)
class Draft:
    """What a deputy files (a suggestion) or a deputy or staff records (an opinion)."""

    kind: CaseKind
    township: str
    title: str
    content: str
    category: str
    deputy_ids: tuple[str, ...]
    confidential: bool = False
    level: Level | None = None
    timing: SuggestionTiming | None = None
    origin: OpinionOrigin | None = None
    station_id: str | None = None
    activity_id: str | None = None
    constituent: Constituent | None = None


def _receive(svc: Services, caller: Caller, draft: Draft, clocks: Any, case_id: str) -> Case:
    case = intake.receive(
        case_id=case_id,
        kind=draft.kind,
        township=draft.township,
        title=draft.title,
        content=draft.content,
        category=draft.category,
        deputy_ids=draft.deputy_ids,
        by=caller.actor,
        at=svc.clock(),
        clocks=clocks,
        confidential=draft.confidential,
    )
    case.level, case.timing = draft.level, draft.timing
    case.origin, case.station_id, case.activity_id = (
        draft.origin,
        draft.station_id,
        draft.activity_id,
    )
    return case


def _vector(case: Case) -> dict[str, int]:
    """Return the case's token vector: once, at intake, for duplicate search."""
    return token_vector(f"{case.title} {case.content}")


def _insert(
    svc: Services, store: CaseStore, case: Case, draft: Draft, vector: dict[str, int]
) -> None:
    """Queue a new case (written with the unit of work's commit)."""
    svc.mark_calendar(case)
    store.add_case(case, chase_on=svc.chase_on(case, svc.today()), at=svc.clock(), tokens=vector)
    if draft.constituent is not None:
        store.add_constituent(case.case_id, draft.constituent)


def _deputy_loc(kind: CaseKind, index: int) -> tuple[str | int, ...]:
    if kind is CaseKind.opinion:
        return ("receiving_deputy_ids", index)
    return ("lead_deputy_id",) if index == 0 else ("co_deputy_ids", index - 1)


@dataclass(frozen=True)
class Roster:
    """The townships and deputies' statuses the roster projection knows, of some drafts."""

    townships: frozenset[str]
    status: dict[str, str]

    def refusal(self, draft: Draft) -> InputError | None:
        """Return why the roster refuses a draft's township or deputies (422), if it does."""
        errors = (
            []
            if draft.township in self.townships
            else [FieldError(("township",), f"unknown township {draft.township}", "unknown")]
        )
        errors += [
            FieldError(_deputy_loc(draft.kind, i), f"unknown deputy {deputy}", "unknown_deputy")
            for i, deputy in enumerate(draft.deputy_ids)
            if deputy not in self.status
        ]
        if errors:
            return InputError(errors)
        ended = [deputy for deputy in draft.deputy_ids if self.status[deputy] == TERMINATED]
        if ended:
            return invalid("deputy_ids", f"mandate ended: {', '.join(ended)}", "mandate_ended")
        return None


@functools.cache
def _roster_query(tables: Tables) -> CompoundSelect[Any]:
    """Return the roster read of ``read_roster``, built once (SQLAlchemy keeps its cache key)."""
    t, d = tables.townships.c, tables.deputies.c
    return union_all(
        select(
            literal_column("'township'").label("kind"), t.code.label("ref"), null().label("status")
        ).where(t.code.in_(bindparam("townships", expanding=True))),
        select(literal_column("'deputy'"), d.deputy_id, d.status).where(
            d.deputy_id.in_(bindparam("deputies", expanding=True))
        ),
    )


async def read_roster(uow: UnitOfWork, tables: Tables, drafts: Sequence[Draft]) -> Roster:
    """Read the townships and every named deputy's status of some drafts in one query."""
    wanted = {
        "townships": sorted({draft.township for draft in drafts}),
        "deputies": sorted({deputy for draft in drafts for deputy in draft.deputy_ids}),
    }
    rows = (await (await uow.connection()).execute(_roster_query(tables), wanted)).all()
    return Roster(
        frozenset(r.ref for r in rows if r.kind == "township"),
        {r.ref: r.status for r in rows if r.kind == "deputy"},
    )


async def check_references(uow: UnitOfWork, tables: Tables, draft: Draft) -> None:
    """Refuse (422) a township or deputies the roster does not know, or whose mandate ended."""
    refusal = (await read_roster(uow, tables, [draft])).refusal(draft)
    if refusal is not None:
        raise refusal


def prepare(svc: Services, caller: Caller, draft: Draft) -> Draft:
    """Check who files what before anything is read: role and township, then the fields."""
    require_submit(caller.principal, draft.township, draft.deputy_ids)
    if draft.kind is CaseKind.suggestion and draft.constituent is not None:
        raise invalid(
            "constituent", "a suggestion is the deputy's own; no constituent", "unexpected"
        )
    return replace(draft, category=svc.categories.require(draft.category))


async def submit(svc: Services, caller: Caller, draft: Draft) -> tuple[str, Case | None]:
    """File a suggestion or record an opinion; return its id and the case (None on a replay)."""
    (outcome,) = await submit_batch(svc, [(caller, prepare(svc, caller, draft))])
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


Filing = tuple[Caller, Draft]
Filed = tuple[str, Case | None]


async def submit_batch(svc: Services, filings: Sequence[Filing]) -> list[Filed | BaseException]:
    """File prepared drafts of concurrent requests in one transaction; return each one's outcome.

    Statements for the whole batch: each Idempotency-Key's earlier answer (only with a key), one
    roster check, one counter upsert per county, year and kind (advanced once by the number of
    cases; the counter row stays locked until the commit), then every row of the new cases with
    their audit entries, keys and events. A draft the roster refuses gets its 422 before any
    number is taken, so it burns none; its neighbours are filed.
    """
    outcomes: list[Filed | BaseException | None] = [None] * len(filings)
    async with svc.uow() as uow:
        fresh: list[int] = []
        for i, (caller, _) in enumerate(filings):
            try:
                earlier = await created_before(svc, uow, caller)
            except DomainError as error:
                outcomes[i] = error
                continue
            if earlier is not None:
                outcomes[i] = (earlier, None)
            else:
                fresh.append(i)
        roster = (
            await read_roster(uow, svc.tables, [filings[i][1] for i in fresh]) if fresh else None
        )
        clocks = Clocks(svc.calendar, svc.policy)  # receiving sets only the assignment deadline
        received: list[tuple[int, Case, dict[str, int]]] = []
        for i in fresh:
            caller, draft = filings[i]
            try:
                refusal = roster.refusal(draft) if roster is not None else None
                if refusal is not None:
                    raise refusal
                case = _receive(svc, caller, draft, clocks, new_id())
            except DomainError as error:
                outcomes[i] = error
                continue
            # tokenised before the numbers: the counter rows stay locked to the commit
            received.append((i, case, _vector(case)))
        store = svc.store(uow)
        await _number(store, [case for _, case, _ in received])
        for i, case, vector in received:
            caller, draft = filings[i]
            _insert(svc, store, case, draft, vector)
            audit(svc, uow, caller, case, "submit")
            uow.stage(events.submitted(case))
            await remember_creation(svc, uow, caller, case.case_id)
            outcomes[i] = (case.case_id, case)
        if received:
            await uow.commit()
    return [outcome for outcome in outcomes if outcome is not None]


async def _number(store: CaseStore, cases: Sequence[Case]) -> None:
    """Give new cases the next numbers of their county, year of filing and kind, in order.

    One counter upsert per county, year and kind, taken in one order (no deadlock between
    concurrent batches).
    """
    groups: dict[tuple[str, int, CaseKind], list[Case]] = {}
    for case in cases:
        key = (county_of(case.township), case.received_on.year, case.kind)
        groups.setdefault(key, []).append(case)
    for key in sorted(groups, key=lambda k: (k[0], k[1], k[2].value)):
        group = groups[key]
        numbers = await store.next_numbers(group[0].township, key[1], key[2], len(group))
        for case, number in zip(group, numbers, strict=True):
            case.number = number


async def answer_on_spot(
    svc: Services, caller: Caller, case_id: str, version: int, answer: str
) -> Case:
    """End the case at triage: answered on the spot."""

    def decide(case: Case, _: Any) -> list[Envelope[Any]]:
        require_staff(caller.principal, case.township)
        intake.answer_on_spot(case, answer=answer, by=caller.actor, at=svc.clock())
        return [events.triaged(case)]

    return await step(svc, caller, case_id, version, "answer_on_spot", decide)


async def not_accept(
    svc: Services,
    caller: Caller,
    case_id: str,
    version: int,
    reason: NotAcceptedReason,
    comment: str,
) -> Case:
    """End the case at triage: not accepted, with a reason from the fixed list."""

    def decide(case: Case, _: Any) -> list[Envelope[Any]]:
        require_staff(caller.principal, case.township)
        intake.not_accept(case, reason=reason, comment=comment, by=caller.actor, at=svc.clock())
        return [events.triaged(case)]

    return await step(svc, caller, case_id, version, "not_accept", decide)


async def accept(
    svc: Services, caller: Caller, case_id: str, version: int, complex_: bool, comment: str
) -> Case:
    """Accept the case for assignment."""

    def decide(case: Case, _: Any) -> list[Envelope[Any]]:
        require_staff(caller.principal, case.township)
        intake.accept(case, complex_=complex_, comment=comment, by=caller.actor, at=svc.clock())
        return [events.triaged(case)]

    return await step(svc, caller, case_id, version, "accept", decide)


async def merge(
    svc: Services, caller: Caller, case_id: str, version: int, into: str, comment: str
) -> Case:
    """Merge the case into a similar open one; the survivor keeps every submitter."""
    async with svc.uow() as uow:
        store = svc.store(uow)
        first, second = sorted((case_id, into))  # lock in one order: no deadlock between merges
        locked = {cid: await store.case(cid, lock=True) for cid in (first, second)}
        duplicate = visible(caller, locked[case_id], case_id)
        require_staff(caller.principal, duplicate.township)
        require_version(duplicate, version)
        survivor = locked[into]
        if survivor is None or into == case_id:
            raise invalid("merged_into", "name another open case of the same township", "unknown")
        survivor_version = survivor.version
        before = duplicate.state
        intake.merge(duplicate, survivor=survivor, by=caller.actor, at=svc.clock(), comment=comment)
        today = svc.today()
        await store.save_case(duplicate, expected_version=version, chase_on=None, at=svc.clock())
        await store.save_case(
            survivor,
            expected_version=survivor_version,
            chase_on=svc.chase_on(survivor, today),
            at=svc.clock(),
        )
        audit(svc, uow, caller, duplicate, "merge", {"merged_into": into})
        uow.stage(events.triaged(duplicate), *events.after_step(duplicate, before, today))
        await uow.commit()
    return duplicate


async def to_suggestion(
    svc: Services, caller: Caller, case_id: str, version: int, comment: str
) -> tuple[Case, str]:
    """Turn an opinion into a suggestion of its receiving deputies; return both ids."""
    async with svc.uow() as uow:
        store = svc.store(uow)
        opinion = visible(caller, await store.case(case_id, lock=True), case_id)
        require_staff(caller.principal, opinion.township)
        require_version(opinion, version)
        at = svc.clock()
        suggestion_id = new_id()
        before = opinion.state
        intake.to_suggestion(
            opinion, suggestion_case_id=suggestion_id, by=caller.actor, at=at, comment=comment
        )
        draft = Draft(
            kind=CaseKind.suggestion,
            township=opinion.township,
            title=opinion.title,
            content=opinion.content,
            category=opinion.category,
            deputy_ids=opinion.deputy_ids,
            level=Level.township,
        )
        suggestion = _receive(
            svc, caller, draft, await svc.clocks(store, opinion.township), suggestion_id
        )
        suggestion.from_opinion_id = opinion.case_id
        await store.save_case(opinion, expected_version=version, chase_on=None, at=at)
        person = (await store.constituents([opinion.case_id])).get(opinion.case_id)
        vector = _vector(suggestion)
        await _number(store, [suggestion])
        _insert(svc, store, suggestion, replace(draft, constituent=person), vector)
        audit(svc, uow, caller, opinion, "to_suggestion", {"suggestion": suggestion_id})
        uow.stage(
            events.triaged(opinion),
            *events.after_step(opinion, before, day_of(at)),
            events.submitted(suggestion),
        )
        await uow.commit()
    return opinion, suggestion_id
