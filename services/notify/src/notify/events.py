"""Turn delivery outcomes into contract events; no address ever leaves this way."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from contracts import notify as ev
from contracts.envelope import Envelope
from contracts.vocabulary import Channel as ContractChannel, FailureKind, RecipientKind
from kit import correlation, tracing
from kit.events import event
from kit.outbox import Outbox

SOURCE = "/services/notify"


def _fields(row: Mapping[str, Any], attempts: int) -> dict[str, Any]:
    """The fields both outcomes share, in the contract's declaration order (``Outbox.row_of``)."""
    return {
        "notification_id": row["delivery_id"],
        "township": row["township"],
        "recipient_id": row["recipient_id"],
        "recipient_kind": RecipientKind(row["recipient_kind"]),
        "channel": ContractChannel(row["channel"]),
        "template": row["template"],
        "source_event_id": UUID(row["event_id"]),
        "source_event_type": row["event_type"],
        "attempts": max(attempts, 1),
    }


def sent(row: Mapping[str, Any], attempts: int, at: datetime) -> Envelope[Any]:
    """A delivery reached its channel."""
    return event(ev.NotificationSent(**_fields(row, attempts), sent_at=at), source=SOURCE)


def failed(
    row: Mapping[str, Any], attempts: int, failure: FailureKind, error: str, at: datetime
) -> Envelope[Any]:
    """A delivery was given up (permanent, or retries exhausted)."""
    return event(
        ev.NotificationFailed(
            **_fields(row, attempts), failure=failure, error=error[:500], failed_at=at
        ),
        source=SOURCE,
    )


class Rows:
    """Outbox rows of ``sent`` / ``failed`` built without a pydantic model (the hot path).

    Each row is ``Outbox.row(sent(...))`` of the same event (a test compares them byte for
    byte); the correlation id and traceparent are read once, when the rows are made.
    """

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.correlationid = correlation.current()
        self.traceparent = tracing.current_traceparent()

    def sent(self, row: Mapping[str, Any], attempts: int, at: datetime) -> dict[str, Any]:
        """The outbox row of ``sent(row, attempts, at)``."""
        return self.outbox.row_of(
            ev.NotificationSent,
            {**_fields(row, attempts), "sent_at": at.astimezone(UTC)},
            source=SOURCE,
            correlationid=self.correlationid,
            traceparent=self.traceparent,
        )

    def failed(
        self, row: Mapping[str, Any], attempts: int, failure: FailureKind, error: str, at: datetime
    ) -> dict[str, Any]:
        """The outbox row of ``failed(row, attempts, failure, error, at)``."""
        return self.outbox.row_of(
            ev.NotificationFailed,
            {
                **_fields(row, attempts),
                "failure": failure,
                "error": error[:500],
                "failed_at": at.astimezone(UTC),
            },
            source=SOURCE,
            correlationid=self.correlationid,
            traceparent=self.traceparent,
        )
