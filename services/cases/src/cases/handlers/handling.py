"""Handle cases: assign, return, extend, key-chase, reply, feedback, resolve, carry over, reopen."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from cases import events
from cases.adapters.store import UnitRecord
from cases.domain import handling
from cases.domain.access import require_county, require_staff, require_unit
from cases.domain.clocks import Clocks
from cases.domain.errors import FieldError, InputError
from cases.domain.model import Case
from cases.domain.records import CoOpinion, LeaderDecision, Unit
from cases.handlers.context import Caller, Services
from cases.handlers.steps import step
from contracts import cases as ev
from contracts.envelope import Envelope
from contracts.vocabulary import HandlingRole, ReopenReason, ReplyClass, Satisfaction
from kit.principal import Role


async def assign(
    svc: Services,
    caller: Caller,
    case_id: str,
    version: int,
    lead_unit_id: str,
    co_unit_ids: Sequence[str],
    comment: str,
    batch: str | None = None,
    known: Mapping[str, UnitRecord] | None = None,
) -> Case:
    """Assign the case to a registered lead unit and any co-handlers.

    A bulk request passes its ``batch`` id (audited) and the units it looked up once (``known``).
    """
    if known is None:
        async with svc.uow() as uow:
            known = await svc.store(uow).units([lead_unit_id, *co_unit_ids])
    errors = [
        FieldError(loc, f"unknown or inactive handling unit {uid}", "unknown_unit")
        for loc, uid in [
            (("lead_unit_id",), lead_unit_id),
            *((("co_unit_ids", i), uid) for i, uid in enumerate(co_unit_ids)),
        ]
        if uid not in known or not known[uid].active
    ]

    def decide(case: Case, clocks: Clocks) -> list[Envelope[Any]]:
        require_staff(caller.principal, case.township)
        if errors:  # refused only once the caller may assign at all (403 before 422)
            raise InputError(errors)
        lead = Unit(lead_unit_id, known[lead_unit_id].name, HandlingRole.lead)
        co = [Unit(uid, known[uid].name, HandlingRole.co) for uid in co_unit_ids]
        handling.assign(
            case, lead=lead, co=co, by=caller.actor, at=svc.clock(), clocks=clocks, comment=comment
        )
        return [events.assigned(case)]

    detail = {"lead": lead_unit_id, "co": list(co_unit_ids)} | ({"batch": batch} if batch else {})
    return await step(svc, caller, case_id, version, "assign", decide, detail)


async def return_(
    svc: Services, caller: Caller, case_id: str, version: int, unit_id: str | None, reason: str
) -> Case:
    """Return the case (退办) within the window; a co-handler just leaves it."""

    def decide(case: Case, clocks: Clocks) -> list[Envelope[Any]]:
        nonlocal unit_id
        lead = case.lead
        unit_id = unit_id or caller.principal.unit_id or (lead.unit_id if lead else "")
        require_unit(caller.principal, case, unit_id)
        unit = next((u for u in case.units if u.unit_id == unit_id), None)
        handling.return_(
            case, unit_id=unit_id, reason=reason, by=caller.actor, at=svc.clock(), clocks=clocks
        )
        assert unit is not None
        contract_unit = ev.HandlingUnit(unit_id=unit.unit_id, name=unit.name, role=unit.role)
        return [events.returned(case, contract_unit, reason.strip(), svc.today())]

    return await step(svc, caller, case_id, version, "return", decide)


async def extend(
    svc: Services, caller: Caller, case_id: str, version: int, due_on: date, reason: str
) -> Case:
    """Grant the one extension, approved by the county standing committee."""

    def decide(case: Case, clocks: Clocks) -> list[Envelope[Any]]:
        require_county(caller.principal, case.township, Role.county_admin, Role.county_leader)
        handling.extend(
            case, due_on=due_on, reason=reason, by=caller.actor, at=svc.clock(), clocks=clocks
        )
        return [events.extension_granted(case)]

    return await step(
        svc, caller, case_id, version, "extend", decide, {"due_on": due_on.isoformat()}
    )


async def designate_key_chase(
    svc: Services,
    caller: Caller,
    case_id: str,
    version: int,
    comment: str,
    decision: LeaderDecision | None = None,
) -> Case:
    """Flag the case for key chasing (重点督办); county staff record a leader's decision for them."""

    def decide(case: Case, _: Clocks) -> list[Envelope[Any]]:
        require_county(caller.principal, case.township, Role.county_leader, Role.county_admin)
        handling.designate_key_chase(
            case, by=caller.actor, at=svc.clock(), comment=comment, decision=decision
        )
        return [events.key_chase_designated(case, caller.subject, svc.today())]

    detail: dict[str, Any] | None = None
    action = "key_chase"
    if decision is not None:  # audited as recorded on the leader's behalf
        action = "key_chase_on_behalf"
        detail = {
            "on_behalf_of": decision.leader,
            "meeting_ref": decision.meeting_ref,
            "decided_on": decision.decided_on.isoformat(),
        }
    return await step(svc, caller, case_id, version, action, decide, detail)


async def reply(
    svc: Services,
    caller: Caller,
    case_id: str,
    version: int,
    *,
    unit_id: str | None,
    reply_class: ReplyClass,
    text: str,
    co_opinions: Sequence[CoOpinion],
    follow_up_due_on: date | None,
) -> Case:
    """Record the lead unit's reply with its class."""

    def decide(case: Case, _: Clocks) -> list[Envelope[Any]]:
        lead = case.lead
        replier = unit_id or (lead.unit_id if lead else "")
        require_unit(caller.principal, case, replier)
        handling.reply(
            case,
            unit_id=replier,
            reply_class=reply_class,
            text=text,
            by=caller.actor,
            at=svc.clock(),
            co_opinions=co_opinions,
            follow_up_due_on=follow_up_due_on,
            require_co_opinions=svc.require_co_opinions,
        )
        return [events.replied(case)]

    return await step(svc, caller, case_id, version, "reply", decide, {"class": reply_class.value})


async def give_feedback(
    svc: Services,
    caller: Caller,
    case_id: str,
    version: int,
    process: Satisfaction,
    result: Satisfaction,
    comment: str,
) -> Case:
    """Take the submitting deputy's rating; unsatisfied reopens once."""

    def decide(case: Case, clocks: Clocks) -> list[Envelope[Any]]:
        round_ = case.round
        handling.give_feedback(
            case,
            process=process,
            result=result,
            by=caller.actor,
            at=svc.clock(),
            clocks=clocks,
            comment=comment,
        )
        staged = [events.feedback_given(case)]
        if case.round > round_:
            staged.append(events.reopened(case, ReopenReason.unsatisfied))
        return staged

    return await step(svc, caller, case_id, version, "feedback", decide)


async def resolve(svc: Services, caller: Caller, case_id: str, version: int, comment: str) -> Case:
    """Close a follow-up item now actually solved."""

    def decide(case: Case, _: Clocks) -> list[Envelope[Any]]:
        require_staff(caller.principal, case.township)
        handling.resolve(case, by=caller.actor, at=svc.clock(), comment=comment)
        return []

    return await step(svc, caller, case_id, version, "resolve", decide)


async def carry_over(
    svc: Services, caller: Caller, case_id: str, version: int, into_year: int
) -> Case:
    """Carry an unsolved follow-up item into the next year."""

    def decide(case: Case, _: Clocks) -> list[Envelope[Any]]:
        require_staff(caller.principal, case.township)
        handling.carry_over(case, into_year=into_year, by=caller.actor, at=svc.clock())
        return []

    return await step(svc, caller, case_id, version, "carry_over", decide, {"year": into_year})


async def reopen(
    svc: Services,
    caller: Caller,
    case_id: str,
    version: int,
    reason: ReopenReason,
    comment: str,
) -> Case:
    """Hand a closed or follow-up case back for re-handling on the 1-month clock."""

    def decide(case: Case, clocks: Clocks) -> list[Envelope[Any]]:
        require_staff_or_county(caller, case)
        handling.reopen(
            case, reason=reason, by=caller.actor, at=svc.clock(), clocks=clocks, comment=comment
        )
        return [events.reopened(case, reason)]

    return await step(svc, caller, case_id, version, "reopen", decide, {"reason": reason.value})


def require_staff_or_county(caller: Caller, case: Case) -> None:
    """Let township staff and county staff or leaders of the case's scope act."""
    p = caller.principal
    if p.has(Role.county_leader) and p.covers(case.township):
        return
    require_staff(p, case.township)
