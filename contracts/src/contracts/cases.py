"""Events of the cases service: suggestions and opinions to closure, chasing, supervision, digests.

Case content and constituents' identities stay in the cases service; events carry ids, titles
and the facts consumers act on.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Final, Literal

from pydantic import Field

from contracts.common import (
    CaseId,
    ContentType,
    DeputyId,
    DivisionCode,
    EventData,
    FileSize,
    Id,
    Part,
    Sha256,
    StationId,
    Text,
    TownshipCode,
    UnitId,
    Uploader,
    UserId,
    UtcDatetime,
)
from contracts.vocabulary import (
    CaseKind,
    Clock,
    EscalationLevel,
    HandlingRole,
    Level,
    NotAcceptedReason,
    OpinionOrigin,
    ReopenReason,
    ReplyClass,
    Satisfaction,
    SuggestionTiming,
    TopicOrigin,
    TriageOutcome,
)

Round = Annotated[int, Field(ge=1, description="Handling round: 1, then 2 after a reopening")]
DueOn = Annotated[date, Field(description="Due date on the working-day calendar (调休 included)")]
TopicId = Annotated[str, Field(min_length=1, max_length=64, description="Supervision topic id")]
Category = Annotated[
    str, Field(min_length=1, max_length=100, description="Theme, e.g. 交通 / 教育 / 民生")
]
_CASE = "case"
_TOPIC = "supervision topic (监督议题)"


class HandlingUnit(Part):
    """A handling unit (承办单位) on a case and its role."""

    unit_id: UnitId
    name: Text = Field(description="Name of the unit, e.g. 县交通运输局")
    role: HandlingRole = Field(description="主办 (lead) or 会办 (co)")


class CaseEvent(EventData):
    """Fields every case event carries."""

    AGGREGATE = _CASE
    SUBJECT = "case_id"

    case_id: CaseId
    township: TownshipCode = Field(description="Township the case belongs to")


class SuggestionSubmitted(CaseEvent):
    """A deputy's suggestion (代表建议) was filed, alone or jointly (联名)."""

    EVENT_TYPE = "cases.suggestion.submitted"

    title: Text = Field(description="Title of the suggestion (案由)")
    category: Category
    level: Level = Field(description="Congress the suggestion is filed with")
    timing: SuggestionTiming
    lead_deputy_id: DeputyId = Field(description="First signatory (领衔代表)")
    co_deputy_ids: tuple[DeputyId, ...] = Field(default=(), description="Joint signatories (附议)")
    confidential: bool = Field(default=False, description="Deputy asked for confidentiality")
    submitted_on: date = Field(description="Day it was filed")
    from_opinion_id: CaseId | None = Field(
        default=None, description="The constituent's opinion it was turned from (转为建议), if any"
    )


class OpinionSubmitted(CaseEvent):
    """A constituent's opinion (选民意见) was recorded, e.g. on a reception day (接待选民日)."""

    EVENT_TYPE = "cases.opinion.submitted"

    title: Text = Field(description="Short title; the constituent stays in the cases service")
    category: Category
    origin: OpinionOrigin
    receiving_deputy_ids: tuple[DeputyId, ...] = Field(
        default=(), description="Deputies who received the opinion"
    )
    station_id: StationId | None = Field(default=None, description="Where it was received")
    activity_id: Id | None = Field(default=None, description="Reception-day activity, if any")
    received_on: date = Field(description="Day it was received")


class CaseTriaged(CaseEvent):
    """Triage (梳理) decided what happens to an item."""

    EVENT_TYPE = "cases.case.triaged"

    kind: CaseKind
    outcome: TriageOutcome
    reason: NotAcceptedReason | None = Field(default=None, description="When not accepted")
    merged_into: CaseId | None = Field(
        default=None, description="Surviving case when merged (并案)"
    )
    suggestion_case_id: CaseId | None = Field(
        default=None, description="New suggestion when turned into one"
    )


class CaseAssigned(CaseEvent):
    """A case was assigned (交办) to one lead unit and any co-handlers, with its deadline."""

    EVENT_TYPE = "cases.case.assigned"

    kind: CaseKind
    title: Text = Field(description="Title of the case")
    deputy_ids: tuple[DeputyId, ...] = Field(default=(), description="Deputies behind the case")
    units: tuple[HandlingUnit, ...] = Field(min_length=1, description="Exactly one lead, any co")
    assigned_on: date = Field(description="Day of 交办; the clock starts")
    due_on: DueOn
    clock: Clock
    key_chase: bool = Field(default=False, description="Flagged for 重点督办")
    assignment: int = Field(default=1, ge=1, description="1, or more after a return (退办)")


class CaseKeyChaseDesignated(CaseEvent):
    """County leaders flagged a case for key chasing (重点督办)."""

    EVENT_TYPE = "cases.case.key_chase_designated"

    deputy_ids: tuple[DeputyId, ...] = Field(default=(), description="Deputies behind the case")
    designated_by: UserId
    designated_on: date = Field(description="Day of the designation")


class CaseReturned(CaseEvent):
    """A handling unit returned the case (退办) within the window; it goes back to assignment."""

    EVENT_TYPE = "cases.case.returned"

    unit_id: UnitId
    role: HandlingRole
    reason: Text = Field(description="Why the unit is not the right handler")
    returned_on: date = Field(description="Day of the return")


class CaseExtensionGranted(CaseEvent):
    """An extension (延期) was approved: the due date moves, at most once, at most 3 months."""

    EVENT_TYPE = "cases.case.extension_granted"

    unit_id: UnitId
    previous_due_on: date = Field(description="Due date before the extension")
    due_on: DueOn
    reason: Text = Field(description="Why the extension was granted")
    granted_by: UserId


class CaseReplied(CaseEvent):
    """The lead unit replied (答复) with a class A/B/C/D."""

    EVENT_TYPE = "cases.case.replied"

    kind: CaseKind
    unit_id: UnitId
    reply_class: ReplyClass
    replied_on: date = Field(description="Day of the formal reply")
    due_on: DueOn
    on_time: bool = Field(description="Replied on or before the due date")
    deputy_ids: tuple[DeputyId, ...] = Field(default=(), description="Deputies to give feedback")
    follow_up_due_on: date | None = Field(default=None, description="Promised date for B/C")
    round: Round = 1


class CaseFeedbackGiven(CaseEvent):
    """A deputy rated the handling process and result (满意/基本满意/不满意)."""

    EVENT_TYPE = "cases.case.feedback_given"

    deputy_id: DeputyId
    process: Satisfaction = Field(description="办理态度 / process")
    result: Satisfaction = Field(description="办理结果 / result")
    round: Round = 1


class CaseReopened(CaseEvent):
    """A case is handled again (重新办理), e.g. after 不满意 feedback, on a 1-month clock."""

    EVENT_TYPE = "cases.case.reopened"

    reason: ReopenReason
    reopened_on: date = Field(description="Day handling restarted")
    due_on: DueOn
    round: Round


class CaseClosed(CaseEvent):
    """A case was closed (办结); `solved` is 办成 (class A), never implied by closing."""

    EVENT_TYPE = "cases.case.closed"

    kind: CaseKind
    reply_class: ReplyClass | None = Field(description="None when closed at triage")
    satisfaction: Satisfaction | None = Field(default=None, description="Final result rating")
    solved: bool = Field(description="Actually solved (办成, class A)")
    on_time: bool = Field(description="Every reply came on time")
    deputy_ids: tuple[DeputyId, ...] = Field(default=(), description="Deputies behind the case")
    closed_on: date = Field(description="Day of 办结")


class CaseInstructionGiven(CaseEvent):
    """A leader's instruction (批示) on a case, with its text and what it led to."""

    EVENT_TYPE = "cases.case.instruction_given"

    instruction_id: Id = Field(description="Instruction id")
    digest_id: Id = Field(description="Digest (人大代表之声) the case was reported in")
    leader: Text = Field(description="Leader who gave it, e.g. 县人大常委会主任")
    text: str = Field(min_length=1, max_length=2000, description="The instruction as written")
    outcome: Literal["reopened", "key_chase", "noted"] = Field(
        description="Reopened for re-handling, flagged for key chasing, or noted on the case"
    )
    asked_case_id: CaseId | None = Field(
        default=None, description="The case the leader named, when it was merged into this one"
    )
    unit_ids: tuple[UnitId, ...] = Field(default=(), description="Units handling the case")
    deputy_ids: tuple[DeputyId, ...] = Field(default=(), description="Deputies behind the case")
    given_on: date = Field(description="Day it was recorded")


class CaseAssignmentChased(CaseEvent):
    """The assignment deadline (交办, 7 working days from receipt) is near or past."""

    EVENT_TYPE = "cases.case.assignment_chased"

    notice: Literal["warning", "overdue"] = Field(description="Warning before, or overdue after")
    owed_by: TownshipCode = Field(description="Township office that owes the assignment")
    received_on: date = Field(description="Day the item was received")
    assign_by: DueOn


class CaseDueDateRecomputed(CaseEvent):
    """A running due date moved because an official holiday arrangement was loaded."""

    EVENT_TYPE = "cases.case.due_date_recomputed"

    clock: Literal["reply", "assignment"] = Field(description="Which deadline moved")
    previous_due_on: date = Field(description="Due date counted before")
    due_on: DueOn
    calendar_year: int = Field(ge=2000, le=2100, description="Year whose arrangement was loaded")


class CaseWarning(CaseEvent):
    """A case used 50% or 75% of its clock (announced once per threshold)."""

    EVENT_TYPE = "cases.case.warning"

    threshold: Literal[50, 75] = Field(description="Share of the clock used, in percent")
    unit_ids: tuple[UnitId, ...] = Field(min_length=1, description="Units still handling")
    due_on: DueOn
    round: Round = 1


class CaseOverdue(CaseEvent):
    """A case breached its deadline (announced once per round)."""

    EVENT_TYPE = "cases.case.overdue"

    unit_ids: tuple[UnitId, ...] = Field(min_length=1, description="Units still handling")
    due_on: DueOn
    round: Round = 1


class CaseReminded(CaseEvent):
    """A daily, throttled reminder (催办) of an overdue case."""

    EVENT_TYPE = "cases.case.reminded"

    unit_ids: tuple[UnitId, ...] = Field(min_length=1, description="Units still handling")
    due_on: DueOn
    days_overdue: int = Field(ge=1, description="Working days past the due date")
    reminder: int = Field(ge=1, description="n-th reminder of this round")


class CaseEscalated(CaseEvent):
    """An overdue case was escalated one level up the chase ladder (once per level)."""

    EVENT_TYPE = "cases.case.escalated"

    level: EscalationLevel
    unit_ids: tuple[UnitId, ...] = Field(min_length=1, description="Units still handling")
    due_on: DueOn
    days_overdue: int = Field(ge=0, description="Working days past the due date")


class Measure(Part):
    """A rectification measure (整改措施) with its owner and due date."""

    measure_id: Id = Field(description="Measure id")
    description: Text = Field(description="What must be rectified and how")
    owner_unit_id: UnitId
    due_on: date = Field(description="Agreed completion date")


class SupervisionTopicOpened(EventData):
    """A supervision topic (监督议题) was opened, with the problems found and measures."""

    EVENT_TYPE = "cases.supervision.topic_opened"
    AGGREGATE = _TOPIC
    SUBJECT = "topic_id"

    topic_id: TopicId
    township: TownshipCode
    title: Text = Field(description="Title of the topic, e.g. 农村饮用水安全")
    origin: TopicOrigin
    year: int = Field(ge=2000, le=2100, description="Year of the supervision plan")
    case_ids: tuple[CaseId, ...] = Field(default=(), description="Cases it grew from")
    problems: tuple[Text, ...] = Field(default=(), description="Problems found")
    measures: tuple[Measure, ...] = Field(default=(), description="Rectification measures (整改)")
    opened_on: date = Field(description="Day the topic was opened")


class SupervisionFollowupLogged(EventData):
    """A follow-up entry on a supervision topic: what was done and the progress."""

    EVENT_TYPE = "cases.supervision.followup_logged"
    AGGREGATE = _TOPIC
    SUBJECT = "topic_id"

    topic_id: TopicId
    township: TownshipCode
    entry_id: Id = Field(description="Follow-up entry id (跟踪记录)")
    measure_id: Id | None = Field(default=None, description="Measure the entry is about, if one")
    logged_on: date = Field(description="Day of the follow-up")
    progress_percent: int = Field(ge=0, le=100, description="Overall rectification progress")
    note: str = Field(default="", max_length=2000, description="What was found or done")


class VoteCount(Part):
    """Satisfaction vote on a rectification report."""

    satisfied: int = Field(ge=0, description="满意 votes")
    basically_satisfied: int = Field(ge=0, description="基本满意 votes")
    unsatisfied: int = Field(ge=0, description="不满意 votes")


class SupervisionTopicClosed(EventData):
    """A supervision topic was closed after rectification and the satisfaction vote."""

    EVENT_TYPE = "cases.supervision.topic_closed"
    AGGREGATE = _TOPIC
    SUBJECT = "topic_id"

    topic_id: TopicId
    township: TownshipCode
    closed_on: date = Field(description="Day the topic was closed")
    progress_percent: int = Field(ge=0, le=100, description="Final rectification progress")
    rectified: bool = Field(description="All measures done (整改到位)")
    vote: VoteCount | None = Field(default=None, description="满意度测评 of the report, if held")


class SupervisionMeasureAdded(EventData):
    """A rectification measure was added to a supervision topic."""

    EVENT_TYPE = "cases.supervision.measure_added"
    AGGREGATE = _TOPIC
    SUBJECT = "topic_id"

    topic_id: TopicId
    township: TownshipCode
    measure: Measure = Field(description="The measure as added")
    added_on: date = Field(description="Day it was added")


class SupervisionMeasureWithdrawn(EventData):
    """A mistaken rectification measure was withdrawn, with the reason."""

    EVENT_TYPE = "cases.supervision.measure_withdrawn"
    AGGREGATE = _TOPIC
    SUBJECT = "topic_id"

    topic_id: TopicId
    township: TownshipCode
    measure_id: Id = Field(description="Measure withdrawn")
    reason: Text = Field(description="Why the measure was a mistake")
    withdrawn_on: date = Field(description="Day it was withdrawn")


class SupervisionReportSubmitted(EventData):
    """The rectification report was submitted for the satisfaction vote."""

    EVENT_TYPE = "cases.supervision.report_submitted"
    AGGREGATE = _TOPIC
    SUBJECT = "topic_id"

    topic_id: TopicId
    township: TownshipCode
    report_version: int = Field(ge=1, description="1, then 2 after a failing vote, …")
    submitted_on: date = Field(description="Day it was submitted")


class SupervisionVoteRecorded(EventData):
    """A satisfaction vote (满意度测评) on the report, passing or failing."""

    EVENT_TYPE = "cases.supervision.vote_recorded"
    AGGREGATE = _TOPIC
    SUBJECT = "topic_id"

    topic_id: TopicId
    township: TownshipCode
    report_version: int = Field(ge=1, description="Report version voted on")
    vote: VoteCount = Field(description="How the votes fell")
    passed: bool = Field(description="满意 + 基本满意 are a majority of the votes cast")
    held_on: date = Field(description="Day of the vote")
    recorded_by: UserId


class ThemeCount(Part):
    """How many items of one theme, in one township, a digest reports."""

    theme: Category
    township: TownshipCode
    count: int = Field(ge=0, description="Items of the theme from the township")


class DigestPublished(EventData):
    """A 人大代表之声 digest for a period was sent to county leaders."""

    EVENT_TYPE = "cases.digest.published"
    AGGREGATE = "digest (人大代表之声)"
    SUBJECT = "digest_id"
    SCOPE = "scope"

    digest_id: Id = Field(description="Digest id (人大代表之声)")
    scope: DivisionCode = Field(description="Area covered: usually a county (6 digits)")
    title: Text = Field(description="Title of the issue")
    period_start: date = Field(description="First day covered")
    period_end: date = Field(description="Last day covered")
    case_count: int = Field(ge=0, description="Suggestions and opinions reported")
    themes: tuple[ThemeCount, ...] = Field(default=(), description="Counts by theme and township")
    published_at: UtcDatetime = Field(description="When it was sent to county leaders")


class AttachmentAdded(EventData):
    """A file (a reply letter, a photo) was attached to a case; the bytes stay in the store."""

    EVENT_TYPE = "cases.attachment.added"
    AGGREGATE = "attachment"
    SUBJECT = "attachment_id"

    attachment_id: Id = Field(description="Attachment id (its download route names it)")
    owner_type: Literal["case"] = Field(description="Kind of record: a case")
    owner_id: Id = Field(description="Id of the record the file belongs to")
    township: TownshipCode
    content_type: ContentType
    size: FileSize
    sha256: Sha256
    uploaded_by: Uploader


class AttachmentRemoved(EventData):
    """An attachment was removed from its record (and its bytes from the store)."""

    EVENT_TYPE = "cases.attachment.removed"
    AGGREGATE = "attachment"
    SUBJECT = "attachment_id"

    attachment_id: Id = Field(description="The attachment removed")
    owner_type: Literal["case"] = Field(description="Kind of record: a case")
    owner_id: Id = Field(description="Id of the record the file belonged to")
    township: TownshipCode
    size: FileSize
    sha256: Sha256
    removed_by: Uploader


EVENTS: Final[tuple[type[EventData], ...]] = (
    SuggestionSubmitted,
    OpinionSubmitted,
    CaseTriaged,
    CaseAssigned,
    CaseKeyChaseDesignated,
    CaseReturned,
    CaseExtensionGranted,
    CaseReplied,
    CaseFeedbackGiven,
    CaseReopened,
    CaseClosed,
    CaseWarning,
    CaseOverdue,
    CaseReminded,
    CaseEscalated,
    CaseInstructionGiven,
    CaseAssignmentChased,
    CaseDueDateRecomputed,
    SupervisionTopicOpened,
    SupervisionFollowupLogged,
    SupervisionTopicClosed,
    SupervisionMeasureAdded,
    SupervisionMeasureWithdrawn,
    SupervisionReportSubmitted,
    SupervisionVoteRecorded,
    DigestPublished,
    AttachmentAdded,
    AttachmentRemoved,
)
"""Every event type this service publishes, current versions."""
