"""A delivery's state after each attempt, and the per-channel rate limit."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from contracts.vocabulary import FailureKind
from notify.domain.attempts import Settled, Status, settle, unusable
from notify.domain.ratelimit import RateLimits, TokenBucket
from notify.domain.retry import Delivered, RetryPolicy, permanent, transient

POLICY = RetryPolicy(max_attempts=3, base=timedelta(seconds=10), cap=timedelta(minutes=1))
NOW = datetime(2025, 3, 3, 2, tzinfo=UTC)


def test_a_delivered_message_is_sent_with_the_provider_id() -> None:
    assert settle(Delivered("gw-1"), 1, NOW, POLICY, random.Random(0)) == Settled(
        Status.sent, 1, provider_id="gw-1"
    )


def test_a_transient_failure_is_retried_later_with_its_error() -> None:
    settled = settle(transient("SMS gateway: HTTP 500"), 1, NOW, POLICY, random.Random(0))
    assert settled.status is Status.retrying
    assert settled.next_at is not None
    assert NOW + timedelta(seconds=5) <= settled.next_at <= NOW + timedelta(seconds=10)
    assert (settled.error, settled.failure) == ("SMS gateway: HTTP 500", None)


def test_gateway_down_fails_after_n_attempts_as_retries_exhausted() -> None:
    rng, now, attempts = random.Random(0), NOW, 1
    statuses = []
    while True:
        settled = settle(transient("SMS gateway: ConnectError"), attempts, now, POLICY, rng)
        statuses.append(settled.status)
        if settled.status.final:
            break
        assert settled.next_at is not None
        now, attempts = settled.next_at, attempts + 1
    assert statuses == [Status.retrying, Status.retrying, Status.failed]
    assert settled == Settled(
        Status.failed, 3, failure=FailureKind.retries_exhausted, error="SMS gateway: ConnectError"
    )


def test_a_permanent_failure_fails_at_once() -> None:
    assert settle(permanent("SMTP 550"), 1, NOW, POLICY, random.Random(0)) == Settled(
        Status.failed, 1, failure=FailureKind.permanent, error="SMTP 550"
    )


def test_no_usable_address_is_a_visible_failure_without_an_attempt() -> None:
    assert unusable("no usable address") == Settled(
        Status.failed, 0, failure=FailureKind.permanent, error="no usable address"
    )


@pytest.mark.parametrize(
    ("status", "final"),
    [(s, s in (Status.sent, Status.failed, Status.suppressed, Status.included)) for s in Status],
)
def test_final_states(status: Status, final: bool) -> None:
    assert status.final is final


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_robot_takes_twenty_a_minute_then_one_every_three_seconds() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=20, per=60, clock=clock)
    assert [bucket.wait() for _ in range(20)] == [0.0] * 20
    assert bucket.wait() == pytest.approx(3.0)  # the 21st waits for a token
    assert bucket.wait() == pytest.approx(6.0)
    clock.now = 60.0
    assert bucket.wait() == 0.0  # refilled


def test_a_burst_smaller_than_the_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=10, per=1, burst=2, clock=clock)
    assert [bucket.wait() for _ in range(3)] == [0.0, 0.0, pytest.approx(0.1)]


def test_limits_per_key_and_unlimited_keys() -> None:
    clock = Clock()
    limits = RateLimits(lambda key: TokenBucket(1, 60, clock=clock) if key != "email" else None)
    assert [limits.wait(("webhook", "a")), limits.wait(("webhook", "b"))] == [0.0, 0.0]
    assert limits.wait(("webhook", "a")) == pytest.approx(60.0)
    assert [limits.wait("email") for _ in range(100)] == [0.0] * 100


def test_a_bucket_needs_a_positive_rate() -> None:
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(rate=0)
