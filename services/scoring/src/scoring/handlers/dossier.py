"""The annual 履职档案 (JSON and DOCX, every export audited) and the grade proposals a person decides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select

from kit.errors import ForbiddenError, TransitionError, invalid
from kit.principal import Role
from scoring.adapters.docx_dossier import render
from scoring.domain.access import require_deputy_reader, require_reader
from scoring.domain.dossier import Dossier, dossier
from scoring.domain.proposals import LABELS, Consequence, Decision, proposed
from scoring.handlers.context import Caller, Services
from scoring.handlers.points import _active, _cards, _deputy_township
from scoring.handlers.rulesets import facts_of


async def _decisions(svc: Services, uow: Any, deputy_ids: list[str], year: int) -> dict[Any, Any]:
    g = svc.tables.grade_decisions
    rows = await uow.session.execute(
        select(g).where(g.c.deputy_id.in_(deputy_ids), g.c.year == year)
    )
    return {(r.deputy_id, r.proposal): r for r in rows}


def _proposal(
    deputy_id: str, township: str, grade: str, total: Decimal, c: Consequence, decided: Any
) -> dict[str, Any]:
    return {
        "deputy_id": deputy_id,
        "township": township,
        "grade": grade,
        "total": total,
        "proposal": c.value,
        "label": LABELS[c],
        "decision": None if decided is None else decided.decision,
        "note": None if decided is None else decided.note,
        "decided_by": None if decided is None else decided.decided_by,
        "decided_at": None if decided is None else decided.decided_at,
    }


async def deputy_dossier(
    svc: Services, caller: Caller, deputy_id: str, year: int, fmt: str
) -> Dossier:
    """Return a deputy's annual record (the deputy, their township's staff, county roles); audited."""
    async with svc.uow() as uow:
        store = svc.store(uow)
        township = await _deputy_township(store, deputy_id)
        require_deputy_reader(caller.principal, deputy_id, township)
        active = await _active(store, township[:6], year)
        if deputy_id not in await store.serving_of(township):
            raise TransitionError(
                f"the mandate of {deputy_id} has ended: nothing is proposed", state="terminated"
            )
        cards, _, _ = await _cards(store, svc.rules(active), active, year)
        card = cards[deputy_id]
        facts = await facts_of(svc, store, township[:6])
        decided = await _decisions(svc, uow, [deputy_id], year)
        proposals = [
            _proposal(
                deputy_id,
                township,
                card.grade.value,
                card.total,
                c,
                decided.get((deputy_id, c.value)),
            )
            for c in proposed(card.grade)
        ]
        await svc.audit.record(
            uow.session,
            actor=caller.principal,
            action="export",
            resource_type="dossier",
            resource_id=f"{deputy_id}/{year}",
            township=township,
            detail={"format": fmt},
        )
        await uow.commit()
    svc.metrics.exports.labels(fmt).inc()
    return dossier(card, township, facts, proposals)


def docx(d: Dossier) -> bytes:
    """Return the record as a Word document."""
    return render(d)


async def proposals(svc: Services, caller: Caller, scope: str, year: int) -> list[dict[str, Any]]:
    """Return what each deputy's grade proposes (评优, 推荐连任, 约谈) and any decision taken."""
    require_reader(caller.principal, scope)
    async with svc.uow() as uow:
        store = svc.store(uow)
        active = await _active(store, scope[:6], year)
        cards, _, _ = await _cards(store, svc.rules(active), active, year)
        roster = await store.serving_of(scope)  # nothing is proposed for an ended mandate
        mine = sorted(d for d in cards if d in roster)
        decided = await _decisions(svc, uow, mine, year)
    return [
        _proposal(d, roster[d], cards[d].grade.value, cards[d].total, c, decided.get((d, c.value)))
        for d in mine
        for c in proposed(cards[d].grade)
    ]


@dataclass(frozen=True)
class Decided:
    """A person's decision on a grade's proposed consequence."""

    deputy_id: str
    year: int
    proposal: Consequence
    decision: Decision
    note: str
    decided_by: str
    decided_at: datetime


async def decide(
    svc: Services,
    caller: Caller,
    deputy_id: str,
    year: int,
    proposal: Consequence,
    decision: Decision,
    note: str,
) -> Decided:
    """Record a county administrator's decision on a proposal (never taken by the system)."""
    if not note.strip():
        raise invalid("note", "a decision needs a note saying who decided and why", "missing")
    g = svc.tables.grade_decisions
    async with svc.uow() as uow:
        store = svc.store(uow)
        township = await _deputy_township(store, deputy_id)
        if not (caller.principal.has(Role.county_admin) and caller.principal.covers(township)):
            raise ForbiddenError(
                "decisions are recorded by the county administration", township=township
            )
        active = await _active(store, township[:6], year)
        if deputy_id not in await store.serving_of(township):
            raise TransitionError(
                f"the mandate of {deputy_id} has ended: nothing is proposed", state="terminated"
            )
        cards, _, _ = await _cards(store, svc.rules(active), active, year)
        card = cards[deputy_id]
        if proposal not in proposed(card.grade):
            raise TransitionError(
                f"{proposal.value} is not proposed for a {card.grade.value} grade",
                state=card.grade.value,
            )
        if (await _decisions(svc, uow, [deputy_id], year)).get((deputy_id, proposal.value)):
            raise TransitionError(
                f"{proposal.value} is already decided for {deputy_id}", state="decided"
            )
        done = Decided(deputy_id, year, proposal, decision, note, caller.subject, svc.now())
        await uow.session.execute(
            insert(g).values(
                deputy_id=deputy_id,
                year=year,
                proposal=proposal.value,
                township=township,
                grade=card.grade.value,
                total=card.total,
                decision=decision.value,
                note=note,
                decided_by=caller.subject,
                decided_at=done.decided_at,
            )
        )
        await svc.audit.record(
            uow.session,
            actor=caller.principal,
            action="decide_proposal",
            resource_type="grade_decision",
            resource_id=f"{deputy_id}/{year}/{proposal.value}",
            township=township,
            detail={"decision": decision.value, "grade": card.grade.value},
        )
        await uow.commit()
    return done
