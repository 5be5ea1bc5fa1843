"""Rules the scheduled checks and the activity log apply: staleness, roster, absences."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from deputies.domain.errors import FieldError
from deputies.domain.model import Activity, ActivityState, ActivityType, Attendance, Deputy, Level
from kit import clock

#: Two unapproved absences from the congress session end the mandate (代表法 Art. 62(3)).
ABSENCES_ENDING_MANDATE = 2
#: Marks that say what happened on the day; only leave (请假) can be known beforehand.
AFTER_THE_DAY = frozenset({Attendance.present, Attendance.unexcused_absence})
#: An activity is logged within a term (5 years) back and planned at most a year ahead.
YEARS_BACK = 5
YEARS_AHEAD = 1


@dataclass(frozen=True)
class StalePeriod:
    """The n-th stale period of a record last refreshed on ``basis`` (n >= 1 means stale)."""

    basis: date
    number: int
    started_on: date


def stale_period(last_refreshed: datetime, now: datetime, days: int) -> StalePeriod | None:
    """Return the stale period ``now`` falls in, or None while the record is fresh.

    A record refreshed on day B is stale from B + days; each further ``days`` begins a new
    period, so a roster nobody verifies is announced again every period, never twice in one.
    """
    if days <= 0:
        raise ValueError("days must be positive")
    elapsed = (now - last_refreshed) // timedelta(days=days)
    if elapsed < 1:
        return None
    basis = clock.china_day(last_refreshed)  # the day in China, not in UTC
    return StalePeriod(
        basis=basis, number=int(elapsed), started_on=basis + timedelta(days=days * int(elapsed))
    )


def attendance_allowed(deputy: Deputy, activity: Activity) -> bool:
    """Tell whether a deputy is on a roster the activity draws from, on the day it is held.

    A township activity draws on its own township (county deputies living there may join,
    代表法 Art. 34); a county activity on the county's deputies; a joint one on every roster
    of the county (县乡联动).
    """
    if not deputy.on_roster_at(activity.held_on):
        return False
    if deputy.township == activity.township:
        return Level.township in activity.levels or Level.county in deputy.levels
    if deputy.township[:6] != activity.township[:6] or Level.county not in activity.levels:
        return False
    return activity.joint or Level.county in deputy.levels


def mark_errors(deputy_id: str, mark: Attendance, held_on: date, today: date) -> list[FieldError]:
    """Return why a mark cannot be recorded yet: presence or absence on a day still to come."""
    if held_on > today and mark in AFTER_THE_DAY:
        return [
            FieldError(
                ("attendance", deputy_id),
                f"{mark} cannot be recorded for {held_on.isoformat()}, a day that has not come",
                "future",
            )
        ]
    return []


def held_on_errors(held_on: date, today: date) -> list[FieldError]:
    """Return why a day is implausible for an activity (decades away, or years ahead)."""
    if held_on.year < today.year - YEARS_BACK or held_on.year > today.year + YEARS_AHEAD:
        return [
            FieldError(
                ("held_on",),
                f"must lie between {today.year - YEARS_BACK} and {today.year + YEARS_AHEAD}",
            )
        ]
    return []


def session_level(activity: Activity) -> Level | None:
    """Return the congress whose session an activity is, or None for any other activity."""
    if activity.type is not ActivityType.congress_session or len(activity.levels) != 1:
        return None
    return next(iter(activity.levels))


@dataclass(frozen=True)
class AbsenceKey:
    """One mandate that can be flagged: a deputy at a level in a term."""

    deputy_id: str
    level: Level
    term: int


@dataclass(frozen=True)
class Flag:
    """A standing termination flag: the event that raised it and the sessions it named."""

    event_id: str
    session_ids: tuple[str, ...]


def session_absences(
    activities: Iterable[Activity], deputies: dict[str, Deputy]
) -> dict[AbsenceKey, list[str]]:
    """Return each mandate's unexcused absences from sessions of its own congress, in its term.

    Only a session of a congress the deputy sits in counts (a county-only deputy at a township
    session holds no township mandate), and only while the mandate runs (from the election day
    until a termination); a cancelled session counts for nothing.
    """
    absences: dict[AbsenceKey, set[str]] = defaultdict(set)
    for activity in activities:
        level = session_level(activity)
        if level is None or activity.state is ActivityState.cancelled:
            continue
        for deputy_id, mark in activity.attendance.items():
            deputy = deputies.get(deputy_id)
            if mark is not Attendance.unexcused_absence or deputy is None:
                continue
            if level not in deputy.levels or not deputy.on_roster_at(activity.held_on):
                continue
            absences[AbsenceKey(deputy_id, level, deputy.term)].add(activity.id)
    return {key: sorted(ids) for key, ids in absences.items()}


def mandates_to_flag(
    activities: Iterable[Activity], deputies: dict[str, Deputy]
) -> dict[AbsenceKey, list[str]]:
    """Return the mandates with two or more unexcused session absences, with the sessions."""
    return {
        key: ids
        for key, ids in session_absences(activities, deputies).items()
        if len(ids) >= ABSENCES_ENDING_MANDATE
    }
