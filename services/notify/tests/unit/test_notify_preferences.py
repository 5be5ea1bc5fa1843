"""Preferences: channel choice, working hours, digest, quiet hours (never an SMS at night), validation."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from types import MappingProxyType
from uuid import UUID

import pytest
from hypothesis import given, strategies as st

from contracts.vocabulary import RecipientKind
from kit.clock import CHINA
from notify.domain.hours import DigestTime, QuietHours
from notify.domain.model import Channel, DeliveryKey, Recipient, RecipientRef, Timing
from notify.domain.preferences import NIGHT, FieldProblem, Preferences, check_preferences, plan
from notify.domain.routing import Event, Notice
from notify.templates.samples import typical

E, S, W, IN = Channel.email, Channel.sms, Channel.webhook, Channel.in_app
DATA = typical("cases.case.overdue")
EVENT = Event(UUID(int=7), "cases.case.overdue", datetime(2025, 3, 3, 2, tzinfo=UTC), DATA)
ALL = MappingProxyType({E: "jtj@example.cn", S: "13800001234", W: "jtj-group"})


def cn(text: str) -> datetime:
    """Return an instant from China local time."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=CHINA)


def notice(
    timing: Timing = Timing.now,
    urgent: bool = False,
    addresses: Mapping[Channel, str] = ALL,
    not_before: datetime | None = None,
) -> Notice:
    """Return a notice for a unit with the given addresses."""
    ref = RecipientRef(RecipientKind.handling_unit, "U-jtj")
    recipient = Recipient(ref, "县交通运输局", "330102001", addresses)
    return Notice(EVENT, recipient, "cases.case.overdue", timing, urgent, not_before)


def channels(planned: list) -> list[tuple[Channel, str | None]]:  # type: ignore[type-arg]
    """Return (channel, problem) of each planned delivery."""
    return [(p.channel, p.problem) for p in planned]


NOON = cn("2025-03-03 12:00")


@pytest.mark.parametrize(
    ("prefs", "addresses", "expected"),
    [
        (Preferences((E, S)), ALL, [(E, None), (IN, None)]),
        (Preferences((S, E)), ALL, [(S, None), (IN, None)]),
        (Preferences((S, E)), {E: "jtj@example.cn"}, [(E, None), (IN, None)]),  # no phone: next
        (Preferences((S, E), fan_out=True), {E: "a@b.cn"}, [(S, "no usable address"), (E, None), (IN, None)]),
        (Preferences((S, W)), {}, [(S, "no usable address"), (IN, None)]),  # visible failure
        (Preferences(()), ALL, [(IN, None)]),  # inbox only
        (Preferences((E,), per_event={"cases.case.overdue": (W,)}), ALL, [(W, None), (IN, None)]),
        (Preferences((E,)), {E: "   "}, [(E, "no usable address"), (IN, None)]),
    ],
)  # fmt: skip
def test_channels_in_order_first_usable_and_the_inbox_always(
    prefs: Preferences, addresses: Mapping[Channel, str], expected: list[tuple[Channel, str | None]]
) -> None:
    assert channels(plan(notice(addresses=addresses), prefs, NOON)) == expected


def test_each_delivery_has_the_key_of_event_recipient_and_channel() -> None:
    planned = plan(notice(), Preferences((S,), fan_out=True), NOON)
    assert [p.key for p in planned] == [
        DeliveryKey(EVENT.id, RecipientRef(RecipientKind.handling_unit, "U-jtj"), c)
        for c in (S, IN)
    ]


@pytest.mark.parametrize(
    ("now", "timing", "urgent", "channel", "send_at", "held"),
    [
        ("2025-03-03 12:00", Timing.now, False, S, "2025-03-03 12:00", False),
        ("2025-03-03 23:00", Timing.now, False, S, "2025-03-04 07:00", True),  # held until morning
        ("2025-03-03 23:00", Timing.now, False, W, "2025-03-04 07:00", True),  # robots too
        ("2025-03-03 23:00", Timing.now, False, E, "2025-03-03 23:00", False),  # e-mail is silent
        ("2025-03-03 23:00", Timing.now, True, S, "2025-03-03 23:00", False),  # urgent passes
        ("2025-03-03 23:00", Timing.working_hours, False, S, "2025-03-04 08:30", False),
        ("2025-03-08 10:00", Timing.working_hours, False, E, "2025-03-10 08:30", False),  # Saturday
        ("2025-03-08 10:00", Timing.working_hours, True, S, "2025-03-08 10:00", False),  # urgent
    ],
)
def test_when_a_delivery_goes(
    now: str, timing: Timing, urgent: bool, channel: Channel, send_at: str, held: bool
) -> None:
    [planned, inbox] = plan(notice(timing, urgent), Preferences((channel,)), cn(now))
    assert (planned.channel, planned.send_at, planned.held) == (channel, cn(send_at), held)
    assert (inbox.channel, inbox.send_at, inbox.held) == (IN, cn(now), False)  # never held


def test_urgent_ones_wait_too_when_the_recipient_says_so() -> None:
    prefs = Preferences((S,), urgent_passes_quiet=False)
    [sms, _] = plan(notice(urgent=True), prefs, cn("2025-03-03 23:00"))
    assert (sms.send_at, sms.held) == (cn("2025-03-04 07:00"), True)


def test_digest_items_wait_for_the_next_digest_day() -> None:
    [email, inbox] = plan(notice(Timing.digest), Preferences((E,)), cn("2025-03-07 09:00"))
    assert (email.send_at, email.digest_day) == (
        cn("2025-03-10 08:30"),
        cn("2025-03-10 08:30").date(),
    )
    assert inbox.digest_day is None


def test_digest_everything_instead_of_single_messages_but_not_the_urgent() -> None:
    prefs = Preferences((E,), digest_everything=True)
    [email, _] = plan(notice(Timing.now), prefs, NOON)
    assert email.digest_day == cn("2025-03-04 08:30").date()
    [urgent, _] = plan(notice(Timing.now, urgent=True), prefs, NOON)
    assert (urgent.digest_day, urgent.send_at) == (None, NOON)


def test_without_a_digest_digest_items_go_singly_in_working_hours() -> None:
    [email, _] = plan(notice(Timing.digest), Preferences((E,), digest=None), cn("2025-03-03 20:00"))
    assert (email.send_at, email.digest_day) == (cn("2025-03-04 08:30"), None)


def test_a_notice_held_for_a_lead_time_goes_then() -> None:
    later = cn("2025-03-12 09:00")
    [email, inbox] = plan(notice(not_before=later), Preferences((E,)), NOON)
    assert email.send_at == inbox.send_at == later


def test_a_digest_inside_quiet_hours_is_held_past_them() -> None:
    prefs = Preferences((S,), digest=DigestTime(time(6, 0)))
    [sms, _] = plan(notice(Timing.digest), prefs, NOON)
    assert (sms.digest_day, sms.send_at, sms.held) == (
        cn("2025-03-04 06:00").date(),
        cn("2025-03-04 07:00"),
        True,
    )


instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
clock_times = st.times().map(lambda t: t.replace(second=0, microsecond=0))


@given(
    now=instants,
    timing=st.sampled_from(Timing),
    delay=st.none() | st.timedeltas(timedelta(0), timedelta(days=10)),
    start=clock_times,
    end=clock_times,
    everything=st.booleans(),
)
def test_quiet_hours_never_send_an_sms_at_night(
    now: datetime,
    timing: Timing,
    delay: timedelta | None,
    start: time,
    end: time,
    everything: bool,
) -> None:
    windows = (NIGHT,) if start == end else (NIGHT, QuietHours(start, end))
    prefs = Preferences((S, W), fan_out=True, quiet=windows, digest_everything=everything)
    if check_preferences(prefs, ()):
        prefs = Preferences(
            (S, W), fan_out=True, digest_everything=everything
        )  # refused by the API
        windows = (NIGHT,)
    not_before = None if delay is None else now + delay
    for planned in plan(notice(timing, not_before=not_before), prefs, now):
        if planned.channel in (S, W):
            assert not any(w.contains(planned.send_at) for w in windows), planned
            assert planned.send_at >= now


@pytest.mark.parametrize(
    ("prefs", "problems"),
    [
        (Preferences((E, S)), []),
        (Preferences((E, E)), [FieldProblem(("channels",), "a channel is listed twice")]),
        (Preferences((E, "fax")), [FieldProblem(("channels", 1), "unknown channel 'fax'")]),  # type: ignore[arg-type]
        (Preferences(per_event={"cases.case.nope": (E,)}),
         [FieldProblem(("per_event", "cases.case.nope"), "unknown event type")]),
        (Preferences(quiet=(NIGHT, QuietHours(time(6), time(8)))), [FieldProblem(("quiet", 1), "overlaps quiet hours 0")]),
        (Preferences(quiet=(NIGHT, QuietHours(time(12), time(13)))), []),
        (Preferences(quiet=(NIGHT, QuietHours(time(7), time(22)))), [FieldProblem(("quiet",), "quiet hours cover the whole day")]),
    ],
)  # fmt: skip
def test_invalid_preferences_name_the_field(
    prefs: Preferences, problems: list[FieldProblem]
) -> None:
    assert check_preferences(prefs, {"cases.case.overdue"}) == problems
