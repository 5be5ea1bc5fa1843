"""A delivery's life, and what an attempt's outcome makes of it (pure).

The store will claim a row (``pending`` or ``retrying`` and due) by moving it to ``sending`` in
one transaction, send, then record what ``settle`` says. A ``sending`` row found after a crash was
perhaps sent: sending it again is the one repeat the design allows, recognisable by its delivery
id (the gateway's idempotency key, the e-mail's Message-ID).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from contracts.vocabulary import FailureKind
from notify.domain.retry import Delivered, Failed, GiveUp, Outcome, RetryPolicy


class Status(StrEnum):
    """Where one delivery (event, recipient, channel) stands."""

    pending = "pending"  # planned; goes at send_at (held by quiet hours or a lead time until then)
    digested = "digested"  # waiting in a day's digest
    sending = "sending"  # claimed by a sender
    retrying = "retrying"  # a transient failure; next attempt at next_at
    sent = "sent"  # the channel accepted it: notification.sent
    failed = "failed"  # permanent, or retries exhausted: notification.failed
    suppressed = "suppressed"  # a throttled reminder: deliberately not sent
    included = "included"  # a digest item that went out in its day's digest delivery

    @property
    def final(self) -> bool:
        """Tell whether nothing more happens to the delivery (an operator may still resend)."""
        return self in (Status.sent, Status.failed, Status.suppressed, Status.included)


@dataclass(frozen=True, slots=True)
class Settled:
    """The delivery after an attempt: its status, next attempt, and the failure to publish."""

    status: Status
    attempts: int
    next_at: datetime | None = None
    failure: FailureKind | None = None
    error: str | None = None
    provider_id: str | None = None


def settle(
    outcome: Outcome, attempts: int, now: datetime, policy: RetryPolicy, rng: random.Random
) -> Settled:
    """Return the delivery's state after attempt number ``attempts`` came to ``outcome``."""
    if isinstance(outcome, Delivered):
        return Settled(Status.sent, attempts, provider_id=outcome.provider_id)
    assert isinstance(outcome, Failed)
    decision = policy.decide(outcome, attempts, now, rng)
    if isinstance(decision, GiveUp):
        kind = FailureKind.retries_exhausted if decision.exhausted else FailureKind.permanent
        return Settled(Status.failed, attempts, failure=kind, error=outcome.reason)
    return Settled(Status.retrying, attempts, next_at=decision.at, error=outcome.reason)


def unusable(reason: str) -> Settled:
    """Return a delivery that cannot be attempted at all (no usable address): failed, permanently."""
    return Settled(Status.failed, 0, failure=FailureKind.permanent, error=reason)
