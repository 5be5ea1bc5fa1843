"""人大代表之声: publish a digest for a period and scope; record leaders' instructions (批示).

An instruction on a case turns it into follow-up work: a closed or followed-up case is reopened
for re-handling, a case still being handled is flagged for key chasing (重点督办).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import insert, select

from cases import events
from cases.adapters.codec import to_doc
from cases.adapters.store import CaseStore
from cases.digest.model import build_digest, theme_counts
from cases.digest.render import render_docx, render_markdown
from cases.digest.voices import voices
from cases.domain import handling
from cases.domain.access import OVERSIGHT
from cases.domain.errors import ForbiddenError, NotFoundError, invalid
from cases.domain.model import Case
from cases.domain.numbering import county_of
from cases.domain.states import State
from cases.handlers.context import Caller, Services, new_id
from cases.views.facts import case_facts, names
from cases.views.voices import said_in
from contracts import cases as ev
from contracts.envelope import Envelope
from contracts.vocabulary import ReopenReason
from kit.events import event
from kit.principal import Principal, Role
from kit.uow import UnitOfWork

SOURCE = "/services/cases"
MAX_THEMES = 200


@dataclass(frozen=True)
class DigestRequest:
    """What a digest covers."""

    scope: str
    period_start: date
    period_end: date
    title: str


def require_digest_reader(principal: Principal, scope: str) -> None:
    """Let county staff, leaders and auditors whose scope covers the digest read it."""
    if not (principal.has(*OVERSIGHT) and principal.covers(scope)):
        raise ForbiddenError("the digest is addressed to the county's leaders")


async def publish_digest(svc: Services, caller: Caller, request: DigestRequest) -> str:
    """Count, render (Markdown and DOCX), store and announce a digest; return its id."""
    p = caller.principal
    if not (p.has(Role.county_admin) and p.covers(request.scope)):
        raise ForbiddenError("digests are compiled by county staff of the area")
    if request.period_end < request.period_start:
        raise invalid("period_end", "the period ends after it starts", "order")
    digest_id = new_id()
    now = svc.clock()
    async with svc.uow() as uow:
        facts = await case_facts(
            uow,
            svc.tables,
            scope=request.scope,
            start=request.period_start,
            end=request.period_end,
            category_of=svc.categories.group,
        )
        townships, units = await names(uow, svc.tables)
        digest = build_digest(
            facts,
            digest_id=digest_id,
            title=request.title,
            scope=request.scope,
            period_start=request.period_start,
            period_end=request.period_end,
            today=svc.today(),
        )
        said = await said_in(
            uow,
            svc.tables,
            scope=request.scope,
            start=request.period_start,
            end=request.period_end,
            county_names=svc.county_names,
            category_of=svc.categories.group,
        )
        markdown = render_markdown(digest, township_names=townships, unit_names=units)
        docx = render_docx(
            digest,
            township_names=townships,
            unit_names=units,
            voices=voices(said),
            issuer=svc.county_names.get(county_of(request.scope), ""),
        )
        await uow.session.execute(
            insert(svc.tables.digests).values(
                digest_id=digest_id,
                scope=request.scope,
                title=request.title,
                period_start=request.period_start,
                period_end=request.period_end,
                case_count=digest.case_count,
                markdown=markdown,
                docx=docx,
                summary=to_doc(digest),
                published_at=now,
                published_by=caller.subject,
            )
        )
        await svc.audit.record(
            uow.session,
            actor=p,
            action="publish_digest",
            resource_type="digest",
            resource_id=digest_id,
            township=request.scope,
        )
        themes = [
            ev.ThemeCount(theme=category, township=township, count=count)
            for category, township, count in theme_counts(digest)[:MAX_THEMES]
        ]
        uow.stage(
            event(
                ev.DigestPublished(
                    digest_id=digest_id,
                    scope=request.scope,
                    title=request.title,
                    period_start=request.period_start,
                    period_end=request.period_end,
                    case_count=digest.case_count,
                    themes=tuple(themes),
                    published_at=now,
                ),
                source=SOURCE,
            )
        )
        await uow.commit()
    return digest_id


async def digest_row(svc: Services, uow: UnitOfWork, digest_id: str) -> Any:
    """Return a stored digest row or raise ``NotFoundError``."""
    t = svc.tables.digests
    row = (await uow.session.execute(select(t).where(t.c.digest_id == digest_id))).one_or_none()
    if row is None:
        raise NotFoundError(f"digest {digest_id}")
    return row


@dataclass(frozen=True)
class Instruction:
    """A leader's instruction (批示) on a case the digest reported."""

    leader: str
    text: str
    case_id: str


MAX_MERGE_HOPS = 10
"""How many merges an instruction follows to the surviving case."""


async def surviving_case(store: CaseStore, case: Case) -> Case:
    """Follow a merged case to the case that absorbed it (locked)."""
    hops = 0
    while case.state is State.merged and case.merged_into and hops < MAX_MERGE_HOPS:
        survivor = await store.case(case.merged_into, lock=True)
        if survivor is None:
            break
        case, hops = survivor, hops + 1
    return case


async def record_instruction(
    svc: Services, caller: Caller, digest_id: str, instruction: Instruction
) -> dict[str, Any]:
    """Record a 批示, turn it into work on the (surviving) case, publish it; return what happened."""
    p = caller.principal
    async with svc.uow() as uow:
        row = await digest_row(svc, uow, digest_id)
        if not (p.has(Role.county_leader) and p.covers(row.scope)):
            raise ForbiddenError("instructions are given by the county's leaders")
        store = svc.store(uow)
        asked = await store.case(instruction.case_id, lock=True)
        if asked is None or not asked.township.startswith(row.scope):
            raise invalid("case_id", "name a case of the digest's area", "unknown")
        case = await surviving_case(store, asked)
        version, before, at = case.version, case.state, svc.clock()
        clocks = await svc.clocks(store, case.township)
        outcome = handling.instruct(
            case,
            leader=instruction.leader,
            text=instruction.text,
            by=caller.actor,
            at=at,
            clocks=clocks,
        )
        today = svc.today()
        staged: list[Envelope[Any]] = []
        if outcome == "reopened":
            staged.append(events.reopened(case, ReopenReason.instruction))
        elif outcome == "key_chase":
            staged.append(events.key_chase_designated(case, caller.subject, today))
        staged += events.after_step(case, before, today)
        await store.save_case(
            case, expected_version=version, chase_on=svc.chase_on(case, today), at=at
        )
        instruction_id = new_id()
        text = instruction.text.strip()
        staged.append(
            events.instruction_given(
                case,
                instruction_id=instruction_id,
                digest_id=digest_id,
                leader=instruction.leader.strip(),
                text=text,
                outcome=outcome,
                asked_case_id=asked.case_id if asked.case_id != case.case_id else None,
                on=today,
            )
        )
        await uow.session.execute(
            insert(svc.tables.instructions).values(
                instruction_id=instruction_id,
                digest_id=digest_id,
                leader=instruction.leader.strip(),
                text=text,
                case_id=asked.case_id,
                follow_up_case_id=case.case_id,
                outcome=outcome,
                given_on=today,
                recorded_by=caller.subject,
                recorded_at=at,
            )
        )
        await svc.audit.record(
            uow.session,
            actor=p,
            action="instruction",
            resource_type="case",
            resource_id=case.case_id,
            township=case.township,
            detail={"digest": digest_id, "outcome": outcome, "asked": asked.case_id},
        )
        uow.stage(*staged)
        await uow.commit()
    return {
        "instruction_id": instruction_id,
        "case_id": case.case_id,
        "asked_case_id": asked.case_id,
        "outcome": outcome,
        "state": case.state.value,
        "version": case.version,
    }


async def instructions_of(svc: Services, caller: Caller, digest_id: str) -> list[dict[str, Any]]:
    """Return the instructions recorded on a digest."""
    async with svc.uow() as uow:
        row = await digest_row(svc, uow, digest_id)
        require_digest_reader(caller.principal, row.scope)
        t = svc.tables.instructions
        rows = await uow.session.execute(
            select(t).where(t.c.digest_id == digest_id).order_by(t.c.recorded_at)
        )
        return [dict(r._mapping) for r in rows.all()]
