"""Staleness periods, who may attend an activity, and the two-absences rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from deputies.domain.model import (
    Activity,
    ActivityState,
    ActivityType,
    Attendance,
    Deputy,
    DeputyStatus,
    Gender,
    Level,
    StatusReason,
)
from deputies.domain.rules import AbsenceKey, attendance_allowed, mandates_to_flag, stale_period

T0 = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)


def test_fresh_until_the_threshold_then_one_period_per_threshold() -> None:
    assert stale_period(T0, T0 + timedelta(days=179, hours=23), 180) is None
    first = stale_period(T0, T0 + timedelta(days=180), 180)
    assert first is not None
    assert first.number == 1
    assert first.started_on == date(2026, 6, 30)
    same = stale_period(T0, T0 + timedelta(days=359), 180)
    assert same == first
    second = stale_period(T0, T0 + timedelta(days=360), 180)
    assert second is not None
    assert second.number == 2


def test_a_refresh_starts_a_new_basis() -> None:
    later = T0 + timedelta(days=200)
    assert stale_period(later, later + timedelta(days=10), 180) is None
    period = stale_period(later, later + timedelta(days=181), 180)
    assert period is not None
    assert period.basis == later.date()


def test_the_basis_is_the_day_in_china() -> None:
    # 01:00 on 1 January in China is still 31 December in UTC.
    refreshed = datetime(2025, 12, 31, 17, 0, tzinfo=UTC)
    period = stale_period(refreshed, refreshed + timedelta(days=90), 90)
    assert period is not None
    assert period.basis == date(2026, 1, 1)
    assert period.started_on == date(2026, 4, 1)


def test_the_threshold_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        stale_period(T0, T0, 0)


def deputy(
    deputy_id: str,
    township: str = "990101001",
    levels: frozenset[Level] = frozenset({Level.township}),
    status: DeputyStatus = DeputyStatus.active,
    since: date = date(2021, 1, 1),
) -> Deputy:
    return Deputy(
        id=deputy_id,
        township=township,
        name="李娜",
        gender=Gender.female,
        levels=levels,
        term=18,
        status=status,
        status_reason=StatusReason.elected,
        status_since=since,
    )


def activity(
    levels: frozenset[Level],
    township: str = "990101001",
    type_: ActivityType = ActivityType.inspection,
    attendance: dict[str, Attendance] | None = None,
    activity_id: str = "a1",
    held_on: date = date(2026, 3, 1),
) -> Activity:
    return Activity(
        id=activity_id,
        township=township,
        type=type_,
        title="视察",
        levels=levels,
        held_on=held_on,
        duration_hours=4,
        attendance=attendance or {},
    )


TOWN = frozenset({Level.township})
COUNTY = frozenset({Level.county})
JOINT = frozenset({Level.county, Level.township})


def test_a_township_activity_draws_on_its_own_township_only() -> None:
    assert attendance_allowed(deputy("d"), activity(TOWN))
    assert not attendance_allowed(deputy("d", township="990101002"), activity(TOWN))


def test_a_county_activity_draws_on_county_deputies_of_the_county() -> None:
    county_deputy = deputy("c", township="990101002", levels=COUNTY)
    assert attendance_allowed(county_deputy, activity(COUNTY))
    assert not attendance_allowed(deputy("t", township="990101002"), activity(COUNTY))
    assert not attendance_allowed(
        deputy("x", township="990102001", levels=COUNTY), activity(COUNTY)
    )


def test_a_joint_activity_draws_on_every_roster_of_the_county() -> None:
    assert attendance_allowed(deputy("t", township="990101003"), activity(JOINT))
    assert attendance_allowed(deputy("c", township="990101004", levels=COUNTY), activity(JOINT))


def test_a_terminated_deputy_may_not_attend_after_the_end_of_the_mandate() -> None:
    gone = deputy("g", status=DeputyStatus.terminated, since=date(2026, 2, 1))
    assert not attendance_allowed(gone, activity(TOWN, held_on=date(2026, 3, 1)))
    assert attendance_allowed(gone, activity(TOWN, held_on=date(2026, 1, 15)))


def session(
    activity_id: str, marks: dict[str, Attendance], levels: frozenset[Level] = TOWN
) -> Activity:
    return activity(
        levels, type_=ActivityType.congress_session, attendance=marks, activity_id=activity_id
    )


def test_two_unexcused_session_absences_flag_the_mandate() -> None:
    sessions = [
        session("s1", {"a": Attendance.unexcused_absence, "b": Attendance.excused}),
        session("s2", {"a": Attendance.unexcused_absence, "b": Attendance.unexcused_absence}),
    ]
    flagged = mandates_to_flag(sessions, {"a": deputy("a"), "b": deputy("b")})
    assert flagged == {AbsenceKey("a", Level.township, 18): ["s1", "s2"]}


def test_excused_absences_cancelled_sessions_and_other_activities_do_not_count() -> None:
    cancelled = session("s2", {"a": Attendance.unexcused_absence})
    cancelled.state = ActivityState.cancelled
    other = activity(TOWN, attendance={"a": Attendance.unexcused_absence}, activity_id="x1")
    sessions = [session("s1", {"a": Attendance.unexcused_absence}), cancelled, other]
    assert mandates_to_flag(sessions, {"a": deputy("a", levels=JOINT)}) == {}


def test_absences_count_per_level() -> None:
    sessions = [
        session("s1", {"a": Attendance.unexcused_absence}, TOWN),
        session("s2", {"a": Attendance.unexcused_absence}, COUNTY),
    ]
    assert mandates_to_flag(sessions, {"a": deputy("a", levels=JOINT)}) == {}


def test_only_sessions_of_a_congress_the_deputy_sits_in_count() -> None:
    sessions = [
        session("s1", {"a": Attendance.unexcused_absence}, TOWN),
        session("s2", {"a": Attendance.unexcused_absence}, TOWN),
    ]
    assert mandates_to_flag(sessions, {"a": deputy("a", levels=COUNTY)}) == {}


def test_sessions_before_the_election_do_not_count() -> None:
    sessions = [
        session("s1", {"a": Attendance.unexcused_absence}, TOWN),
        session("s2", {"a": Attendance.unexcused_absence}, TOWN),
    ]
    later = deputy("a")
    later.elected_on = date(2026, 6, 1)
    assert mandates_to_flag(sessions, {"a": later}) == {}


def test_a_deputy_attends_only_within_the_term() -> None:
    elected = deputy("d")
    elected.elected_on = date(2021, 12, 28)
    assert attendance_allowed(elected, activity(TOWN, held_on=date(2026, 12, 1)))
    assert not attendance_allowed(elected, activity(TOWN, held_on=date(2021, 12, 1)))
    assert not attendance_allowed(elected, activity(TOWN, held_on=date(2028, 1, 1)))
