"""Plan activities, move or call them off, mark them held (then they are logged activities).

Who may do what follows the host, as for logged activities: a township plan is its township
staff's (and county_admin's); a county or joint one is county_admin's. Holding a plan logs the
activity with the same id and publishes ``deputies.activity.logged`` with its attendance, the
very event scoring reads for an activity logged by hand, in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from deputies import events, plan_events
from deputies.adapters.plans import PlanStore
from deputies.domain.access import require_write
from deputies.domain.errors import FieldError, InputError, NotFoundError, TransitionError
from deputies.domain.model import Activity, ActivityType, Attendance, Level
from deputies.domain.plans import (
    Place,
    PlannedActivity,
    cancelled,
    default_expected,
    held,
    place_errors,
    rescheduled,
    time_errors,
)
from deputies.domain.rules import attendance_allowed, held_on_errors
from deputies.handlers.activity_checks import check_activity, require_marks
from deputies.handlers.context import Caller, Services, new_id, remember_creation
from kit import clock
from kit.errors import VersionConflictError
from kit.uow import UnitOfWork


@dataclass(frozen=True)
class PlanDetails:
    """What a plan says: the activity, when, where and who is expected (None: the default)."""

    township: str
    type: ActivityType
    title: str
    levels: frozenset[Level]
    starts_at: datetime
    ends_at: datetime
    place: Place
    expected: frozenset[str] | None = None


async def _check_plan(svc: Services, uow: UnitOfWork, plan: PlannedActivity) -> None:
    """Refuse an implausible plan: times, place, township, station, expected deputies."""
    repo = svc.repository(uow)
    errors: list[FieldError] = [
        *time_errors(plan.starts_at, plan.ends_at),
        *place_errors(plan.place),
    ]
    if not plan.levels:
        errors.append(FieldError(("levels",), "give at least one organising level", "missing"))
    if await repo.township(plan.township) is None:
        errors.append(FieldError(("township",), f"unknown township {plan.township}", "unknown"))
    station = plan.place.station_id
    if station and (await repo.station_townships({station})).get(station) != plan.township:
        errors.append(FieldError(("station_id",), "no such station in this township", "unknown"))
    if not errors:
        errors.extend(held_on_errors(plan.held_on, clock.today(svc.clock())))
        probe = Activity(
            id=plan.id,
            township=plan.township,
            type=plan.type,
            title=plan.title,
            levels=plan.levels,
            held_on=plan.held_on,
            duration_hours=plan.duration_hours,
        )
        roster = await repo.deputies(plan.expected)
        for deputy_id in sorted(plan.expected):
            deputy = roster.get(deputy_id)
            if deputy is None or not attendance_allowed(deputy, probe):
                errors.append(
                    FieldError(
                        ("expected", deputy_id),
                        "this deputy is not on a roster the activity draws from on that day",
                        "not_on_roster",
                    )
                )
    if errors:
        raise InputError(errors)


async def plan_activity(svc: Services, caller: Caller, details: PlanDetails) -> PlannedActivity:
    """Plan an activity; its deputies (named, else the station's or the town's) are invited."""
    plan = PlannedActivity(
        id=new_id(),
        township=details.township,
        type=details.type,
        title=details.title,
        levels=details.levels,
        starts_at=details.starts_at,
        ends_at=details.ends_at,
        place=details.place,
        expected=details.expected or frozenset(),
    )
    require_write(caller.viewer, plan.host)
    async with svc.uow() as uow:
        if details.expected is None and not time_errors(plan.starts_at, plan.ends_at):
            pool = await PlanStore(uow, svc.tables).township_deputies(plan.township)
            plan.expected = default_expected(pool, plan)
        await _check_plan(svc, uow, plan)
        await PlanStore(uow, svc.tables).add_plan(plan)
        await _audit(svc, uow, caller, plan, "plan", {"expected": str(len(plan.expected))})
        uow.stage(plan_events.scheduled(plan, caller))
        await remember_creation(svc, uow, caller, plan.id)
        await uow.commit()
    return plan


async def _load(
    uow: UnitOfWork, svc: Services, caller: Caller, plan_id: str, version: int
) -> PlannedActivity:
    """Load a plan its host's scope may change: authorise, then the version."""
    plan = await PlanStore(uow, svc.tables).plan(plan_id, lock=True)
    if plan is None:
        raise NotFoundError(f"planned activity {plan_id}")
    require_write(caller.viewer, plan.host)
    if plan.version != version:
        raise VersionConflictError(f"planned activity is at version {plan.version}")
    return plan


async def reschedule_plan(
    svc: Services,
    caller: Caller,
    plan_id: str,
    version: int,
    changes: dict[str, Any],
    reason: str,
) -> PlannedActivity:
    """Move a plan (start, end, place); the invitation is sent again with the new time."""
    async with svc.uow() as uow:
        plan = await _load(uow, svc, caller, plan_id, version)
        place = plan.place
        if "station_id" in changes or "address" in changes:
            place = Place(changes.get("station_id"), changes.get("address"))
        moved = rescheduled(
            plan,
            changes.get("starts_at") or plan.starts_at,
            changes.get("ends_at") or plan.ends_at,
            place,
        )
        if moved is None:
            return plan
        await _check_plan(svc, uow, moved)
        await PlanStore(uow, svc.tables).save_plan(moved, expected_version=version)
        await _audit(
            svc,
            uow,
            caller,
            moved,
            "reschedule",
            {
                "reason": reason,
                "from": plan.starts_at.isoformat(),
                "to": moved.starts_at.isoformat(),
            },
        )
        uow.stage(plan_events.rescheduled(moved, plan, reason, caller))
        await uow.commit()
    return moved


async def cancel_plan(
    svc: Services, caller: Caller, plan_id: str, version: int, reason: str
) -> PlannedActivity:
    """Call a plan off before it is held; the invited hear of it."""
    async with svc.uow() as uow:
        plan = cancelled(await _load(uow, svc, caller, plan_id, version))
        await PlanStore(uow, svc.tables).save_plan(plan, expected_version=version)
        await _audit(svc, uow, caller, plan, "cancel_plan", {"reason": reason})
        uow.stage(plan_events.plan_cancelled(plan, reason, caller))
        await uow.commit()
    return plan


async def hold_plan(
    svc: Services, caller: Caller, plan_id: str, version: int, attendance: dict[str, Attendance]
) -> tuple[PlannedActivity, Activity]:
    """Mark a plan held with its attendance: it is logged as the activity of the same id."""
    async with svc.uow() as uow:
        plan = await _load(uow, svc, caller, plan_id, version)
        done, activity = held(plan, attendance, svc.now())
        repo = svc.repository(uow)
        roster = await check_activity(repo, activity, clock.today(svc.clock()))
        require_marks(caller, roster)
        activity.participants = activity.townships | {d.township for d in roster.values()}
        same = await repo.same_activity(activity)
        if same is not None:
            raise TransitionError(f"the same activity is already logged as {same}")
        await PlanStore(uow, svc.tables).save_plan(done, expected_version=version)
        await repo.save_activity(activity, expected_version=None)
        await _audit(svc, uow, caller, done, "hold", {"marks": str(len(attendance))})
        uow.stage(events.activity_logged(activity, caller))
        await uow.commit()
    return done, activity


async def _audit(
    svc: Services,
    uow: UnitOfWork,
    caller: Caller,
    plan: PlannedActivity,
    action: str,
    detail: dict[str, str] | None = None,
) -> None:
    await svc.audit.record(
        uow.session,
        actor=caller.principal,
        action=action,
        resource_type="planned_activity",
        resource_id=plan.id,
        township=plan.township,
        detail=detail,
    )
