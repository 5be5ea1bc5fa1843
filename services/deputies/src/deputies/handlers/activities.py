"""Log activities, change their details, record each deputy's attendance, cancel them.

Who may do what follows the host: a county or joint (县乡联动) activity is the county's, so only
a county role logs, changes or cancels it; a township activity is its township's. Each deputy's
attendance is recorded by that deputy's own township staff or a county role, never by another
township (the host included), and changing an activity never touches its attendance.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

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
)
from deputies.domain.rules import attendance_allowed, mark_errors
from deputies.handlers.activity_checks import check_activity, require_marks
from deputies.handlers.context import Caller, Services, new_id, remember_creation
from kit import clock
from kit.audit import change_detail, snapshot


@dataclass(frozen=True)
class ActivityDetails:
    """What an activity is: the fields a log entry gives in full."""

    township: str
    type: ActivityType
    title: str
    levels: frozenset[Level]
    held_on: date
    duration_hours: float
    station_id: str | None = None
    attendance: dict[str, Attendance] = field(default_factory=dict)
    participants: frozenset[str] = frozenset()


#: The details a PATCH may change (attendance has its own resource).
CHANGEABLE = frozenset(
    {"type", "title", "levels", "held_on", "duration_hours", "station_id", "participants"}
)


def _probe(details: ActivityDetails) -> Activity:
    return Activity(
        id="",
        township=details.township,
        type=details.type,
        title=details.title,
        levels=details.levels,
        held_on=details.held_on,
        duration_hours=details.duration_hours,
        station_id=details.station_id,
        participants=details.participants,
    )


async def log_activity(svc: Services, caller: Caller, details: ActivityDetails) -> Activity:
    """Log an activity (with the attendance its host may record); refuse an identical one."""
    activity = _probe(details)
    require_write(caller.viewer, activity.host)
    activity = replace(activity, id=new_id(), attendance=dict(details.attendance))
    today = clock.today(svc.clock())
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        roster = await check_activity(repo, activity, today)
        require_marks(caller, roster)
        activity.participants = activity.townships | {d.township for d in roster.values()}
        same = await repo.same_activity(activity)
        if same is not None:
            raise TransitionError(f"the same activity is already logged as {same}")
        await repo.save_activity(activity, expected_version=None)
        await _audit(svc, uow.session, caller, activity, "create")
        uow.stage(events.activity_logged(activity, caller))
        await remember_creation(svc, uow, caller, activity.id)
        await uow.commit()
    return activity


async def _load(
    repo: Repository, caller: Caller, activity_id: str, version: int | None
) -> Activity:
    """Load an activity its host's scope may change: authorise, then state, then version."""
    activity = await repo.activity(activity_id)
    if activity is None:
        raise NotFoundError(f"activity {activity_id}")
    require_write(caller.viewer, activity.host)
    if activity.state is ActivityState.cancelled:
        raise TransitionError("the activity is cancelled", state=activity.state.value)
    if version is not None and activity.version != version:
        raise VersionConflictError(f"activity is at version {activity.version}")
    return activity


async def update_activity(
    svc: Services,
    caller: Caller,
    activity_id: str,
    expected_version: int,
    changes: dict[str, Any],
    reason: str,
) -> Activity:
    """Change some details at the version the caller read; the attendance stays as it is."""
    unknown = sorted(set(changes) - CHANGEABLE)
    if unknown:
        raise InputError([FieldError((n,), "cannot be changed here", "forbidden") for n in unknown])
    today = clock.today(svc.clock())
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        activity = await _load(repo, caller, activity_id, expected_version)
        clearable = {"station_id"}  # null clears it; null elsewhere keeps the field
        changed = sorted(
            n
            for n, v in changes.items()
            if (v is not None or n in clearable) and getattr(activity, n) != v
        )
        if not changed:
            return activity
        updated = replace(activity, **{n: changes[n] for n in changed})
        updated.participants = updated.participants | activity.participants
        require_write(caller.viewer, updated.host)  # e.g. made joint: now the county's
        await check_activity(repo, updated, today)
        updated.version += 1
        await repo.save_activity(updated, expected_version=expected_version, marks=False)
        detail = change_detail(
            snapshot(activity, CHANGEABLE), snapshot(updated, CHANGEABLE), reason=reason
        )
        await _audit(svc, uow.session, caller, updated, "correct", detail)
        uow.stage(events.activity_corrected(updated, reason, caller))
        await uow.commit()
    return updated


async def record_attendance(
    svc: Services, caller: Caller, activity_id: str, deputy_id: str, mark: Attendance
) -> Activity:
    """Record one deputy's attendance: their township's staff or a county role, once per deputy."""
    today = clock.today(svc.clock())
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        activity = await repo.activity(activity_id)
        if activity is None:
            raise NotFoundError(f"activity {activity_id}")
        deputy = (await repo.deputies([deputy_id])).get(deputy_id)
        if deputy is None:
            raise NotFoundError(f"deputy {deputy_id}")
        require_write(caller.viewer, deputy.township)
        if activity.state is ActivityState.cancelled:
            raise TransitionError("the activity is cancelled", state=activity.state.value)
        errors = mark_errors(deputy_id, mark, activity.held_on, today)
        if not attendance_allowed(deputy, activity):
            errors.append(
                FieldError(
                    ("attendance", deputy_id),
                    "this deputy is not on a roster the activity draws from on that day",
                    "not_on_roster",
                )
            )
        if errors:
            raise InputError(errors)
        previous = activity.attendance.get(deputy_id)
        if previous is mark:
            return activity
        activity.attendance[deputy_id] = mark
        activity.version = await repo.put_mark(activity, deputy, mark)
        await _audit(
            svc,
            uow.session,
            caller,
            activity,
            "record_attendance" if previous is None else "correct_attendance",
            change_detail(
                {f"attendance.{deputy_id}": previous},
                {f"attendance.{deputy_id}": mark},
                deputy_id=deputy_id,
                mark=mark.value,
                previous=str(previous or ""),
            ),
        )
        uow.stage(events.attendance_recorded(activity, deputy, previous, caller))
        await uow.commit()
    return activity


async def remove_attendance(
    svc: Services, caller: Caller, activity_id: str, deputy_id: str, reason: str
) -> Activity:
    """Remove a mistaken mark: the deputy's township staff or a county role, with a reason."""
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        activity = await repo.activity(activity_id)
        if activity is None:
            raise NotFoundError(f"activity {activity_id}")
        deputy = (await repo.deputies([deputy_id])).get(deputy_id)
        if deputy is None:
            raise NotFoundError(f"deputy {deputy_id}")
        require_write(caller.viewer, deputy.township)
        if activity.state is ActivityState.cancelled:
            raise TransitionError("the activity is cancelled", state=activity.state.value)
        removed = activity.attendance.pop(deputy_id, None)
        if removed is None:
            raise NotFoundError(f"no mark of deputy {deputy_id} at activity {activity_id}")
        activity.version = await repo.drop_mark(activity, deputy_id)
        await _audit(
            svc,
            uow.session,
            caller,
            activity,
            "remove_attendance",
            change_detail(
                {f"attendance.{deputy_id}": removed},
                {f"attendance.{deputy_id}": None},
                deputy_id=deputy_id,
                removed=removed.value,
                reason=reason,
            ),
        )
        uow.stage(events.attendance_removed(activity, deputy, removed, reason, caller))
        await uow.commit()
    return activity


async def cancel_activity(
    svc: Services, caller: Caller, activity_id: str, expected_version: int, reason: str
) -> Activity:
    """Cancel an activity; its attendance no longer counts."""
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        activity = await _load(repo, caller, activity_id, expected_version)
        was = activity.state
        activity.state = ActivityState.cancelled
        activity.version += 1
        await repo.save_activity(activity, expected_version=expected_version, marks=False)
        detail = change_detail({"state": was}, {"state": activity.state}, reason=reason)
        await _audit(svc, uow.session, caller, activity, "cancel", detail)
        uow.stage(events.activity_cancelled(activity, reason, caller))
        await uow.commit()
    return activity


async def _audit(
    svc: Services,
    session: AsyncSession,
    caller: Caller,
    activity: Activity,
    action: str,
    detail: dict[str, Any] | None = None,
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
