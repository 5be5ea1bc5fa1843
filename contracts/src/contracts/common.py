"""What every event payload shares: the base model, its class constants and the field types."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, ClassVar, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer

E = TypeVar("E", bound=StrEnum)


class EventData(BaseModel):
    """Base of every event payload: frozen, and tolerant of fields it does not know."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    #: Full type name, e.g. ``deputies.deputy.registered``.
    EVENT_TYPE: ClassVar[str]
    #: Major version of the payload schema; a breaking change is a new class with VERSION + 1.
    VERSION: ClassVar[int] = 1
    #: What the aggregate is, in words (documentation and AsyncAPI).
    AGGREGATE: ClassVar[str]
    #: Name of the field holding the aggregate id: the envelope ``subject`` and Kafka key.
    SUBJECT: ClassVar[str]
    #: Name of the field holding the division code that is the envelope ``township``.
    SCOPE: ClassVar[str] = "township"

    def event_subject(self) -> str:
        """Return the aggregate id of this event (the envelope subject and Kafka key)."""
        return str(getattr(self, self.SUBJECT))

    def event_township(self) -> str:
        """Return the division code this event is scoped to (the envelope township)."""
        return str(getattr(self, self.SCOPE))


class Part(BaseModel):
    """Base of a nested part of an event payload (frozen, tolerant of unknown fields)."""

    model_config = ConfigDict(frozen=True, extra="ignore")


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _sorted_list(values: frozenset[E]) -> list[E]:
    return sorted(values)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware instant, normalised to UTC; naive datetimes are rejected."""

TownshipCode = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{9}$",
        description="Township division code (统计用区划代码, 9 digits)",
        examples=["330102001"],
    ),
]
CountyCode = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{6}$", description="County division code (6 digits)", examples=["330102"]
    ),
]
DivisionCode = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{2,12}$",
        description="Division code prefix: province 2, city 4, county 6, township 9, village 12 digits",
    ),
]
Id = Annotated[str, Field(min_length=1, max_length=64)]
"""An aggregate or entity id as the owning service issues it."""

DeputyId = Annotated[str, Field(min_length=1, max_length=64, description="Deputy id (人大代表)")]
StationId = Annotated[
    str, Field(min_length=1, max_length=64, description="Liaison station id (代表联络站)")
]
ActivityId = Annotated[
    str, Field(min_length=1, max_length=64, description="Activity id (履职活动)")
]
CaseId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="Case id: a suggestion (代表建议) or opinion (选民意见)",
    ),
]
UnitId = Annotated[
    str, Field(min_length=1, max_length=64, description="Handling unit id (承办单位)")
]
UserId = Annotated[str, Field(min_length=1, max_length=64, description="User id of a staff member")]

Sha256 = Annotated[
    str, Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the file's bytes, lower-case hex")
]
"""An attachment's checksum: events carry it, never the bytes."""
Uploader = Annotated[
    str,
    Field(min_length=1, max_length=120, description="User id of who did it (the token's subject)"),
]
FileSize = Annotated[int, Field(ge=1, description="Size of the file in bytes")]
ContentType = Annotated[
    str, Field(min_length=3, max_length=100, description="Type of the file, sniffed from its bytes")
]

Text = Annotated[str, Field(min_length=1, max_length=500)]
"""A short human-readable text: a title, a name, a reason."""

Year = Annotated[int, Field(ge=2000, le=2100)]

SortedInJson = PlainSerializer(_sorted_list, when_used="json")
"""Serialise a set as a sorted JSON array, so the same event always has the same bytes."""
