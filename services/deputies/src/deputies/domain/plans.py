"""Planned activities: planned → held or cancelled, rescheduled while planned (pure rules).

A plan is an activity announced ahead (a reception day, a training, an inspection) with its
start and end (aware datetimes; the day that counts is the day in China), a place (one of the
township's stations or a free address) and the deputies expected. Holding it turns it into the
logged activity with the same id, which is what scoring counts; a plan itself counts nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from deputies.domain.errors import FieldError, TransitionError
from deputies.domain.model import Activity, ActivityType, Attendance, Deputy, Level
from kit import clock

#: The longest activity the contract accepts (``duration_hours`` ≤ 240).
LONGEST = timedelta(hours=240)


class PlanState(StrEnum):
    """A plan waits, then it is held or called off."""

    planned = "planned"
    held = "held"
    cancelled = "cancelled"


@dataclass(frozen=True)
class Place:
    """Where a plan is held: a station of its township, or a free address."""

    station_id: str | None = None
    address: str | None = None


@dataclass
class PlannedActivity:
    """An activity announced ahead, with the deputies expected at it."""

    id: str
    township: str
    type: ActivityType
    title: str
    levels: frozenset[Level]
    starts_at: datetime
    ends_at: datetime
    place: Place
    expected: frozenset[str]
    state: PlanState = PlanState.planned
    sequence: int = 0  # iCalendar SEQUENCE: bumped by every change a calendar app must pick up
    version: int = 1

    @property
    def host(self) -> str:
        """Return who plans and changes it: the county for a county or joint one, else the town."""
        return self.township[:6] if Level.county in self.levels else self.township

    @property
    def held_on(self) -> date:
        """Return the day it is held, in China."""
        return clock.china_day(self.starts_at)

    @property
    def duration_hours(self) -> float:
        """Return how long it lasts, in hours (two decimals)."""
        return round((self.ends_at - self.starts_at) / timedelta(hours=1), 2)


def time_errors(starts_at: datetime, ends_at: datetime) -> list[FieldError]:
    """Refuse naive times, an end not after the start, or an activity longer than 240 hours."""
    errors = [
        FieldError((name,), "give the time with its zone (e.g. +08:00)", "naive")
        for name, value in (("starts_at", starts_at), ("ends_at", ends_at))
        if value.tzinfo is None
    ]
    if errors:
        return errors
    if ends_at <= starts_at:
        errors.append(FieldError(("ends_at",), "an activity ends after it starts", "order"))
    elif ends_at - starts_at > LONGEST:
        errors.append(FieldError(("ends_at",), "an activity lasts at most 240 hours", "too_long"))
    return errors


def place_errors(place: Place) -> list[FieldError]:
    """Refuse a plan with no place, or with both a station and an address."""
    if (place.station_id is None) == (place.address is None):
        return [FieldError(("station_id",), "give a station or an address (one of them)")]
    return []


def default_expected(deputies: Iterable[Deputy], plan: PlannedActivity) -> frozenset[str]:
    """Return who is expected when nobody is named: the station's deputies, else the town's.

    Only deputies on the roster on the day, holding a mandate of one of the plan's levels.
    """
    fitting = [
        d
        for d in deputies
        if d.township == plan.township and d.on_roster_at(plan.held_on) and d.levels & plan.levels
    ]
    station = plan.place.station_id
    at_station = [d for d in fitting if station is not None and d.station_id == station]
    return frozenset(d.id for d in (at_station or fitting))


def require_planned(plan: PlannedActivity) -> None:
    """Refuse a change to a plan already held or cancelled."""
    if plan.state is not PlanState.planned:
        raise TransitionError(f"the activity is {plan.state.value}", state=plan.state.value)


def rescheduled(
    plan: PlannedActivity, starts_at: datetime, ends_at: datetime, place: Place
) -> PlannedActivity | None:
    """Return the plan moved to a new time or place (None when nothing moves)."""
    require_planned(plan)
    if (starts_at, ends_at, place) == (plan.starts_at, plan.ends_at, plan.place):
        return None
    return replace(
        plan,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        sequence=plan.sequence + 1,
        version=plan.version + 1,
    )


def cancelled(plan: PlannedActivity) -> PlannedActivity:
    """Return the plan called off."""
    require_planned(plan)
    return replace(
        plan, state=PlanState.cancelled, sequence=plan.sequence + 1, version=plan.version + 1
    )


def held(
    plan: PlannedActivity, attendance: dict[str, Attendance], now: datetime
) -> tuple[PlannedActivity, Activity]:
    """Return the plan held and the activity it becomes (same id, the plan's details)."""
    require_planned(plan)
    if now < plan.starts_at:
        raise TransitionError("the activity has not started yet", state=plan.state.value)
    activity = Activity(
        id=plan.id,
        township=plan.township,
        type=plan.type,
        title=plan.title,
        levels=plan.levels,
        held_on=plan.held_on,
        duration_hours=plan.duration_hours,
        station_id=plan.place.station_id,
        attendance=dict(attendance),
    )
    done = replace(plan, state=PlanState.held, sequence=plan.sequence + 1, version=plan.version + 1)
    return done, activity
