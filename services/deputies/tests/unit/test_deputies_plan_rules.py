"""Plans (pure rules), feed tokens, and the iCalendar feed read back with the icalendar library."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from deputies.documents import ical
from deputies.domain.errors import TransitionError
from deputies.domain.feeds import feed_key, new_token_id, sign, verify
from deputies.domain.model import ActivityType, Attendance, Level
from deputies.domain.plans import (
    Place,
    PlannedActivity,
    cancelled,
    held,
    rescheduled,
    time_errors,
)

START = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in China


def plan() -> PlannedActivity:
    return PlannedActivity(
        id="P-1",
        township="990101001",
        type=ActivityType.reception_day,
        title="接待选民日",
        levels=frozenset({Level.township}),
        starts_at=START,
        ends_at=START + timedelta(hours=2, minutes=30),
        place=Place(station_id="S-1"),
        expected=frozenset({"D-1", "D-2"}),
    )


def test_times_need_a_zone_and_an_end_after_the_start() -> None:
    assert time_errors(START, START + timedelta(hours=1)) == []
    assert [e.loc for e in time_errors(START, START)] == [("ends_at",)]
    naive = datetime(2026, 12, 1, 9, 0)
    assert [e.loc for e in time_errors(naive, START)] == [("starts_at",)]
    assert time_errors(START, START + timedelta(hours=241))


def test_reschedule_bumps_sequence_cancel_too_and_a_held_plan_is_closed() -> None:
    p = plan()
    assert rescheduled(p, p.starts_at, p.ends_at, p.place) is None
    moved = rescheduled(p, START + timedelta(days=1), p.ends_at + timedelta(days=1), p.place)
    assert moved is not None
    assert (moved.sequence, moved.version) == (1, 2)
    gone = cancelled(moved)
    assert (gone.state.value, gone.sequence) == ("cancelled", 2)
    with pytest.raises(TransitionError):
        cancelled(gone)
    with pytest.raises(TransitionError):
        held(p, {}, START - timedelta(minutes=1))  # not started yet
    done, activity = held(p, {"D-1": Attendance.present}, START + timedelta(hours=3))
    assert done.state.value == "held"
    assert (activity.id, activity.held_on.isoformat(), activity.duration_hours) == (
        "P-1",
        "2026-12-01",
        2.5,
    )


def test_a_feed_token_is_refused_when_altered_or_signed_with_another_key() -> None:
    key = feed_key(b"one secret of at least thirty-two bytes")
    token_id = new_token_id()
    token = sign(key, token_id)
    assert verify(key, token) == token_id
    assert verify(key, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert verify(feed_key(b"another secret of thirty-two bytes!!"), token) is None
    assert verify(key, token_id) is None


def test_the_feed_parses_with_stable_uids_sequence_status_and_the_zone() -> None:
    items = [
        {
            "id": "P-1",
            "title": "接待选民日",
            "type": "reception_day",
            "starts_at": START,
            "ends_at": START + timedelta(hours=2),
            "state": "cancelled",
            "sequence": 2,
            "station_name": "东湖镇人大代表之家",
            "station_address": "镇政府一楼",
            "address": None,
        }
    ]
    body = ical.render("东湖镇履职活动", items, domain="deputies.npc", stamp=START)
    cal = Calendar.from_ical(body)
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) == "P-1@deputies.npc"
    assert event.decoded("SEQUENCE") == 2
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["LOCATION"]) == "东湖镇人大代表之家 镇政府一楼"
    assert event.decoded("DTSTART").utcoffset() == timedelta(hours=8)
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]
