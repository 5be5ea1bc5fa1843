"""What logging an activity or recording its attendance checks: plausibility, and who marks whom.

Shared by logged activities (handlers/activities.py) and planned ones held (handlers/plans.py).
"""

from __future__ import annotations

from datetime import date

from deputies.adapters.repository import Repository
from deputies.domain.access import require_write
from deputies.domain.errors import FieldError, InputError
from deputies.domain.model import Activity, ActivityType, Deputy, Level, TownshipKind
from deputies.domain.rules import attendance_allowed, held_on_errors, mark_errors
from deputies.handlers.context import Caller


async def check_activity(repo: Repository, activity: Activity, today: date) -> dict[str, Deputy]:
    """Refuse an implausible activity or mark; return the deputies of its attendance."""
    errors: list[FieldError] = []
    if not activity.levels:
        errors.append(FieldError(("levels",), "give at least one organising level", "missing"))
    township = await repo.township(activity.place) if activity.place else None
    if activity.place is None:
        if Level.county not in activity.levels:
            errors.append(FieldError(("township",), "a township activity is held in its township"))
        elif not activity.participants:
            errors.append(
                FieldError(
                    ("participants",),
                    "a county-wide activity names the townships taking part",
                    "missing",
                )
            )
        for code in sorted(activity.participants):
            if await repo.township(code) is None:
                errors.append(FieldError(("participants",), f"unknown township {code}", "unknown"))
    elif township is None:
        errors.append(FieldError(("township",), f"unknown township {activity.township}", "unknown"))
    elif (
        township.kind is TownshipKind.subdistrict
        and activity.type is ActivityType.congress_session
        and Level.township in activity.levels
    ):
        errors.append(FieldError(("type",), "a subdistrict holds no township congress"))
    if activity.station_id:
        stations = await repo.station_townships({activity.station_id})
        if stations.get(activity.station_id) not in activity.townships:
            errors.append(
                FieldError(
                    ("station_id",), "no such station in a participating township", "unknown"
                )
            )
    if activity.type is ActivityType.congress_session and len(activity.levels) != 1:
        errors.append(FieldError(("levels",), "a congress session belongs to one level"))
    outside = sorted(p for p in activity.participants if p[:6] != activity.township[:6])
    if outside:
        errors.append(FieldError(("participants",), f"not in this county: {', '.join(outside)}"))
    elif activity.participants - {activity.township} and Level.county not in activity.levels:
        errors.append(
            FieldError(("participants",), "only a county or joint activity spans townships")
        )
    errors.extend(held_on_errors(activity.held_on, today))
    roster = await repo.deputies(activity.attendance)
    for deputy_id, mark in activity.attendance.items():
        deputy = roster.get(deputy_id)
        if deputy is None or not attendance_allowed(deputy, activity):
            errors.append(
                FieldError(
                    ("attendance", deputy_id),
                    "this deputy is not on a roster the activity draws from on that day",
                    "not_on_roster",
                )
            )
        errors.extend(mark_errors(deputy_id, mark, activity.held_on, today))
    if errors:
        raise InputError(errors)
    return roster


def require_marks(caller: Caller, roster: dict[str, Deputy]) -> None:
    """Refuse marks of deputies the caller's township does not keep (county roles keep all)."""
    for deputy in roster.values():
        require_write(caller.viewer, deputy.township)
