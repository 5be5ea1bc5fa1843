"""Townships, stations, deputies and their work records, as plain dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class TownshipKind(StrEnum):
    """A 镇 has a township congress; a 街道 has a working committee and no congress."""

    town = "town"
    subdistrict = "subdistrict"


class Level(StrEnum):
    """The congress a deputy sits in, or the level that organises an activity."""

    county = "county"
    township = "township"


class Gender(StrEnum):
    """Gender as recorded on the roster."""

    male = "male"
    female = "female"


class ElectedBy(StrEnum):
    """How the mandate began: the general election or a by-election (补选)."""

    general = "general"
    by_election = "by_election"


class DeputyStatus(StrEnum):
    """Where a mandate stands."""

    active = "active"
    suspended = "suspended"
    terminated = "terminated"


class StatusReason(StrEnum):
    """Why a deputy's status changed (代表法 Art. 61, 62; 选举法 Art. 50-57)."""

    elected = "elected"
    by_election = "by_election"
    reinstated = "reinstated"
    custody = "custody"
    resignation = "resignation"
    recall = "recall"
    transfer = "transfer"
    moved_out = "moved_out"
    death = "death"
    absence = "absence"
    other = "other"


class StationKind(StrEnum):
    """代表之家 / 代表联络站 / 代表联系点."""

    home = "home"
    station = "station"
    point = "point"


class ActivityType(StrEnum):
    """What deputies did together."""

    training = "training"
    reception_day = "reception_day"
    inspection = "inspection"
    research = "research"
    law_inspection = "law_inspection"
    work_evaluation = "work_evaluation"
    congress_session = "congress_session"
    deputy_group = "deputy_group"
    report_to_voters = "report_to_voters"
    public_welfare = "public_welfare"
    other = "other"


class Attendance(StrEnum):
    """One deputy at one activity: present, excused leave (请假) or unexcused absence (无故缺席)."""

    present = "present"
    excused = "excused"
    unexcused_absence = "unexcused_absence"


class ActivityState(StrEnum):
    """An activity stays logged until it is cancelled."""

    logged = "logged"
    cancelled = "cancelled"


class OutletLevel(StrEnum):
    """Where a manuscript was published."""

    central = "central"
    provincial = "provincial"
    city = "city"
    county = "county"
    npc_system = "npc_system"


class Placement(StrEnum):
    """头版头条, a single piece, or part of a combined piece."""

    front_page_headline = "front_page_headline"
    single = "single"
    combined = "combined"


class ManuscriptState(StrEnum):
    """A manuscript is submitted, then maybe published."""

    submitted = "submitted"
    published = "published"


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
    status_since: date
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
    version: int = 1

    def on_roster_at(self, day: date) -> bool:
        """Tell whether the mandate was running (not yet terminated) on a day."""
        return not (self.status is DeputyStatus.terminated and self.status_since <= day)


@dataclass(frozen=True)
class StatusChange:
    """One dated entry of a deputy's status history."""

    deputy_id: str
    from_status: DeputyStatus | None
    to_status: DeputyStatus
    reason: StatusReason
    effective_date: date
    note: str | None = None


@dataclass
class Activity:
    """An activity with its organising levels (both = joint county-township) and attendance."""

    id: str
    township: str
    type: ActivityType
    title: str
    levels: frozenset[Level]
    held_on: date
    duration_hours: float
    station_id: str | None = None
    attendance: dict[str, Attendance] = field(default_factory=dict)
    state: ActivityState = ActivityState.logged
    version: int = 1

    @property
    def joint(self) -> bool:
        """Tell whether county and township organise it together."""
        return self.levels == frozenset(Level)


@dataclass
class Highlight:
    """A township's highlight work (特色亮点) for a year."""

    id: str
    township: str
    year: int
    title: str
    summary: str
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
