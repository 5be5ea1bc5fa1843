"""Events of the deputies service: townships, stations, the roster, activities and work records.

No restricted personal data travels in these events: no phone, no ID number, no home address.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Final, Literal

from pydantic import Field

from contracts.common import (
    ActivityId,
    ContentType,
    CountyCode,
    DeputyId,
    EventData,
    FileSize,
    Id,
    Part,
    Sha256,
    SortedInJson,
    StationId,
    Text,
    TownshipCode,
    Uploader,
    UserId,
    UtcDatetime,
    Year,
)
from contracts.vocabulary import (
    ActivityType,
    Attendance,
    ContactField,
    DeputyStatus,
    ElectedBy,
    Gender,
    Level,
    LevelSet,
    OutletLevel,
    Placement,
    StationKind,
    StatusReason,
    TownshipKind,
)

AggregateVersion = Annotated[
    int, Field(ge=1, description="Version of the aggregate after the change; drop older ones")
]
Term = Annotated[int, Field(ge=1, le=99, description="Term (届次) of the congress")]
HostCode = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{6}([0-9]{3})?$",
        description="Who hosts: the county (6 digits) for a county or joint activity, else the town",
    ),
]
Reason = Annotated[str, Field(min_length=1, max_length=500, description="Why, as the user gave it")]
# Limits equal to the columns that store these values (the producer's and its consumers'), so an
# event valid under the contract is always one its consumers can keep.
Name = Annotated[str, Field(min_length=1, max_length=100)]
StationName = Annotated[str, Field(min_length=1, max_length=200)]


class TownshipRegistered(EventData):
    """A township (镇) or subdistrict (街道) joined the platform."""

    EVENT_TYPE = "deputies.township.registered"
    AGGREGATE = "township"
    SUBJECT = "township"

    township: TownshipCode
    county: CountyCode = Field(
        description="County (县/区) the township belongs to: its first 6 digits"
    )
    name: Name = Field(description="Official name, e.g. 东湖镇")
    kind: TownshipKind = Field(description="镇 (town) or 街道 (subdistrict)")


class StationUpdated(EventData):
    """A liaison station (代表之家/联络站/联系点) was created or its public details changed."""

    EVENT_TYPE = "deputies.station.updated"
    AGGREGATE = "station (代表联络站)"
    SUBJECT = "station_id"

    station_id: StationId
    township: TownshipCode
    name: StationName = Field(description="Name of the station, e.g. 东湖镇人大代表之家")
    kind: StationKind = Field(description="代表之家 / 代表联络站 / 代表联系点")
    location: str = Field(max_length=300, description="Public location of the station (a place)")
    schedule: str = Field(max_length=300, description="Reception schedule as published")
    content_updated_at: UtcDatetime = Field(description="When its posted content was refreshed")
    aggregate_version: AggregateVersion


class StationStale(EventData):
    """A station's content was not refreshed within the configured period (once per period)."""

    EVENT_TYPE = "deputies.station.stale"
    AGGREGATE = "station (代表联络站)"
    SUBJECT = "station_id"

    station_id: StationId
    township: TownshipCode
    content_updated_at: UtcDatetime = Field(description="When its content was last refreshed")
    stale_since: date = Field(description="First day of this stale period")
    period: int = Field(ge=1, description="n-th stale period since the last refresh")
    threshold_days: int = Field(ge=1, description="Configured freshness period in days")


class DeputyProfile(EventData):
    """The public roster record of a deputy (人大代表), as carried by registration and updates."""

    AGGREGATE = "deputy"
    SUBJECT = "deputy_id"

    deputy_id: DeputyId
    township: TownshipCode = Field(description="Township whose roster holds the deputy")
    name: Name = Field(description="Full name as on the roster (姓名)")
    gender: Gender = Field(description="性别")
    birth_date: date | None = Field(default=None, description="出生日期")
    ethnicity: str | None = Field(default=None, max_length=40, description="民族")
    party: str | None = Field(default=None, max_length=60, description="党派")
    occupation: str | None = Field(default=None, max_length=200, description="职业")
    sector: str | None = Field(default=None, max_length=100, description="界别 / 行业")
    levels: LevelSet = Field(description="County and/or township congress (one person can be both)")
    electoral_district: str | None = Field(default=None, max_length=100, description="选区")
    deputy_group: str | None = Field(default=None, max_length=100, description="代表小组")
    station_id: StationId | None = Field(default=None, description="Station the deputy works from")
    term: Term
    status: DeputyStatus = Field(description="Current status of the mandate")
    elected_by: ElectedBy = Field(default=ElectedBy.general, description="选举 or 补选")
    aggregate_version: AggregateVersion


class DeputyRegistered(DeputyProfile):
    """A deputy was entered on a township roster (elected or by-elected)."""

    EVENT_TYPE = "deputies.deputy.registered"


class DeputyUpdated(DeputyProfile):
    """A deputy's roster record changed (not the status); carries the whole record."""

    EVENT_TYPE = "deputies.deputy.updated"

    changed: list[str] = Field(default_factory=list, description="Names of the changed fields")


class DeputyStatusChanged(EventData):
    """A mandate was suspended, reinstated or terminated (辞职/罢免/调离/迁出/死亡)."""

    EVENT_TYPE = "deputies.deputy.status_changed"
    AGGREGATE = "deputy"
    SUBJECT = "deputy_id"

    deputy_id: DeputyId
    township: TownshipCode
    levels: LevelSet = Field(description="Congress level(s) of the mandate")
    from_status: DeputyStatus
    to_status: DeputyStatus
    reason: StatusReason = Field(description="Why (代表法 Art. 61, 62; 选举法)")
    effective_date: date = Field(description="Day the change takes effect")
    aggregate_version: AggregateVersion
    level: Level | None = Field(
        default=None,
        description="The mandate (county or township congress) whose status changed; "
        "from_status and to_status are that mandate's",
    )
    deputy_status: DeputyStatus | None = Field(
        default=None,
        description="The person's status after the change, derived from their mandates",
    )
    mandate_levels: LevelSet | None = Field(
        default=None,
        description="The mandates still running (active or suspended) after it; None once none is",
    )


class RosterVerified(EventData):
    """Township staff confirmed the roster is current."""

    EVENT_TYPE = "deputies.roster.verified"
    AGGREGATE = "township roster"
    SUBJECT = "township"

    township: TownshipCode
    verified_at: UtcDatetime = Field(description="When the roster was confirmed current")
    verified_by: UserId = Field(description="Staff member who verified the roster")
    active_deputies: int = Field(ge=0, description="Active deputies on the roster when verified")


class RosterStale(EventData):
    """A township roster was not verified within the configured period (once per period)."""

    EVENT_TYPE = "deputies.roster.stale"
    AGGREGATE = "township roster"
    SUBJECT = "township"

    township: TownshipCode
    last_verified_at: UtcDatetime | None = Field(description="None when never verified")
    stale_since: date = Field(description="First day of this stale period")
    period: int = Field(ge=1, description="n-th stale period since the last verification")
    threshold_days: int = Field(ge=1, description="Configured freshness period in days")


class AttendanceMark(Part):
    """One deputy's attendance at one activity."""

    deputy_id: DeputyId
    attendance: Attendance = Field(description="出席 / 请假 / 无故缺席")


class ActivityRecord(EventData):
    """An activity with its organising levels (both = joint county-township) and attendance."""

    AGGREGATE = "activity"
    SUBJECT = "activity_id"

    activity_id: ActivityId
    township: TownshipCode = Field(
        description="Town where it is held; for a county-wide activity (no one town) the first "
        "of participating_townships; `host` says who hosts it"
    )
    activity_type: ActivityType = Field(description="Kind of activity (履职活动类型)")
    title: Text = Field(description="Title of the activity")
    levels: LevelSet = Field(
        description="Organising level(s); both means a joint (县乡联动) activity"
    )
    held_on: date = Field(description="Day it was held")
    duration_hours: float = Field(gt=0, le=240, description="Duration in hours")
    station_id: StationId | None = Field(default=None, description="Station, for a reception day")
    attendance: tuple[AttendanceMark, ...] = Field(default=(), description="Per deputy")
    aggregate_version: AggregateVersion
    host: HostCode | None = Field(
        default=None, description="Who hosts it (decides who may log, change or cancel it)"
    )
    participating_townships: tuple[TownshipCode, ...] = Field(
        default=(), description="Every township taking part (each records its own deputies)"
    )

    def event_township(self) -> str:
        """Return the envelope's scope: the host (the county code for a county-hosted one)."""
        return self.host or self.township


class ActivityScheduled(EventData):
    """An activity was planned; deputies are invited (reception notice 3 days ahead)."""

    EVENT_TYPE = "deputies.activity.scheduled"
    AGGREGATE = "activity"
    SUBJECT = "activity_id"

    activity_id: ActivityId
    township: TownshipCode
    activity_type: ActivityType = Field(description="Kind of activity (履职活动类型)")
    title: Text = Field(description="Title of the activity")
    levels: LevelSet = Field(
        description="Organising level(s); both means a joint (县乡联动) activity"
    )
    starts_at: UtcDatetime = Field(description="When it starts")
    station_id: StationId | None = Field(default=None, description="Station, for a reception day")
    invited_deputy_ids: tuple[DeputyId, ...] = Field(default=(), description="Deputies invited")
    ends_at: UtcDatetime | None = Field(default=None, description="When it ends")
    venue: Text | None = Field(
        default=None, description="Where, when it is not held at a station (a free address)"
    )
    aggregate_version: int | None = Field(
        default=None, ge=1, description="Version of the plan after the change (planned: 1)"
    )


class ActivityRescheduled(EventData):
    """A planned activity moved (time or place) before it was held; the invitation changes."""

    EVENT_TYPE = "deputies.activity.rescheduled"
    AGGREGATE = "activity"
    SUBJECT = "activity_id"

    activity_id: ActivityId
    township: TownshipCode
    activity_type: ActivityType = Field(description="Kind of activity (履职活动类型)")
    title: Text = Field(description="Title of the activity")
    levels: LevelSet = Field(
        description="Organising level(s); both means a joint (县乡联动) activity"
    )
    starts_at: UtcDatetime = Field(description="When it starts now")
    ends_at: UtcDatetime = Field(description="When it ends now")
    previous_starts_at: UtcDatetime = Field(description="When it was to start before")
    station_id: StationId | None = Field(default=None, description="Station, for a reception day")
    venue: Text | None = Field(
        default=None, description="Where, when it is not held at a station (a free address)"
    )
    invited_deputy_ids: tuple[DeputyId, ...] = Field(default=(), description="Deputies invited")
    reason: Reason
    aggregate_version: AggregateVersion


class ActivityPlanCancelled(EventData):
    """A planned activity was called off before it was held (it never counted for anything)."""

    EVENT_TYPE = "deputies.activity.plan_cancelled"
    AGGREGATE = "activity"
    SUBJECT = "activity_id"

    activity_id: ActivityId
    township: TownshipCode
    activity_type: ActivityType = Field(description="Kind of activity (履职活动类型)")
    title: Text = Field(description="Title of the activity")
    starts_at: UtcDatetime = Field(description="When it was to start")
    station_id: StationId | None = Field(default=None, description="Station, for a reception day")
    venue: Text | None = Field(
        default=None, description="Where, when it is not held at a station (a free address)"
    )
    invited_deputy_ids: tuple[DeputyId, ...] = Field(default=(), description="Deputies invited")
    reason: Reason
    aggregate_version: AggregateVersion


class ActivityLogged(ActivityRecord):
    """An activity took place and was recorded with its attendance."""

    EVENT_TYPE = "deputies.activity.logged"


class ActivityCorrected(ActivityRecord):
    """A logged activity was corrected; carries the whole corrected record."""

    EVENT_TYPE = "deputies.activity.corrected"

    reason: Text = Field(description="Why it was corrected")


class ActivityCancelled(EventData):
    """A logged activity was cancelled: everything derived from it must be reversed."""

    EVENT_TYPE = "deputies.activity.cancelled"
    AGGREGATE = "activity"
    SUBJECT = "activity_id"

    activity_id: ActivityId
    township: TownshipCode
    reason: Text = Field(description="Why it was cancelled")
    aggregate_version: AggregateVersion
    host: HostCode | None = Field(
        default=None, description="Who hosts it (the county code for a county-hosted one)"
    )

    def event_township(self) -> str:
        """Return the envelope's scope: the host (the county code for a county-hosted one)."""
        return self.host or self.township


class AttendanceRecorded(EventData):
    """One deputy's attendance at an activity was recorded for the first time."""

    EVENT_TYPE = "deputies.attendance.recorded"
    AGGREGATE = "activity"
    SUBJECT = "activity_id"

    activity_id: ActivityId
    deputy_id: DeputyId
    township: TownshipCode = Field(description="The deputy's township (whose staff recorded it)")
    attendance: Attendance = Field(description="出席 / 请假 / 无故缺席")
    activity_type: ActivityType = Field(description="Kind of activity (履职活动类型)")
    levels: LevelSet = Field(description="Organising level(s) of the activity")
    held_on: date = Field(description="Day the activity was held")
    aggregate_version: AggregateVersion


class AttendanceCorrected(AttendanceRecorded):
    """A deputy's recorded attendance was changed; ``previous_attendance`` is what it replaces."""

    EVENT_TYPE = "deputies.attendance.corrected"

    previous_attendance: Attendance = Field(description="The mark this correction replaces")


class AttendanceRemoved(EventData):
    """A mistaken attendance mark was removed: whatever it earned is to be reversed."""

    EVENT_TYPE = "deputies.attendance.removed"
    AGGREGATE = "activity"
    SUBJECT = "activity_id"

    activity_id: ActivityId
    deputy_id: DeputyId
    township: TownshipCode = Field(description="The deputy's township (whose staff removed it)")
    removed_attendance: Attendance = Field(description="The mark that no longer stands")
    activity_type: ActivityType = Field(description="Kind of activity (履职活动类型)")
    levels: LevelSet = Field(description="Organising level(s) of the activity")
    held_on: date = Field(description="Day the activity was held")
    reason: Reason
    aggregate_version: AggregateVersion


class HighlightReported(EventData):
    """A township reported its highlight work (特色亮点工作, 一镇街一特色) for a year."""

    EVENT_TYPE = "deputies.highlight.reported"
    AGGREGATE = "highlight"
    SUBJECT = "highlight_id"

    highlight_id: Id = Field(description="Highlight work id (特色亮点工作)")
    township: TownshipCode
    year: Year = Field(description="Assessment year it is reported for")
    title: Text = Field(description="Title of the highlight work")
    summary: str = Field(max_length=2000, description="Short public summary")


class HighlightCorrected(EventData):
    """A highlight report was corrected; carries the whole corrected report."""

    EVENT_TYPE = "deputies.highlight.corrected"
    AGGREGATE = "highlight"
    SUBJECT = "highlight_id"

    highlight_id: Id = Field(description="The highlight report corrected")
    township: TownshipCode
    year: Year = Field(description="Assessment year it is reported for")
    title: Text = Field(description="Title of the highlight work")
    summary: str = Field(max_length=2000, description="Short public summary")
    reason: Reason
    aggregate_version: AggregateVersion


class HighlightWithdrawn(EventData):
    """A highlight report was withdrawn: it no longer counts."""

    EVENT_TYPE = "deputies.highlight.withdrawn"
    AGGREGATE = "highlight"
    SUBJECT = "highlight_id"

    highlight_id: Id = Field(description="The highlight report withdrawn")
    township: TownshipCode
    year: Year = Field(description="Assessment year it was reported for")
    reason: Reason
    aggregate_version: AggregateVersion


class ManuscriptSubmitted(EventData):
    """A manuscript (稿件) was submitted to an outlet."""

    EVENT_TYPE = "deputies.manuscript.submitted"
    AGGREGATE = "manuscript"
    SUBJECT = "manuscript_id"

    manuscript_id: Id = Field(description="Manuscript id (稿件)")
    township: TownshipCode
    title: Text = Field(description="Title of the piece")
    author: Text = Field(description="Byline as printed")
    outlet: str | None = Field(default=None, max_length=200, description="Outlet submitted to")
    submitted_on: date = Field(description="Day it was submitted (报送)")


class ManuscriptPublished(EventData):
    """A manuscript was published (用稿); counted once, at the highest level it reached."""

    EVENT_TYPE = "deputies.manuscript.published"
    AGGREGATE = "manuscript"
    SUBJECT = "manuscript_id"

    manuscript_id: Id = Field(description="Manuscript id (稿件)")
    township: TownshipCode
    title: Text = Field(description="Title as published")
    outlet: Text = Field(description="Outlet that published it, e.g. 人民代表报")
    outlet_level: OutletLevel = Field(description="Level of the outlet (用稿级别)")
    placement: Placement = Field(description="头版头条 / single / combined")
    published_on: date = Field(description="Day it was published (用稿)")
    evidence_url: str | None = Field(
        default=None, max_length=1000, description="Link to the evidence"
    )


class ManuscriptCorrected(EventData):
    """A manuscript's record was corrected (e.g. the outlet level); carries the whole record."""

    EVENT_TYPE = "deputies.manuscript.corrected"
    AGGREGATE = "manuscript"
    SUBJECT = "manuscript_id"

    manuscript_id: Id = Field(description="The manuscript corrected")
    township: TownshipCode
    title: Text = Field(description="Title of the piece")
    author: Text = Field(description="Byline as printed")
    submitted_on: date = Field(description="Day it was submitted (报送)")
    published: bool = Field(description="Whether it stands as published (用稿)")
    outlet: str | None = Field(default=None, max_length=200, description="Outlet")
    outlet_level: OutletLevel | None = Field(default=None, description="Level of the outlet")
    placement: Placement | None = Field(default=None, description="头版头条 / single / combined")
    published_on: date | None = Field(default=None, description="Day it was published (用稿)")
    evidence_url: str | None = Field(default=None, max_length=1000, description="Evidence link")
    changed: list[str] = Field(default_factory=list, description="Names of the changed fields")
    reason: Reason
    aggregate_version: AggregateVersion


class ManuscriptWithdrawn(EventData):
    """A manuscript (and its publication, if any) was withdrawn: it no longer counts."""

    EVENT_TYPE = "deputies.manuscript.withdrawn"
    AGGREGATE = "manuscript"
    SUBJECT = "manuscript_id"

    manuscript_id: Id = Field(description="The manuscript withdrawn")
    township: TownshipCode
    was_published: bool = Field(description="Whether a publication is withdrawn with it")
    reason: Reason
    aggregate_version: AggregateVersion


class DeputyStatusChangeScheduled(EventData):
    """A status change with a future effective date was recorded; it applies on that day."""

    EVENT_TYPE = "deputies.deputy.status_change_scheduled"
    AGGREGATE = "deputy"
    SUBJECT = "deputy_id"

    deputy_id: DeputyId
    township: TownshipCode
    level: Level = Field(description="The mandate (county or township congress) it concerns")
    change_id: int = Field(ge=1, description="History entry of the scheduled change")
    to_status: DeputyStatus
    reason: StatusReason = Field(description="Why (代表法 Art. 61, 62; 选举法)")
    effective_date: date = Field(description="Day the change will take effect")


class DeputyStatusCorrected(EventData):
    """A wrong status change was undone by a county role; the mandate is back where it was."""

    EVENT_TYPE = "deputies.deputy.status_corrected"
    AGGREGATE = "deputy"
    SUBJECT = "deputy_id"

    deputy_id: DeputyId
    township: TownshipCode
    level: Level = Field(description="The mandate the corrected change concerned")
    corrected_change_id: int = Field(ge=1, description="History entry that is undone")
    was_scheduled: bool = Field(description="True when the undone change had not taken effect")
    status: DeputyStatus = Field(description="The mandate's status after the correction")
    reason: Reason
    aggregate_version: AggregateVersion
    deputy_status: DeputyStatus | None = Field(
        default=None, description="The person's status after the correction, from their mandates"
    )


class MandateTerminationFlagged(EventData):
    """Two unapproved absences from the congress session: the mandate ends (代表法 Art. 62); a person decides."""

    EVENT_TYPE = "deputies.mandate.termination_flagged"
    AGGREGATE = "deputy"
    SUBJECT = "deputy_id"

    deputy_id: DeputyId
    township: TownshipCode
    level: Level = Field(description="Congress whose sessions were missed")
    term: Term
    session_activity_ids: tuple[ActivityId, ...] = Field(
        min_length=2, description="The congress sessions missed without approval"
    )


class MandateTerminationFlagWithdrawn(EventData):
    """A termination flag no longer holds (sessions cancelled or marks corrected): withdrawn."""

    EVENT_TYPE = "deputies.mandate.termination_flag_withdrawn"
    AGGREGATE = "deputy"
    SUBJECT = "deputy_id"

    deputy_id: DeputyId
    township: TownshipCode
    level: Level = Field(description="Congress of the withdrawn flag")
    term: Term
    flag_event_id: Id = Field(description="Id of the termination_flagged event withdrawn")
    session_activity_ids: tuple[ActivityId, ...] = Field(
        description="The sessions the withdrawn flag named"
    )
    remaining_session_activity_ids: tuple[ActivityId, ...] = Field(
        default=(), description="Unexcused absences that still count (fewer than two)"
    )


class EvidenceAdded(EventData):
    """Evidence (a scan, a screenshot) was attached to a work record; the bytes stay in the store."""

    EVENT_TYPE = "deputies.evidence.added"
    AGGREGATE = "attachment"
    SUBJECT = "attachment_id"

    attachment_id: Id = Field(description="Attachment id (its download route names it)")
    owner_type: Literal["manuscript", "highlight"] = Field(
        description="Kind of work record: manuscript or highlight"
    )
    owner_id: Id = Field(description="Id of the record the file belongs to")
    township: TownshipCode
    content_type: ContentType
    size: FileSize
    sha256: Sha256
    uploaded_by: Uploader


class EvidenceRemoved(EventData):
    """An attachment was removed from its record (and its bytes from the store)."""

    EVENT_TYPE = "deputies.evidence.removed"
    AGGREGATE = "attachment"
    SUBJECT = "attachment_id"

    attachment_id: Id = Field(description="The attachment removed")
    owner_type: Literal["manuscript", "highlight"] = Field(
        description="Kind of work record: manuscript or highlight"
    )
    owner_id: Id = Field(description="Id of the record the file belonged to")
    township: TownshipCode
    size: FileSize
    sha256: Sha256
    removed_by: Uploader


ContactFields = Annotated[
    frozenset[ContactField],
    Field(min_length=1, description="Which fields change; never their values"),
    SortedInJson,
]


class ContactChange(EventData):
    """A deputy's proposal to change their own phone or address (联系方式变更申请)."""

    AGGREGATE = "deputy"
    SUBJECT = "deputy_id"

    proposal_id: Id = Field(description="The proposal")
    deputy_id: DeputyId
    township: TownshipCode = Field(description="Township whose roster holds the deputy")
    fields: ContactFields


class ContactChangeProposed(ContactChange):
    """A deputy proposed a change of their own contacts; their township's staff decide it."""

    EVENT_TYPE = "deputies.contact_change.proposed"

    base_version: AggregateVersion = Field(
        description="Version of the deputy's record it was made on"
    )


class ContactChangeApproved(ContactChange):
    """Staff approved a proposal: the record changed (a ``deputies.deputy.updated`` follows)."""

    EVENT_TYPE = "deputies.contact_change.approved"

    decided_by: UserId
    aggregate_version: AggregateVersion = Field(description="Version of the deputy's record now")


class ContactChangeRejected(ContactChange):
    """Staff rejected a proposal, with a reason; the record is unchanged."""

    EVENT_TYPE = "deputies.contact_change.rejected"

    decided_by: UserId
    reason: Reason


EVENTS: Final[tuple[type[EventData], ...]] = (
    TownshipRegistered,
    StationUpdated,
    StationStale,
    DeputyRegistered,
    DeputyUpdated,
    DeputyStatusChanged,
    RosterVerified,
    RosterStale,
    ActivityScheduled,
    ActivityLogged,
    ActivityCorrected,
    ActivityCancelled,
    HighlightReported,
    ManuscriptSubmitted,
    ManuscriptPublished,
    MandateTerminationFlagged,
    AttendanceRecorded,
    AttendanceCorrected,
    HighlightCorrected,
    HighlightWithdrawn,
    ManuscriptCorrected,
    ManuscriptWithdrawn,
    DeputyStatusChangeScheduled,
    DeputyStatusCorrected,
    MandateTerminationFlagWithdrawn,
    AttendanceRemoved,
    ActivityRescheduled,
    ActivityPlanCancelled,
    EvidenceAdded,
    EvidenceRemoved,
    ContactChangeProposed,
    ContactChangeApproved,
    ContactChangeRejected,
)
"""Every event type this service publishes, current versions."""
