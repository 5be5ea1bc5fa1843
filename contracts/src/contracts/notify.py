"""Events of the notify service: one delivery per (event, recipient, channel), sent or failed.

Recipients appear by id only: no address, phone number or webhook URL travels in these events.
"""

from __future__ import annotations

from typing import Annotated, Final
from uuid import UUID

from pydantic import Field

from contracts.common import EventData, Id, TownshipCode, UtcDatetime
from contracts.vocabulary import Channel, FailureKind, RecipientKind

DeliveryId = Annotated[
    str,
    Field(min_length=1, max_length=64, description="Delivery id: one (event, recipient, channel)"),
]


class Delivery(EventData):
    """Fields every delivery event carries."""

    AGGREGATE = "delivery"
    SUBJECT = "notification_id"

    notification_id: DeliveryId
    township: TownshipCode
    recipient_id: Id = Field(description="Deputy, handling unit, staff member or constituent id")
    recipient_kind: RecipientKind
    channel: Channel
    template: str = Field(min_length=1, max_length=100, description="Template key used")
    source_event_id: UUID = Field(description="Event the notification is about")
    source_event_type: str = Field(min_length=1, description="Type of that event")
    attempts: int = Field(ge=1, description="Delivery attempts made")


class NotificationSent(Delivery):
    """A notification was delivered to its channel."""

    EVENT_TYPE = "notify.notification.sent"

    sent_at: UtcDatetime = Field(description="When the channel accepted it")


class NotificationFailed(Delivery):
    """A notification could not be delivered; it is recorded and visible."""

    EVENT_TYPE = "notify.notification.failed"

    failure: FailureKind
    error: str = Field(max_length=500, description="Error summary, free of personal data")
    failed_at: UtcDatetime = Field(description="When it was given up")


EVENTS: Final[tuple[type[EventData], ...]] = (NotificationSent, NotificationFailed)
"""Every event type this service publishes, current versions."""
