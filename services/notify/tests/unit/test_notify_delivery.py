"""Delivery keys (exactly once), the retry schedule, reminder throttling and digest grouping."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import given, strategies as st

from contracts.vocabulary import RecipientKind
from kit.clock import CHINA
from notify.domain.digest import DigestItem, count, group
from notify.domain.model import Channel, DeliveryKey, RecipientRef, digest_event_id
from notify.domain.retry import (
    Failed,
    Failure,
    GiveUp,
    Retry,
    RetryPolicy,
    classify_http,
    classify_smtp,
    permanent,
    transient,
)
from notify.domain.throttle import ReminderThrottle

ids = st.text(min_size=1, max_size=12)
keys = st.builds(
    DeliveryKey,
    st.uuids(),
    st.builds(RecipientRef, st.sampled_from(RecipientKind), ids),
    st.sampled_from(Channel),
)


@given(st.lists(keys, min_size=2, max_size=30))
def test_the_delivery_id_is_unique_per_event_recipient_and_channel(
    batch: list[DeliveryKey],
) -> None:
    by_id: dict[str, DeliveryKey] = {}
    for key in batch:
        assert by_id.setdefault(key.delivery_id(), key) == key


@given(keys)
def test_the_key_text_is_the_json_array_of_its_four_parts(key: DeliveryKey) -> None:
    parts = [str(key.event_id), key.recipient.kind.value, key.recipient.id, key.channel.value]
    assert key.text() == json.dumps(parts, ensure_ascii=False, separators=(",", ":"))


@given(st.uuids(), ids, ids, st.sampled_from(Channel))
def test_ids_with_separators_inside_do_not_collide(
    event: UUID, a: str, b: str, channel: Channel
) -> None:
    left = DeliveryKey(event, RecipientRef(RecipientKind.deputy, f"{a}|{b}"), channel)
    right = DeliveryKey(event, RecipientRef(RecipientKind.deputy, a), channel)
    assert left.delivery_id() != right.delivery_id()
    assert left.text() != right.text()


def test_the_delivery_id_is_stable_across_processes() -> None:
    key = DeliveryKey(UUID(int=1), RecipientRef(RecipientKind.deputy, "D-001"), Channel.email)
    again = DeliveryKey(UUID(int=1), RecipientRef(RecipientKind.deputy, "D-001"), Channel.email)
    assert key.delivery_id() == again.delivery_id()
    assert UUID(key.delivery_id()).version == 5
    # pinned: a changed namespace or encoding would send every delivery in flight again
    assert key.delivery_id() == "71cb18a6-b9ab-52e0-85c6-f3c6b9c485e5"


def test_one_digest_per_recipient_and_china_day() -> None:
    ref = RecipientRef(RecipientKind.deputy, "D-001")
    monday = digest_event_id(ref, date(2025, 3, 3))
    assert monday == digest_event_id(ref, date(2025, 3, 3))
    assert monday != digest_event_id(ref, date(2025, 3, 4))
    assert monday != digest_event_id(RecipientRef(RecipientKind.staff, "D-001"), date(2025, 3, 3))


@pytest.mark.parametrize(
    ("status", "failure"),
    [(200, None), (204, None), (400, Failure.permanent), (401, Failure.permanent),
     (404, Failure.permanent), (408, Failure.transient), (425, Failure.transient),
     (429, Failure.transient), (500, Failure.transient), (503, Failure.transient)],
)  # fmt: skip
def test_http_statuses(status: int, failure: Failure | None) -> None:
    assert classify_http(status) is failure


@pytest.mark.parametrize(
    ("code", "failure"),
    [(421, Failure.transient), (450, Failure.transient), (452, Failure.transient),
     (535, Failure.permanent), (550, Failure.permanent), (554, Failure.permanent)],
)  # fmt: skip
def test_smtp_codes(code: int, failure: Failure) -> None:
    assert classify_smtp(code) is failure


POLICY = RetryPolicy(max_attempts=6, base=timedelta(seconds=30), cap=timedelta(minutes=5))
T0 = datetime(2025, 3, 3, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("attempt", "ceiling"),
    [(1, 30), (2, 60), (3, 120), (4, 240), (5, 300), (50, 300)],
)
def test_backoff_doubles_up_to_the_cap(attempt: int, ceiling: int) -> None:
    assert POLICY.ceiling(attempt) == timedelta(seconds=ceiling)


@given(st.integers(1, 5), st.integers(0, 2**32))
def test_jittered_delays_stay_between_half_and_the_ceiling(attempt: int, seed: int) -> None:
    decision = POLICY.decide(transient("HTTP 503"), attempt, T0, random.Random(seed))
    assert isinstance(decision, Retry)
    assert decision.attempt == attempt + 1
    assert POLICY.ceiling(attempt) / 2 <= decision.at - T0 <= POLICY.ceiling(attempt)


def test_jitter_spreads_retries() -> None:
    rng = random.Random(1)
    delays = {POLICY.delay(3, rng) for _ in range(20)}
    assert len(delays) == 20


def test_retry_after_is_respected_within_a_bound() -> None:
    asked = POLICY.decide(transient("429", timedelta(minutes=10)), 1, T0, random.Random(0))
    assert asked == Retry(T0 + timedelta(minutes=10), 2)
    greedy = POLICY.decide(transient("429", timedelta(days=3)), 1, T0, random.Random(0))
    assert isinstance(greedy, Retry)
    assert greedy.at == T0 + POLICY.max_retry_after


def test_permanent_failures_are_not_retried_and_retries_run_out() -> None:
    rng = random.Random(0)
    assert POLICY.decide(permanent("HTTP 400"), 1, T0, rng) == GiveUp(exhausted=False)
    assert POLICY.decide(transient("timeout"), 6, T0, rng) == GiveUp(exhausted=True)
    assert isinstance(POLICY.decide(transient("timeout"), 5, T0, rng), Retry)


def test_a_whole_schedule_until_exhaustion() -> None:
    rng, now, attempt, schedule = random.Random(42), T0, 1, []
    while isinstance(
        decision := POLICY.decide(Failed(Failure.transient, "x"), attempt, now, rng), Retry
    ):
        schedule.append(decision.at - now)
        now, attempt = decision.at, decision.attempt
    assert attempt == POLICY.max_attempts
    assert len(schedule) == POLICY.max_attempts - 1
    assert sum(schedule, timedelta()) <= timedelta(seconds=30 + 60 + 120 + 240 + 300)


def cn(text: str) -> datetime:
    """Return an instant from China local time."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=CHINA)


THROTTLE = ReminderThrottle(daily_for=3, then_every=timedelta(days=7))


@pytest.mark.parametrize(
    ("last", "sent", "now", "allowed"),
    [
        (None, 0, "2025-03-03 09:00", True),
        ("2025-03-03 09:00", 1, "2025-03-03 17:00", False),  # same China day
        ("2025-03-03 23:50", 1, "2025-03-04 00:10", True),  # next China day, 20 minutes later
        ("2025-03-03 09:00", 2, "2025-03-04 09:00", True),
        ("2025-03-03 09:00", 3, "2025-03-04 09:00", False),  # after 3 daily ones: weekly
        ("2025-03-03 09:00", 3, "2025-03-10 08:00", True),
        ("2025-03-04 07:30", 1, "2025-03-03 23:00", False),  # clock skew: never twice
    ],
)
def test_reminders_are_throttled_daily_then_weekly(
    last: str | None, sent: int, now: str, allowed: bool
) -> None:
    assert THROTTLE.allows(cn(last) if last else None, sent, cn(now)) is allowed


def test_a_utc_date_would_be_wrong_but_the_china_day_is_used() -> None:
    # 07:00 and 09:00 China time on 4 March are 23:00 (3 March) and 01:00 (4 March) UTC
    assert THROTTLE.allows(cn("2025-03-04 07:00"), 1, cn("2025-03-04 09:00")) is False


def item(n: int, subject: str, hour: int, urgent: bool = False) -> DigestItem:
    """Return a digest item."""
    return DigestItem(
        UUID(int=n), "cases.case.warning", subject, f"案件{subject}", f"第{n}条",
        datetime(2025, 3, 3, hour, tzinfo=UTC), urgent,
    )  # fmt: skip


def test_digest_groups_by_case_newest_first_urgent_on_top_each_event_once() -> None:
    items = [
        item(1, "C-1", 1),
        item(2, "C-2", 3),
        item(3, "C-1", 5),
        item(4, "C-3", 0, urgent=True),
        item(3, "C-1", 5),  # the same event delivered twice
    ]
    groups = group(items)
    assert [g.subject for g in groups] == ["C-3", "C-1", "C-2"]
    assert [i.line for i in groups[1].items] == ["第3条", "第1条"]
    assert groups[0].urgent
    assert not groups[1].urgent
    assert count(groups) == 4


def test_an_empty_digest_has_no_groups() -> None:
    assert group([]) == ()
