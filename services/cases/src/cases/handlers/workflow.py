"""A unit's day: apply for the extension and its decision, co-handlers' opinions, bulk assignment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from cases import events
from cases.domain import handling
from cases.domain.access import TRIAGE, require_county, require_own_unit
from cases.domain.clocks import Clocks
from cases.domain.errors import DomainError, ForbiddenError
from cases.domain.model import Case
from cases.domain.states import Action
from cases.handlers import handling as handling_steps
from cases.handlers.context import Caller, Services, new_id
from cases.handlers.steps import step
from contracts.envelope import Envelope
from kit.principal import Role


async def apply_extension(
    svc: Services, caller: Caller, case_id: str, version: int, due_on: date, reason: str
) -> Case:
    """The lead unit applies for the extension (申请延期); a county role grants or refuses it."""

    def decide(case: Case, clocks: Clocks) -> list[Envelope[Any]]:
        unit_id = require_own_unit(caller.principal, case, lead=True)
        request = handling.apply_extension(
            case,
            unit_id=unit_id,
            due_on=due_on,
            reason=reason,
            by=caller.actor,
            at=svc.clock(),
            clocks=clocks,
        )
        return [events.extension_applied(case, request)]

    detail = {"requested_due_on": due_on.isoformat()}
    return await step(svc, caller, case_id, version, "apply_extension", decide, detail)


async def grant_extension(
    svc: Services, caller: Caller, case_id: str, version: int, due_on: date | None, comment: str
) -> Case:
    """Grant the pending application, to the date asked for unless the county role sets another."""

    def decide(case: Case, clocks: Clocks) -> list[Envelope[Any]]:
        require_county(caller.principal, case.township, Role.county_admin, Role.county_leader)
        case.require(Action.refuse_extension)  # decidable: an application is pending
        pending = case.pending_extension
        assert pending is not None
        reason = f"{pending.reason}（{comment.strip()}）" if comment.strip() else pending.reason
        handling.extend(
            case,
            due_on=due_on or pending.due_on,
            reason=reason,
            by=caller.actor,
            at=svc.clock(),
            clocks=clocks,
        )
        return [events.extension_granted(case)]

    detail = {"due_on": due_on.isoformat() if due_on else None, "on_application": True}
    return await step(svc, caller, case_id, version, "extend", decide, detail)


async def refuse_extension(
    svc: Services, caller: Caller, case_id: str, version: int, reason: str
) -> Case:
    """Refuse the pending application with a reason; the due date stays."""

    def decide(case: Case, _: Clocks) -> list[Envelope[Any]]:
        require_county(caller.principal, case.township, Role.county_admin, Role.county_leader)
        refused = handling.refuse_extension(case, reason=reason, by=caller.actor, at=svc.clock())
        return [events.extension_refused(case, refused)]

    return await step(svc, caller, case_id, version, "refuse_extension", decide)


async def record_co_opinion(
    svc: Services, caller: Caller, case_id: str, version: int, text: str
) -> Case:
    """A co-handling unit records its own opinion (会办意见) for the lead unit's reply."""

    def decide(case: Case, _: Clocks) -> list[Envelope[Any]]:
        unit_id = require_own_unit(caller.principal, case, lead=False)
        opinion = handling.record_co_opinion(
            case, unit_id=unit_id, text=text, by=caller.actor, at=svc.clock()
        )
        return [events.co_opinion_recorded(case, opinion)]

    return await step(svc, caller, case_id, version, "co_opinion", decide)


@dataclass(frozen=True)
class Assignment:
    """One case of a bulk assignment, at the version the caller read."""

    case_id: str
    version: int
    lead_unit_id: str
    co_unit_ids: tuple[str, ...] = ()
    comment: str = ""


@dataclass(frozen=True)
class Outcome:
    """What became of one case of a bulk assignment: the case, or why not."""

    case_id: str
    case: Case | None = None
    error: DomainError | None = None


async def bulk_assign(
    svc: Services, caller: Caller, items: Sequence[Assignment]
) -> tuple[str, list[Outcome]]:
    """Assign many cases, each in its own transaction; return the batch id and every outcome.

    Each case is the ordinary assignment step (lock, If-Match version, decide, save, audit,
    events through the outbox, commit), so one refused case changes nothing for the others and
    a committed one stays committed whatever comes after it.
    """
    if not caller.principal.has(*TRIAGE):  # a role that may assign nothing is refused outright
        raise ForbiddenError("only county or township staff assign cases")
    batch = new_id()
    async with svc.uow() as uow:  # every unit the batch names, read once
        known = await svc.store(uow).units(
            {u for i in items for u in (i.lead_unit_id, *i.co_unit_ids)}
        )
    outcomes: list[Outcome] = []
    for item in items:
        try:
            case = await handling_steps.assign(
                svc,
                caller,
                item.case_id,
                item.version,
                item.lead_unit_id,
                item.co_unit_ids,
                item.comment,
                batch=batch,
                known=known,
            )
        except DomainError as error:
            outcomes.append(Outcome(item.case_id, error=error))
        else:
            outcomes.append(Outcome(item.case_id, case=case))
    return batch, outcomes
