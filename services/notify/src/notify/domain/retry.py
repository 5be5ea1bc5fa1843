"""What a send attempt came to, and when to try again (pure).

Transient failures (timeouts, refused connections, 429, 5xx, a provider's "too fast") are retried
with exponential backoff and jitter, a provider's Retry-After respected; permanent ones (a bad
address, other 4xx, a rejected signature) are not. After ``max_attempts`` the delivery has failed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Failure(StrEnum):
    """How a failed attempt is classified."""

    transient = "transient"
    permanent = "permanent"


@dataclass(frozen=True, slots=True)
class Delivered:
    """The channel accepted the message; ``provider_id`` is its own id when it gives one."""

    provider_id: str | None = None


@dataclass(frozen=True, slots=True)
class Failed:
    """The attempt failed; ``reason`` is free of personal data (no address, no message text)."""

    failure: Failure
    reason: str
    retry_after: timedelta | None = None

    @property
    def transient(self) -> bool:
        """Tell whether another attempt may succeed."""
        return self.failure is Failure.transient


Outcome = Delivered | Failed


def transient(reason: str, retry_after: timedelta | None = None) -> Failed:
    """Return a transient failure."""
    return Failed(Failure.transient, reason, retry_after)


def permanent(reason: str) -> Failed:
    """Return a permanent failure."""
    return Failed(Failure.permanent, reason)


def classify_http(status: int) -> Failure | None:
    """Classify an HTTP status: None for 2xx, transient for 408/425/429/5xx, permanent otherwise."""
    if 200 <= status < 300:
        return None
    if status in (408, 425, 429) or status >= 500:
        return Failure.transient
    return Failure.permanent


def classify_smtp(code: int) -> Failure:
    """Classify an SMTP reply code: 4xx transient (greylisting, full mailbox), 5xx permanent."""
    return Failure.transient if 400 <= code < 500 else Failure.permanent


@dataclass(frozen=True, slots=True)
class Retry:
    """Try again at ``at`` (attempt number ``attempt``)."""

    at: datetime
    attempt: int


@dataclass(frozen=True, slots=True)
class GiveUp:
    """Stop: the failure was permanent, or the retries are used up."""

    exhausted: bool


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with "equal jitter": the n-th delay is uniform in [d/2, d], d = base·factorⁿ⁻¹ capped."""

    max_attempts: int = 8
    base: timedelta = timedelta(seconds=30)
    factor: float = 2.0
    cap: timedelta = timedelta(hours=1)
    max_retry_after: timedelta = timedelta(hours=6)

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.factor < 1 or self.base <= timedelta(0):
            raise ValueError("need max_attempts >= 1, factor >= 1 and a positive base")
        if self.cap < self.base:
            raise ValueError("the cap must not be below the base delay")

    def ceiling(self, attempt: int) -> timedelta:
        """Return the largest delay after failed attempt number ``attempt`` (1-based)."""
        seconds = self.base.total_seconds() * self.factor ** min(attempt - 1, 64)
        return timedelta(seconds=min(seconds, self.cap.total_seconds()))

    def delay(self, attempt: int, rng: random.Random) -> timedelta:
        """Return the jittered delay after failed attempt ``attempt``: in [ceiling/2, ceiling]."""
        ceiling = self.ceiling(attempt).total_seconds()
        return timedelta(seconds=ceiling / 2 + rng.uniform(0, ceiling / 2))

    def decide(
        self, outcome: Failed, attempt: int, now: datetime, rng: random.Random
    ) -> Retry | GiveUp:
        """Return what to do after failed attempt number ``attempt``."""
        if not outcome.transient:
            return GiveUp(exhausted=False)
        if attempt >= self.max_attempts:
            return GiveUp(exhausted=True)
        wait = self.delay(attempt, rng)
        if outcome.retry_after is not None:
            wait = max(wait, min(outcome.retry_after, self.max_retry_after))
        return Retry(now + wait, attempt + 1)
