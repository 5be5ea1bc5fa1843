"""Turn delivery outcomes into contract events; no address ever leaves this way."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from contracts import notify as ev
from contracts.envelope import Envelope
from contracts.vocabulary import Channel as ContractChannel, FailureKind, RecipientKind
from kit.events import event

SOURCE = "/services/notify"


def _fields(row: Mapping[str, Any], attempts: int) -> dict[str, Any]:
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
