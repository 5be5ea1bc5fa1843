"""Read cases: one record (contacts in clear only for those who need them), lists, timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select

from cases.adapters.codec import case_to_doc
from cases.adapters.store import Constituent
from cases.domain.access import OVERSIGHT, actions_for, can_read, contacts_in_clear, require_read
from cases.domain.clocks import Clocks
from cases.domain.deadlines import deadlines
from cases.domain.errors import ForbiddenError, NotFoundError
from cases.domain.model import Case
from cases.domain.numbering import parse_number
from cases.domain.similarity import similar_vectors, token_vector
from cases.domain.states import FINAL, HANDLING, State
from cases.handlers.context import Caller, Services
from cases.views.numbers import number_label, numbered
from kit.db.ranges import within
from kit.masking import mask_address, mask_phone, surname_only
from kit.principal import Principal, Role


@dataclass(frozen=True)
class CaseFilter:
    """What a case list narrows to."""

    township: str | None = None
    state: State | None = None
    kind: str | None = None
    category: str | None = None
    unit_id: str | None = None
    deputy_id: str | None = None
    key_chase: bool | None = None
    overdue: bool | None = None
    number: str | None = None  # 青山县2026年建议第37号, or without the county


@dataclass
class Page:
    """One page of a list, with the total over all pages."""

    items: list[dict[str, Any]]
    total: int
    page: int
    page_size: int


def constituent_view(person: Constituent | None, clear: bool) -> dict[str, Any] | None:
    """Return the constituent, masked unless the viewer needs the contacts."""
    if person is None:
        return None
    if clear:
        return {"name": person.name, "phone": person.phone, "address": person.address}
    return {
        "name": surname_only(person.name),
        "phone": mask_phone(person.phone) if person.phone else None,
        "address": mask_address(person.address) if person.address else None,
    }


def case_view(
    case: Case,
    principal: Principal,
    person: Constituent | None,
    today: date,
    clocks: Clocks | None = None,
) -> dict[str, Any]:
    """Return a case as the caller may see it, with its deadlines and the caller's next actions."""
    doc = case_to_doc(case)
    if clocks is not None:
        doc["deadlines"] = deadlines(case, clocks)
    doc["version"] = case.version
    doc["number"] = case.number.label if case.number else None
    doc["co_opinions_missing"] = case.opinions_missing() if case.state in HANDLING else ()
    doc["overdue"] = case.state in HANDLING and case.due_on is not None and today > case.due_on
    doc["allowed_actions"] = sorted(a.value for a in case.allowed_actions())
    doc["your_actions"] = actions_for(principal, case)
    clear = contacts_in_clear(principal, case)
    doc["constituent"] = constituent_view(person, clear)
    doc["contacts_in_clear"] = person is not None and clear
    return doc


async def read_case(svc: Services, caller: Caller, case_id: str) -> tuple[dict[str, Any], int]:
    """Return one case for the caller, audited when it shows a constituent's contacts."""
    async with svc.uow() as uow:
        store = svc.store(uow)
        case = await store.case(case_id)
        if case is None:
            raise NotFoundError(f"case {case_id}")
        require_read(caller.principal, case)
        person = (await store.constituents([case_id])).get(case_id)
        clocks = await svc.clocks(store, case.township)
        view = case_view(case, caller.principal, person, svc.today(), clocks)
        if view["contacts_in_clear"]:
            await svc.audit.record(
                uow.session,
                actor=caller.principal,
                action="read_contacts",
                resource_type="case",
                resource_id=case_id,
                township=case.township,
            )
            await uow.commit()
    return view, case.version


async def read_timeline(svc: Services, caller: Caller, case_id: str) -> list[dict[str, Any]]:
    """Return who did what, when, with which comment, oldest first."""
    async with svc.uow() as uow:
        store = svc.store(uow)
        case = await store.case(case_id)
        if case is None:
            raise NotFoundError(f"case {case_id}")
        require_read(caller.principal, case)
        return await store.timeline(case_id)


_SUMMARY = (
    "case_id",
    "kind",
    "township",
    "state",
    "category",
    "title",
    "lead_unit_id",
    "received_on",
    "due_on",
    "key_chase",
    "reply_class",
    "on_time",
    "solved",
    "version",
    "number_county",
    "number_year",
    "number_seq",
)


def _visible(
    svc: Services, principal: Principal, query: Select[Any], township: str | None
) -> Select[Any]:
    c = svc.tables.cases.c
    if principal.has(*OVERSIGHT, Role.township_staff):
        if township and not township.startswith(principal.scope):
            raise ForbiddenError(f"{township} is outside your scope")
        return query.where(within(c.township, township or principal.scope))
    if principal.has(Role.handling_unit) and principal.unit_id:
        u = svc.tables.case_units.c
        mine = select(u.case_id).where(u.unit_id == principal.unit_id)
        return query.where(c.case_id.in_(mine))
    if principal.has(Role.deputy) and principal.deputy_id:
        d = svc.tables.case_deputies.c
        mine = select(d.case_id).where(d.deputy_id == principal.deputy_id)
        return query.where(c.case_id.in_(mine))
    raise ForbiddenError("your role reads no cases")


async def list_cases(
    svc: Services, caller: Caller, flt: CaseFilter, page: int, page_size: int
) -> Page:
    """Return a page of case summaries the caller may see, newest first."""
    t = svc.tables
    c = t.cases.c
    query = _visible(svc, caller.principal, select(*(c[name] for name in _SUMMARY)), flt.township)
    today = svc.today()
    if flt.township and caller.principal.has(Role.handling_unit, Role.deputy):
        query = query.where(c.township == flt.township)
    if flt.state is not None:
        query = query.where(c.state == flt.state.value)
    if flt.kind:
        query = query.where(c.kind == flt.kind)
    if flt.category:
        query = query.where(c.category == flt.category)
    if flt.unit_id:
        u = t.case_units.c
        query = query.where(c.case_id.in_(select(u.case_id).where(u.unit_id == flt.unit_id)))
    if flt.deputy_id:
        d = t.case_deputies.c
        query = query.where(c.case_id.in_(select(d.case_id).where(d.deputy_id == flt.deputy_id)))
    if flt.key_chase is not None:
        query = query.where(c.key_chase.is_(flt.key_chase))
    if flt.overdue is not None:
        late = c.state.in_([s.value for s in HANDLING]) & (c.due_on < today)
        query = query.where(late if flt.overdue else ~late)
    if flt.number is not None:
        query = numbered(query, c, parse_number(flt.number, svc.county_names))
    async with svc.uow() as uow:
        total = int(
            await uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        )
        rows = await uow.session.execute(
            query.order_by(c.received_on.desc(), c.case_id)
            .limit(page_size)
            .offset((page - 1) * page_size)
        )
        items = []
        for row in rows.all():
            item = dict(row._mapping)
            handling_now = item["state"] in {s.value for s in HANDLING}
            item["overdue"] = bool(handling_now and item["due_on"] and today > item["due_on"])
            item["number"] = number_label(item, svc.county_names)
            items.append(item)
    return Page(items, total, page, page_size)


async def similar_cases(
    svc: Services, caller: Caller, case_id: str, limit: int = 10
) -> list[dict[str, Any]]:
    """Propose open cases of the same township that look like this one, with a similarity score."""
    async with svc.uow() as uow:
        store = svc.store(uow)
        case = await store.case(case_id)
        if case is None:
            raise NotFoundError(f"case {case_id}")
        require_read(caller.principal, case)
        c = svc.tables.cases.c
        ended = [State.closed.value, *(s.value for s in FINAL)]
        candidates = select(c.case_id, c.title, c.state, c.kind, c.received_on, c.tokens).where(
            c.township == case.township, c.state.not_in(ended), c.case_id != case_id
        )
        # only cases the caller may open: a deputy sees no other deputy's case, not even its title
        visible = _visible(svc, caller.principal, candidates, None)
        rows = (await uow.session.execute(visible)).all()
        own = await uow.session.scalar(select(c.tokens).where(c.case_id == case_id))
    by_id = {r.case_id: r for r in rows}
    # vectors were kept at intake; a row from before that has none and matches nothing
    corpus = [(r.case_id, r.tokens) for r in rows if r.tokens]
    query = own if own is not None else token_vector(f"{case.title} {case.content}")
    matches = similar_vectors(query, corpus, threshold=svc.similar_threshold, limit=limit)
    return [
        {
            "case_id": m.case_id,
            "score": m.score,
            "title": by_id[m.case_id].title,
            "state": by_id[m.case_id].state,
            "kind": by_id[m.case_id].kind,
            "received_on": by_id[m.case_id].received_on,
        }
        for m in matches
    ]


__all__ = [
    "CaseFilter",
    "Page",
    "can_read",
    "case_view",
    "list_cases",
    "read_case",
    "read_timeline",
    "similar_cases",
]
