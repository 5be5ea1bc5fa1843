"""The event envelope: CloudEvents 1.0 attributes plus the platform's extensions."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, field_validator

DataT = TypeVar("DataT")

#: Division code prefix: 2 (province) to 12 (village) digits; a township is 9, a county 6.
DIVISION_CODE = re.compile(r"^[0-9]{2,12}$")

#: Kafka header names carried next to the structured-mode JSON value (CloudEvents Kafka binding).
HEADER_ID = "ce_id"
HEADER_TYPE = "ce_type"
HEADER_SOURCE = "ce_source"
HEADER_TIME = "ce_time"
HEADER_SUBJECT = "ce_subject"
HEADER_TOWNSHIP = "ce_township"
HEADER_CORRELATION = "correlation_id"
HEADER_CAUSATION = "causation_id"
HEADER_TRACEPARENT = "traceparent"
HEADER_CONTENT_TYPE = "content-type"
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"


def utcnow() -> datetime:
    """Return the current time in UTC, timezone-aware."""
    return datetime.now(UTC)


def schema_uri(event_type: str, version: int) -> str:
    """Return the `dataschema` URI naming an event type and its major version."""
    return f"urn:npc-platform:event:{event_type}:v{version}"


class Envelope(BaseModel, Generic[DataT]):
    """One domain event as it travels on Kafka (CloudEvents 1.0, structured mode)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    specversion: Literal["1.0"] = "1.0"
    id: UUID = Field(default_factory=uuid4, description="Idempotency key of the event")
    type: str = Field(
        pattern=r"^(deputies|cases|scoring|notify)\.[a-z_]+\.[a-z_]+$",
        description="Full type name, service prefix first, e.g. cases.case.overdue",
    )
    source: str = Field(min_length=1, description="Producing service, e.g. /services/cases")
    subject: str = Field(min_length=1, description="Aggregate id; also the Kafka key")
    time: datetime = Field(default_factory=utcnow, description="When it happened (UTC)")
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str = Field(description="URI of the data schema and its major version")
    township: str = Field(description="Division code of the scope (9 digits for a township)")
    correlationid: str = Field(min_length=1, description="Id shared by every event of one flow")
    causationid: str | None = Field(
        default=None, description="Id of the event or request that caused it"
    )
    traceparent: str | None = Field(default=None, description="W3C trace context of the producer")
    data: DataT

    @field_validator("time")
    @classmethod
    def _time_is_aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("time must carry a timezone (UTC)")
        return value.astimezone(UTC)

    @field_validator("township")
    @classmethod
    def _township_is_division_code(cls, value: str) -> str:
        if not DIVISION_CODE.fullmatch(value):
            raise ValueError("township must be a division code of 2 to 12 digits")
        return value

    def headers(self) -> dict[str, str]:
        """Return the Kafka headers that mirror the routing attributes of this envelope."""
        headers = {
            HEADER_ID: str(self.id),
            HEADER_TYPE: self.type,
            HEADER_SOURCE: self.source,
            HEADER_SUBJECT: self.subject,
            HEADER_TIME: self.time.isoformat(),
            HEADER_TOWNSHIP: self.township,
            HEADER_CORRELATION: self.correlationid,
            HEADER_CONTENT_TYPE: CONTENT_TYPE,
        }
        if self.causationid:
            headers[HEADER_CAUSATION] = self.causationid
        if self.traceparent:
            headers[HEADER_TRACEPARENT] = self.traceparent
        return headers


RawEnvelope = Envelope[dict[str, Any]]
