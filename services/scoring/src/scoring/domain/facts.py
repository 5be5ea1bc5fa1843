"""The facts scoring reacts to: small, frozen records cut from the contract events.

One event gives at most one fact. Every fact carries the id and type of the event it came from,
which is the ``source_event_id`` of every ledger entry derived from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from contracts.vocabulary import (
    ActivityType,
    CaseKind,
    DeputyStatus,
    Level,
    OutletLevel,
    Placement,
    ReopenReason,
    ReplyClass,
    Satisfaction,
    TownshipKind,
)
from scoring.domain.slots import set_by_slot


class Presence(StrEnum):
    """A deputy at an activity; ``partial`` (部分参加) is ready for when the events carry it."""

    present = "present"
    partial = "partial"
    excused = "excused"
    unexcused_absence = "unexcused_absence"


@set_by_slot
@dataclass(frozen=True, slots=True)
class Source:
    """The event a fact was cut from, and the China day it was published."""

    event_id: UUID
    event_type: str
    published_on: date


@set_by_slot
@dataclass(frozen=True, slots=True)
class TownshipKnown:
    """A township joined: its county and kind (镇 has a congress, 街道 has not)."""

    source: Source
    township: str
    county: str
    kind: TownshipKind


@set_by_slot
@dataclass(frozen=True, slots=True)
class DeputyOnRoster:
    """A deputy's roster record: township, levels and status, as of an aggregate version."""

    source: Source
    deputy_id: str
    township: str
    levels: frozenset[Level]
    status: DeputyStatus
    version: int
    name: str | None = None  # on registration and updates; a status change does not carry it


@set_by_slot
@dataclass(frozen=True, slots=True)
class ActivityHeld:
    """An activity as logged or corrected (``corrects`` tells which), with attendance."""

    source: Source
    activity_id: str
    township: str
    activity_type: ActivityType
    levels: frozenset[Level]
    held_on: date
    hours: Decimal
    attendance: tuple[tuple[str, Presence], ...]
    version: int
    corrects: bool


@set_by_slot
@dataclass(frozen=True, slots=True)
class AttendanceMarked:
    """One deputy's mark recorded, corrected or removed (``presence`` None) on its own."""

    source: Source
    activity_id: str
    township: str
    deputy_id: str
    presence: Presence | None
    activity_type: ActivityType
    levels: frozenset[Level]
    held_on: date
    version: int


@set_by_slot
@dataclass(frozen=True, slots=True)
class ActivityCancelled:
    """A logged activity was cancelled: all derived from it is reversed."""

    source: Source
    activity_id: str
    township: str
    version: int


@set_by_slot
@dataclass(frozen=True, slots=True)
class SuggestionFiled:
    """A suggestion (代表建议) with its first signatory and joint signatories."""

    source: Source
    case_id: str
    township: str
    lead: str
    co_signers: tuple[str, ...]
    filed_on: date


@set_by_slot
@dataclass(frozen=True, slots=True)
class CaseReplied:
    """A reply (答复) with its class and whether it came on time."""

    source: Source
    case_id: str
    township: str
    kind: CaseKind
    reply_class: ReplyClass
    on_time: bool
    replied_on: date
    round: int = 1  # the handling round it answers (2 after a reopening)
    due_on: date | None = None  # the round's due date the reply was judged against


@set_by_slot
@dataclass(frozen=True, slots=True)
class CaseAssigned:
    """A case was assigned (交办): its kind, and whether it was flagged for 重点督办 at once."""

    source: Source
    case_id: str
    township: str
    kind: CaseKind
    assigned_on: date
    key_chase: bool


@set_by_slot
@dataclass(frozen=True, slots=True)
class CaseReopened:
    """A case is handled again (重新办理): its closure and the last round's outcome no longer stand."""

    source: Source
    case_id: str
    township: str
    reason: ReopenReason
    reopened_on: date
    round: int


@set_by_slot
@dataclass(frozen=True, slots=True)
class CaseOverdue:
    """A case's handling round passed its due date without a reply (announced once per round)."""

    source: Source
    case_id: str
    township: str
    due_on: date
    round: int


@set_by_slot
@dataclass(frozen=True, slots=True)
class DueDateMoved:
    """A holiday arrangement loaded later moved a running deadline (the reply's or the 交办's)."""

    source: Source
    case_id: str
    township: str
    assignment: bool  # True: the assignment deadline (交办); False: the reply's
    previous_due_on: date
    due_on: date


@set_by_slot
@dataclass(frozen=True, slots=True)
class AssignmentOverdue:
    """The township office did not assign (交办) a received item by its deadline."""

    source: Source
    case_id: str
    township: str  # the office that owes the assignment
    assign_by: date


@set_by_slot
@dataclass(frozen=True, slots=True)
class KeyChaseDesignated:
    """A case was flagged for 重点督办 (at assignment or later)."""

    source: Source
    case_id: str
    township: str
    designated_on: date


@set_by_slot
@dataclass(frozen=True, slots=True)
class FeedbackGiven:
    """A deputy's rating of a reply's result (满意/基本满意/不满意)."""

    source: Source
    case_id: str
    township: str
    deputy_id: str
    result: Satisfaction
    given_on: date


@set_by_slot
@dataclass(frozen=True, slots=True)
class CaseClosed:
    """A case was closed (办结): answered or not, solved (class A) or not, on time or not."""

    source: Source
    case_id: str
    township: str
    kind: CaseKind
    replied: bool
    solved: bool
    on_time: bool
    closed_on: date


@set_by_slot
@dataclass(frozen=True, slots=True)
class TopicClosed:
    """A supervision topic closed: rectified or not, and its vote (None when none was held)."""

    source: Source
    topic_id: str
    township: str
    rectified: bool
    vote_passed: bool | None
    closed_on: date


@set_by_slot
@dataclass(frozen=True, slots=True)
class RosterVerified:
    """Township staff confirmed the roster current (on a China day)."""

    source: Source
    township: str
    verified_on: date


@set_by_slot
@dataclass(frozen=True, slots=True)
class Stale:
    """A roster (``station_id`` None) or a station went one more period without refresh."""

    source: Source
    township: str
    station_id: str | None
    stale_since: date


@set_by_slot
@dataclass(frozen=True, slots=True)
class HighlightReported:
    """A township reported its highlight work (一镇街一特色) for a year."""

    source: Source
    highlight_id: str
    township: str
    year: int
    version: int = 1


@set_by_slot
@dataclass(frozen=True, slots=True)
class HighlightWithdrawn:
    """A highlight report was withdrawn: it no longer counts."""

    source: Source
    highlight_id: str
    township: str
    version: int


@set_by_slot
@dataclass(frozen=True, slots=True)
class ManuscriptSubmitted:
    """A manuscript (稿件) was submitted (报送) to an outlet."""

    source: Source
    manuscript_id: str
    township: str
    submitted_on: date


@set_by_slot
@dataclass(frozen=True, slots=True)
class ManuscriptPublished:
    """A manuscript (稿件) was published at an outlet level and placement."""

    source: Source
    manuscript_id: str
    township: str
    outlet_level: OutletLevel
    placement: Placement
    published_on: date


@set_by_slot
@dataclass(frozen=True, slots=True)
class ManuscriptCorrected:
    """A manuscript's whole record as corrected: it stands published (at one level) or not."""

    source: Source
    manuscript_id: str
    township: str
    submitted_on: date
    publication: ManuscriptPublished | None
    version: int


@set_by_slot
@dataclass(frozen=True, slots=True)
class ManuscriptWithdrawn:
    """A manuscript (and its publication) was withdrawn: it no longer counts."""

    source: Source
    manuscript_id: str
    township: str
    version: int


@set_by_slot
@dataclass(frozen=True, slots=True)
class StatusCorrected:
    """A wrong status change was undone: the deputy's status is ``status`` again."""

    source: Source
    deputy_id: str
    township: str
    status: DeputyStatus
    version: int


Fact = (
    TownshipKnown
    | DeputyOnRoster
    | ActivityHeld
    | AttendanceMarked
    | ActivityCancelled
    | SuggestionFiled
    | CaseReplied
    | CaseAssigned
    | CaseReopened
    | CaseOverdue
    | DueDateMoved
    | AssignmentOverdue
    | KeyChaseDesignated
    | FeedbackGiven
    | CaseClosed
    | TopicClosed
    | RosterVerified
    | Stale
    | HighlightReported
    | HighlightWithdrawn
    | ManuscriptSubmitted
    | ManuscriptPublished
    | ManuscriptCorrected
    | ManuscriptWithdrawn
    | StatusCorrected
)
