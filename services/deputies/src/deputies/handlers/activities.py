"""Log activities with attendance, correct them, cancel them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from deputies import events
from deputies.adapters.repository import Repository
from deputies.domain.access import require_write
from deputies.domain.errors import (
    FieldError,
    InputError,
    NotFoundError,
    TransitionError,
    VersionConflictError,
)
from deputies.domain.model import (
    Activity,
    ActivityState,
    ActivityType,
    Attendance,
    Level,
    TownshipKind,
)
from deputies.domain.rules import attendance_allowed
from deputies.handlers.context import Caller, Services, new_id, remember_creation


@dataclass(frozen=True)
class ActivityDetails:
    """What an activity is: the fields a log entry or a correction gives in full."""

    township: str
    type: ActivityType
    title: str
    levels: frozenset[Level]
    held_on: date
    duration_hours: float
    station_id: str | None = None
    attendance: dict[str, Attendance] = field(default_factory=dict)


async def _check(repo: Repository, details: ActivityDetails) -> None:
    errors: list[FieldError] = []
    if not details.levels:
        errors.append(FieldError(("levels",), "give at least one organising level", "missing"))
    township = await repo.township(details.township)
    if township is None:
        errors.append(FieldError(("township",), f"unknown township {details.township}", "unknown"))
    elif (
        township.kind is TownshipKind.subdistrict
        and details.type is ActivityType.congress_session
        and Level.township in details.levels
    ):
        errors.append(FieldError(("type",), "a subdistrict holds no township congress"))
    if details.station_id:
        stations = await repo.station_townships({details.station_id})
        if stations.get(details.station_id) != details.township:
            errors.append(
                FieldError(("station_id",), "no such station in this township", "unknown")
            )
    if details.type is ActivityType.congress_session and len(details.levels) != 1:
        errors.append(FieldError(("levels",), "a congress session belongs to one level"))
    probe = Activity(
        id="",
        township=details.township,
        type=details.type,
        title=details.title,
        levels=details.levels,
        held_on=details.held_on,
        duration_hours=details.duration_hours,
    )
    roster = await repo.deputies(details.attendance)
    for deputy_id in details.attendance:
        deputy = roster.get(deputy_id)
        if deputy is None or not attendance_allowed(deputy, probe):
            errors.append(
                FieldError(
                    ("attendance", deputy_id),
                    "this deputy is not on a roster the activity draws from",
                    "not_on_roster",
                )
            )
    if errors:
        raise InputError(errors)


async def log_activity(svc: Services, caller: Caller, details: ActivityDetails) -> Activity:
    """Log an activity with its attendance."""
    require_write(caller.viewer, details.township)
    activity = Activity(
        id=new_id(),
        township=details.township,
        type=details.type,
        title=details.title,
        levels=details.levels,
        held_on=details.held_on,
        duration_hours=details.duration_hours,
        station_id=details.station_id,
        attendance=dict(details.attendance),
    )
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        await _check(repo, details)
        await repo.save_activity(activity, expected_version=None)
        await _audit(svc, uow.session, caller, activity, "create")
        uow.stage(events.activity_logged(activity, caller))
        await remember_creation(svc, uow, caller, activity.id)
        await uow.commit()
    return activity


async def _load(repo: Repository, caller: Caller, activity_id: str, version: int) -> Activity:
    activity = await repo.activity(activity_id)
    if activity is None:
        raise NotFoundError(f"activity {activity_id}")
    require_write(caller.viewer, activity.township)
    if activity.state is ActivityState.cancelled:
        raise TransitionError("the activity is cancelled")
    if activity.version != version:
        raise VersionConflictError(f"activity is at version {activity.version}")
    return activity


async def correct_activity(
    svc: Services,
    caller: Caller,
    activity_id: str,
    expected_version: int,
    details: ActivityDetails,
    reason: str,
) -> Activity:
    """Replace an activity's details and attendance at the version the caller read."""
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        activity = await _load(repo, caller, activity_id, expected_version)
        if details.township != activity.township:
            raise InputError([FieldError(("township",), "an activity cannot move township")])
        await _check(repo, details)
        activity.type = details.type
        activity.title = details.title
        activity.levels = details.levels
        activity.held_on = details.held_on
        activity.duration_hours = details.duration_hours
        activity.station_id = details.station_id
        activity.attendance = dict(details.attendance)
        activity.version += 1
        await repo.save_activity(activity, expected_version=expected_version)
        await _audit(svc, uow.session, caller, activity, "correct", {"reason": reason})
        uow.stage(events.activity_corrected(activity, reason, caller))
        await uow.commit()
    return activity


async def cancel_activity(
    svc: Services, caller: Caller, activity_id: str, expected_version: int, reason: str
) -> Activity:
    """Cancel an activity; its attendance no longer counts."""
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        activity = await _load(repo, caller, activity_id, expected_version)
        activity.state = ActivityState.cancelled
        activity.version += 1
        await repo.save_activity(activity, expected_version=expected_version)
        await _audit(svc, uow.session, caller, activity, "cancel", {"reason": reason})
        uow.stage(events.activity_cancelled(activity, reason, caller))
        await uow.commit()
    return activity


async def _audit(
    svc: Services,
    session: AsyncSession,
    caller: Caller,
    activity: Activity,
    action: str,
    detail: dict[str, str] | None = None,
) -> None:
    await svc.audit.record(
        session,
        actor=caller.principal,
        action=action,
        resource_type="activity",
        resource_id=activity.id,
        township=activity.township,
        detail=detail,
    )
