"""Townships, stations, deputies and their work records, as plain dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from contracts.vocabulary import (  # the domain speaks the contract's vocabulary
    ActivityType as ActivityType,
    Attendance as Attendance,
    DeputyStatus as DeputyStatus,
    ElectedBy as ElectedBy,
    Gender as Gender,
    Level as Level,
    OutletLevel as OutletLevel,
    Placement as Placement,
    StationKind as StationKind,
    StatusReason as StatusReason,
    TownshipKind as TownshipKind,
)

#: A township's division code has 9 digits; an activity "held" at a 6-digit code is county-wide.
TOWNSHIP_CODE_LENGTH = 9

#: A congress's term is five years (宪法 Art. 98); the next election may come some months late.
TERM_WITH_GRACE = timedelta(days=5 * 366 + 183)


class ActivityState(StrEnum):
    """An activity stays logged until it is cancelled."""

    logged = "logged"
    cancelled = "cancelled"


class ManuscriptState(StrEnum):
    """A manuscript is submitted, then maybe published."""

    submitted = "submitted"
    published = "published"
    withdrawn = "withdrawn"


class HighlightState(StrEnum):
    """A highlight report stands until it is withdrawn."""

    reported = "reported"
    withdrawn = "withdrawn"


class ChangeState(StrEnum):
    """A status history entry: in force, waiting for its day, or undone by a correction."""

    applied = "applied"
    scheduled = "scheduled"
    corrected = "corrected"


@dataclass
class Township:
    """A township (镇) or sub-district (街道), named by its 9-digit division code."""

    code: str
    name: str
    kind: TownshipKind
    created_at: datetime
    roster_verified_at: datetime | None = None
    roster_verified_by: str | None = None

    @property
    def county(self) -> str:
        """Return the 6-digit code of the county."""
        return self.code[:6]


@dataclass
class Station:
    """A liaison station or contact point where deputies meet constituents."""

    id: str
    township: str
    name: str
    kind: StationKind
    address: str
    schedule: str
    content: str
    content_updated_at: datetime
    version: int = 1


@dataclass
class Contact:
    """Restricted personal data: masked for everyone without a need to see it."""

    phone: str | None = None
    id_number: str | None = None
    address: str | None = None


@dataclass
class Deputy:
    """One person's mandate on a roster; one person may sit at county and township level."""

    id: str
    township: str
    name: str
    gender: Gender
    levels: frozenset[Level]
    term: int
    status: DeputyStatus
    status_reason: StatusReason
    status_since: date | None
    birth_date: date | None = None
    ethnicity: str | None = None
    party: str | None = None
    occupation: str | None = None
    sector: str | None = None
    electoral_district: str | None = None
    deputy_group: str | None = None
    station_id: str | None = None
    elected_by: ElectedBy = ElectedBy.general
    contact: Contact = field(default_factory=Contact)
    elected_on: date | None = None
    version: int = 1
    suspended: frozenset[Level] = frozenset()

    def mandate_status(self, level: Level) -> DeputyStatus:
        """Return one mandate's status: ended, suspended (暂停执行代表职务) or active."""
        if self.status is DeputyStatus.terminated or level not in self.levels:
            return DeputyStatus.terminated
        return DeputyStatus.suspended if level in self.suspended else DeputyStatus.active

    def derive_status(self) -> None:
        """Set the person's status from their mandates: suspended only when all running ones are."""
        if self.status is not DeputyStatus.terminated:
            self.suspended = self.suspended & self.levels
            running = self.levels - self.suspended
            self.status = DeputyStatus.active if running else DeputyStatus.suspended

    def on_roster_at(self, day: date) -> bool:
        """Tell whether the mandate was running on a day: elected, within the term, not ended."""
        if self.elected_on is not None and not (
            self.elected_on <= day < self.elected_on + TERM_WITH_GRACE
        ):
            return False
        ended = self.status is DeputyStatus.terminated
        return not (ended and (self.status_since is None or self.status_since <= day))


@dataclass(frozen=True)
class StatusChange:
    """One dated entry of a deputy's status history."""

    deputy_id: str
    from_status: DeputyStatus | None
    to_status: DeputyStatus
    reason: StatusReason
    effective_date: date
    note: str | None = None
    level: Level | None = None
    state: ChangeState = ChangeState.applied
    corrects_seq: int | None = None
    seq: int | None = None


@dataclass
class Activity:
    """An activity with its organising levels (both = joint county-township) and attendance."""

    id: str
    township: str  # where it is held: a town, or the county code (county-wide, no one town)
    type: ActivityType
    title: str
    levels: frozenset[Level]
    held_on: date
    duration_hours: float
    station_id: str | None = None
    attendance: dict[str, Attendance] = field(default_factory=dict)
    state: ActivityState = ActivityState.logged
    participants: frozenset[str] = frozenset()
    version: int = 1

    @property
    def joint(self) -> bool:
        """Tell whether county and township organise it together."""
        return self.levels == frozenset(Level)

    @property
    def host(self) -> str:
        """Return who hosts it: the county (6 digits) for a county or joint activity, else the town."""
        return self.township[:6] if Level.county in self.levels else self.township

    @property
    def place(self) -> str | None:
        """Return the town where it is held, or None when the county holds it county-wide."""
        return self.township if len(self.township) == TOWNSHIP_CODE_LENGTH else None

    @property
    def townships(self) -> frozenset[str]:
        """Return every township taking part: where it is held and the participants."""
        return self.participants | ({self.place} if self.place else frozenset())


@dataclass
class Highlight:
    """A township's highlight work (特色亮点) for a year."""

    id: str
    township: str
    year: int
    title: str
    summary: str
    state: HighlightState = HighlightState.reported
    version: int = 1


@dataclass
class Manuscript:
    """A manuscript (稿件) submitted to an outlet, maybe published (用稿)."""

    id: str
    township: str
    title: str
    author: str
    submitted_on: date
    state: ManuscriptState = ManuscriptState.submitted
    outlet: str | None = None
    outlet_level: OutletLevel | None = None
    placement: Placement | None = None
    published_on: date | None = None
    evidence_url: str | None = None
    version: int = 1
