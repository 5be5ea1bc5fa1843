"""One step on one case: load at the version read, decide, save with its events, audit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cases import events
from cases.domain.access import require_read
from cases.domain.clocks import Clocks
from cases.domain.errors import DomainError, ForbiddenError, NotFoundError, VersionConflictError
from cases.domain.model import Case
from cases.handlers.context import Caller, Services
from contracts.envelope import Envelope
from kit.audit import change_detail, snapshot
from kit.uow import UnitOfWork

Decision = Callable[[Case, Clocks], list[Envelope[Any]]]
"""Checks the caller, applies a domain step, returns the step's own events."""


async def load(caller: Caller, case: Case | None, case_id: str, version: int) -> Case:
    """Return a case the caller may see, at the version the caller read."""
    case = visible(caller, case, case_id)
    require_version(case, version)
    return case


def visible(caller: Caller, case: Case | None, case_id: str) -> Case:
    """Return a case the caller may see (404 when missing, 403 when out of reach)."""
    if case is None:
        raise NotFoundError(f"case {case_id}")
    require_read(caller.principal, case)
    return case


def require_version(case: Case, version: int, stored: int | None = None) -> None:
    """Refuse a write made on a stale read (HTTP 409); ``stored`` is the version as loaded."""
    current = case.version if stored is None else stored
    if current != version:
        raise VersionConflictError(f"case {case.case_id} is at version {current}; read it again")


def decide_at(
    case: Case, version: int, decide: Callable[[], list[Envelope[Any]]]
) -> list[Envelope[Any]]:
    """Run a decision, refusing a stale version only after the caller's role was checked.

    Order: authorise (403) before the precondition (409): a role that may not write at all is
    told so even with a stale ``If-Match``; any other refusal on a stale read is the 409.
    """
    stored = case.version
    try:
        staged = decide()
    except ForbiddenError:
        raise
    except DomainError:
        require_version(case, version, stored)
        raise
    require_version(case, version, stored)
    return staged


async def step(
    svc: Services,
    caller: Caller,
    case_id: str,
    version: int,
    action: str,
    decide: Decision,
    detail: dict[str, Any] | None = None,
) -> Case:
    """Run one step on a case in one transaction; the events go out through the outbox."""
    async with svc.uow() as uow:
        store = svc.store(uow)
        case = visible(caller, await store.case(case_id, lock=True), case_id)
        before = case.state
        was = tracked(case)
        clocks = await svc.clocks(store, case.township)
        staged = decide_at(case, version, lambda: decide(case, clocks))
        svc.mark_calendar(case)
        today = svc.today()
        staged += events.after_step(case, before, today)
        await store.save_case(
            case, expected_version=version, chase_on=svc.chase_on(case, today), at=svc.clock()
        )
        audit(svc, uow, caller, case, action, change_detail(was, tracked(case), **(detail or {})))
        uow.stage(*staged)
        await uow.commit()
    return case


TRACKED = (
    "state",
    "category",
    "confidential",
    "complex_",
    "key_chase",
    "not_accepted_reason",
    "merged_into",
    "assignment",
    "assigned_on",
    "round",
    "due_on",
    "solved",
    "carried_into",
    "version",
)
"""What the audit log compares before and after a step (the texts stay in the case's timeline)."""


def tracked(case: Case) -> dict[str, Any]:
    """Return the fields of a case a step's audit entry shows before and after."""
    return {
        **snapshot(case, TRACKED),
        "units": [f"{u.role.value}:{u.unit_id}" for u in case.units],
        "extension_due_on": case.extension.due_on if case.extension else None,
    }


def audit(
    svc: Services,
    uow: UnitOfWork,
    caller: Caller,
    case: Case,
    action: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record who did what to which case (queued: written with the unit of work's commit)."""
    svc.audit.add(
        uow,
        actor=caller.principal,
        action=action,
        resource_type="case",
        resource_id=case.case_id,
        township=case.township,
        detail=detail,
    )
