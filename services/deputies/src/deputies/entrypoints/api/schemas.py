"""Request and response bodies of the HTTP API (pydantic), with the limits the events share."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from deputies.domain.model import (
    ActivityState,
    ActivityType,
    Attendance,
    ChangeState,
    DeputyStatus,
    ElectedBy,
    Gender,
    HighlightState,
    Level,
    ManuscriptState,
    OutletLevel,
    Placement,
    StationKind,
    StatusReason,
    TownshipKind,
)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Long = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
TownshipCode = Annotated[str, StringConstraints(pattern=r"^\d{9}$")]
ItemT = TypeVar("ItemT")


class Body(BaseModel):
    """Base of request bodies: unknown fields are refused, so a typo is an error."""

    model_config = ConfigDict(extra="forbid")


class TownshipIn(Body):
    """A township to register."""

    code: TownshipCode
    name: Name
    kind: TownshipKind


class TownshipOut(BaseModel):
    """A township with its roster verification."""

    code: str
    name: str
    kind: TownshipKind
    created_at: datetime
    roster_verified_at: datetime | None
    roster_verified_by: str | None


class VerificationIn(Body):
    """A roster verification."""

    note: Annotated[str, StringConstraints(max_length=1000)] | None = None


class VerificationOut(BaseModel):
    """One roster verification."""

    verified_at: datetime
    verified_by: str
    deputy_count: int
    note: str | None


class StationIn(Body):
    """A station to open."""

    township: TownshipCode
    name: Title
    kind: StationKind
    address: Long
    schedule: Long
    content: Annotated[str, StringConstraints(max_length=10000)] = ""


class StationPatch(Body):
    """Changes to a station; posting content (even unchanged) marks it up to date."""

    name: Title | None = None
    address: Long | None = None
    schedule: Long | None = None
    content: Annotated[str, StringConstraints(max_length=10000)] | None = None


class StationOut(BaseModel):
    """A station."""

    id: str
    township: str
    name: str
    kind: StationKind
    address: str
    schedule: str
    content: str
    content_updated_at: datetime
    stale: bool | None = Field(default=None, description="Content older than the freshness period")
    version: int


class DeputyFields(Body):
    """Fields a deputy record has beside its township, term and status."""

    name: Name
    gender: Gender
    levels: Annotated[set[Level], Field(min_length=1)]
    birth_date: date | None = None
    ethnicity: Short | None = None
    party: Short | None = None
    occupation: Long | None = None
    sector: Short | None = None
    electoral_district: Short | None = None
    deputy_group: Short | None = None
    station_id: str | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None
    id_number: (
        Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, max_length=18)]
        | None
    ) = None
    address: Long | None = None


class DeputyIn(DeputyFields):
    """A deputy to register."""

    township: TownshipCode
    term: Annotated[int, Field(ge=1, le=99)]
    elected_on: date
    elected_by: ElectedBy = ElectedBy.general


class DeputyPatch(Body):
    """Changes to a deputy (send only what changes); status changes have their own route."""

    name: Name | None = None
    gender: Gender | None = None
    levels: Annotated[set[Level], Field(min_length=1)] | None = None
    birth_date: date | None = None
    ethnicity: Short | None = None
    party: Short | None = None
    occupation: Long | None = None
    sector: Short | None = None
    electoral_district: Short | None = None
    deputy_group: Short | None = None
    station_id: str | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None
    id_number: (
        Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, max_length=18)]
        | None
    ) = None
    address: Long | None = None


class StatusIn(Body):
    """A status change: to what, why, from when."""

    status: DeputyStatus
    reason: StatusReason
    effective_date: date = Field(description="A day still to come schedules the change")
    note: Annotated[str, StringConstraints(max_length=1000)] | None = None
    level: Level | None = Field(
        default=None,
        description="The mandate: county or township congress (required when both are held)",
    )


class StatusCorrectionIn(Body):
    """Why a mandate's latest status change was wrong (a county role undoes it)."""

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    level: Level | None = Field(
        default=None, description="The mandate whose latest change is undone (default: any)"
    )


class MandateOut(BaseModel):
    """One mandate (county or township congress) and its own status."""

    level: Level
    status: DeputyStatus


class DeputyOut(BaseModel):
    """A deputy as the caller may see it (restricted fields masked unless entitled)."""

    id: str
    township: str
    name: str
    gender: Gender
    levels: list[Level]
    mandates: list[MandateOut] = Field(description="Each running mandate with its own status")
    term: int
    status: DeputyStatus = Field(description="The person's status, derived from their mandates")
    status_reason: StatusReason
    status_since: date | None = Field(description="Day the current status began (None: unknown)")
    elected_on: date | None = Field(description="Election day (当选日期), None when not known")
    elected_by: ElectedBy
    birth_date: date | None = Field(description="Restricted: only for those who see contacts")
    birth_year: int | None
    ethnicity: str | None
    party: str | None
    occupation: str | None
    sector: str | None
    electoral_district: str | None
    deputy_group: str | None
    station_id: str | None
    phone: str | None
    id_number: str | None
    address: str | None
    contact_masked: bool
    version: int


class HistoryOut(BaseModel):
    """One entry of a deputy's status history."""

    id: int = Field(description="The change's id (a correction names it)")
    from_status: DeputyStatus | None
    to_status: DeputyStatus
    reason: StatusReason
    effective_date: date
    level: Level | None
    state: ChangeState
    note: str | None
    recorded_at: datetime
    recorded_by: str


class PageOut(BaseModel, Generic[ItemT]):
    """A page of a list, with the total over all pages."""

    items: list[ItemT]
    total: int
    page: int
    page_size: int


class AttendanceIn(Body):
    """One deputy's attendance."""

    deputy_id: str
    mark: Attendance


class ActivityIn(Body):
    """An activity as logged: who hosts it, where it is held, who takes part, the marks."""

    host: Annotated[str, Field(pattern=r"^[0-9]{6}([0-9]{3})?$")] | None = Field(
        default=None,
        description="Who hosts: the county code (6 digits) for a county or joint activity, "
        "else the town (default: the county when a county level is given, else the township)",
    )
    township: TownshipCode | None = Field(
        default=None,
        description="The town where it is held; a county-hosted activity may have none",
    )
    type: ActivityType
    title: Title
    levels: Annotated[set[Level], Field(min_length=1)]
    held_on: date
    duration_hours: Annotated[float, Field(gt=0, le=240)]
    station_id: str | None = None
    attendance: list[AttendanceIn] = Field(default_factory=list)
    participants: Annotated[
        set[TownshipCode],
        Field(
            max_length=100,
            description="Other townships taking part in a county or joint (县乡联动) activity",
        ),
    ] = Field(default_factory=set)

    @model_validator(mode="after")
    def _host_fits(self) -> ActivityIn:
        county = Level.county in self.levels
        if self.host is None:
            if self.township is None:
                raise ValueError("give township (where it is held) or host")
            return self
        if county and len(self.host) != 6:
            raise ValueError("a county or joint activity is hosted by the county (6 digits)")
        if not county and self.host != (self.township or self.host):
            raise ValueError("a township activity is hosted by the township where it is held")
        if not county and len(self.host) != 9:
            raise ValueError("a township activity is hosted by its township (9 digits)")
        if self.township is not None and self.township[:6] != self.host[:6]:
            raise ValueError("township lies outside the host county")
        return self

    @model_validator(mode="after")
    def _each_deputy_once(self) -> ActivityIn:
        seen: set[str] = set()
        for mark in self.attendance:
            if mark.deputy_id in seen:
                raise ValueError(f"deputy {mark.deputy_id} appears more than once in attendance")
            seen.add(mark.deputy_id)
        return self


class ActivityPatch(Body):
    """Some details of an activity and why they change (attendance has its own resource)."""

    type: ActivityType | None = None
    title: Title | None = None
    levels: Annotated[set[Level], Field(min_length=1)] | None = None
    held_on: date | None = None
    duration_hours: Annotated[float, Field(gt=0, le=240)] | None = None
    station_id: str | None = None
    participants: Annotated[set[TownshipCode], Field(max_length=100)] | None = None
    reason: Title


class MarkIn(Body):
    """One deputy's attendance at an activity."""

    mark: Attendance


class CancelIn(Body):
    """Why an activity is cancelled."""

    reason: Title


class AttendanceOut(BaseModel):
    """One deputy's attendance."""

    deputy_id: str
    mark: Attendance


class ActivityOut(BaseModel):
    """An activity."""

    id: str
    township: str | None = Field(description="Town where it is held (None: county-wide)")
    type: ActivityType
    title: str
    levels: list[Level]
    held_on: date
    duration_hours: float
    station_id: str | None
    state: ActivityState
    host: str = Field(description="Who hosts: the county code for a county or joint activity")
    version: int
    attendance: list[AttendanceOut] | None = None
    participating_townships: list[str] | None = None


class HighlightIn(Body):
    """A highlight work report."""

    township: TownshipCode
    year: Annotated[int, Field(ge=2000, le=2100)]
    title: Title
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class HighlightPatch(Body):
    """A correction of a highlight report, and why."""

    year: Annotated[int, Field(ge=2000, le=2100)] | None = None
    title: Title | None = None
    summary: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
        | None
    ) = None
    reason: Reason


class WithdrawalIn(Body):
    """Why a record is withdrawn."""

    reason: Reason


class HighlightRuleIn(Body):
    """How many highlight reports a township may have standing in a year."""

    max_highlights: Annotated[int, Field(ge=1, le=20)]


class HighlightRuleOut(BaseModel):
    """A township's highlight rule for a year."""

    township: str
    year: int
    max_highlights: int | None = Field(description="None: no rule, no limit")


class ManuscriptPatch(Body):
    """A correction of a manuscript's record (e.g. a wrong outlet level), and why."""

    title: Title | None = None
    author: Name | None = None
    submitted_on: date | None = None
    outlet: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    outlet_level: OutletLevel | None = None
    placement: Placement | None = None
    published_on: date | None = None
    evidence_url: (
        Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=1000)] | None
    ) = None
    reason: Reason


class HighlightOut(BaseModel):
    """A highlight work report."""

    id: str
    township: str
    year: int
    title: str
    summary: str
    state: HighlightState
    version: int
    created_at: datetime


class ManuscriptIn(Body):
    """A submitted manuscript."""

    township: TownshipCode
    title: Title
    author: Name
    submitted_on: date
    outlet: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None


class PublicationIn(Body):
    """Where and how a manuscript was published, with a link to the evidence."""

    outlet: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    outlet_level: OutletLevel
    placement: Placement
    published_on: date
    evidence_url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=1000)]


class ManuscriptOut(BaseModel):
    """A manuscript."""

    id: str
    township: str
    title: str
    author: str
    submitted_on: date
    state: ManuscriptState
    outlet: str | None
    outlet_level: OutletLevel | None
    placement: Placement | None
    published_on: date | None
    evidence_url: str | None
    version: int


class ImportReportOut(BaseModel):
    """What a roster import found and did."""

    mode: str
    rows_total: int
    rows_blank: int
    rows_valid: int
    created: int
    written: bool
    errors: list[dict[str, Any]]
    notes: list[dict[str, Any]]
    columns: dict[str, str]
