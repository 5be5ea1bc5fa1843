"""notification.sent / .failed outbox rows built without a model equal the validated envelopes'."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import MetaData, Table

from contracts.catalog import parse
from contracts.vocabulary import FailureKind, RecipientKind
from kit import tracing
from kit.clock import CHINA
from kit.logging import correlation_id
from kit.outbox import Outbox
from notify import events
from notify.domain.model import Channel

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def _row(kind: RecipientKind, channel: Channel) -> dict[str, Any]:
    return {
        "delivery_id": "d-" + uuid4().hex,
        "township": "330102001",
        "recipient_id": "U-1",
        "recipient_kind": kind.value,
        "channel": channel.value,
        "template": "cases.case.assigned",
        "event_id": str(uuid4()),
        "event_type": "cases.case.assigned",
    }


def _same(fast: dict[str, Any], checked: Any, outbox: Outbox) -> None:
    """The unvalidated row is the validated envelope's row, byte for byte (same id and time)."""
    checked = checked.model_copy(
        update={
            "id": UUID(fast["event_id"]),
            "time": fast["created_at"],
            "traceparent": TRACEPARENT,
        }
    )
    assert fast == outbox.row(checked)
    assert parse(fast["payload"].encode()).data == checked.model_dump(mode="json")["data"]


@pytest.mark.parametrize("kind", list(RecipientKind))
@pytest.mark.parametrize("channel", [c for c in Channel if c.contract() is not None])
@pytest.mark.parametrize(
    "at",
    [datetime(2026, 3, 1, 8, 30, 0, 123456, tzinfo=UTC), datetime(2026, 3, 1, 9, tzinfo=CHINA)],
)
def test_the_rows_of_sent_and_failed_equal_the_envelopes_rows(
    kind: RecipientKind, channel: Channel, at: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = Outbox(table=Table("outbox", MetaData()), service="notify", topic_prefix="p.")
    monkeypatch.setattr(tracing, "current_traceparent", lambda: TRACEPARENT)
    token = correlation_id.set("corr-1")
    try:
        made = events.Rows(outbox)
        row = _row(kind, channel)
        _same(made.sent(row, 2, at), events.sent(row, 2, at), outbox)
        error = "SMTP 550: recipient refused " * 30  # cut at 500 alike
        _same(
            made.failed(row, 8, FailureKind.retries_exhausted, error, at + timedelta(seconds=1)),
            events.failed(row, 8, FailureKind.retries_exhausted, error, at + timedelta(seconds=1)),
            outbox,
        )
        _same(made.sent(row, 0, at), events.sent(row, 0, at), outbox)  # attempts at least 1
    finally:
        correlation_id.reset(token)
