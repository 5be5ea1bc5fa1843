"""Request and response bodies of the HTTP API (the OpenAPI document is built from them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from contracts.vocabulary import (
    CaseKind,
    HandlingRole,
    Level,
    NotAcceptedReason,
    OpinionOrigin,
    ReopenReason,
    ReplyClass,
    Satisfaction,
    SuggestionTiming,
)
from kit.masking import valid_mobile

Township = Annotated[str, Field(pattern=r"^\d{9}$", description="9-digit township code")]
Text = Annotated[str, Field(max_length=20_000)]
Comment = Annotated[str, Field(default="", max_length=2000)]


class Body(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class SuggestionIn(Body):
    """A deputy's suggestion (代表建议), alone or with co-signatories (附议)."""

    township: Township
    title: Annotated[str, Field(max_length=200)]
    content: Text
    category: Annotated[str, Field(max_length=100)]
    lead_deputy_id: Annotated[str, Field(min_length=1, max_length=64)]
    co_deputy_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = []
    level: Level = Level.county
    timing: SuggestionTiming = SuggestionTiming.between_sessions
    confidential: bool = False


def _mobile(value: str | None) -> str | None:
    """Accept a mainland mobile number as the roster does (11 digits, ``1[3-9]`` first)."""
    if value is None:
        return None
    compact = value.strip().replace(" ", "").replace("-", "")
    if not valid_mobile(compact):
        raise ValueError("not a valid mobile phone number (11 digits starting 13-19)")
    return compact


class ConstituentIn(Body):
    """The constituent behind an opinion (restricted: masked for most readers)."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    phone: Annotated[str | None, Field(max_length=40), AfterValidator(_mobile)] = None
    address: Annotated[str | None, Field(max_length=300)] = None


class OpinionIn(Body):
    """A constituent's opinion (选民意见) received by deputies."""

    township: Township
    title: Annotated[str, Field(max_length=200)]
    content: Text
    category: Annotated[str, Field(max_length=100)]
    receiving_deputy_ids: list[Annotated[str, Field(min_length=1, max_length=64)]]
    origin: OpinionOrigin = OpinionOrigin.deputy
    station_id: str | None = None
    activity_id: str | None = None
    constituent: ConstituentIn | None = None


class AnswerIn(Body):
    """Answered on the spot."""

    answer: Text


class NotAcceptIn(Body):
    """Not accepted, for a reason from the fixed list (other needs a comment)."""

    reason: NotAcceptedReason
    comment: Comment


class MergeIn(Body):
    """Merged into another open case of the same township."""

    merged_into: Annotated[str, Field(min_length=1, max_length=64)]
    comment: Comment


class AcceptIn(Body):
    """Accepted for assignment; complex suggestions run on the 6-month clock."""

    complex: bool = False
    comment: Comment


class CommentIn(Body):
    """A step that only needs a comment."""

    comment: Comment


class AssignIn(Body):
    """Assigned to one lead unit (主办) and any co-handlers (会办)."""

    lead_unit_id: Annotated[str, Field(min_length=1, max_length=64)]
    co_unit_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = []
    comment: Comment


class ReturnIn(Body):
    """Returned by a unit within the window."""

    unit_id: Annotated[str | None, Field(max_length=64)] = None
    reason: Annotated[str, Field(max_length=2000)]


class ExtendIn(Body):
    """The one extension: a later working-day due date, at most the policy's limit."""

    due_on: date
    reason: Annotated[str, Field(max_length=2000)]


class CoOpinionIn(Body):
    """A co-handler's opinion the reply states."""

    unit_id: str
    text: Text


class ReplyIn(Body):
    """The lead unit's reply with its class; B and C promise a date."""

    reply_class: ReplyClass = Field(description="A solved, B being solved, C planned, D explained")
    text: Text
    unit_id: str | None = None
    co_opinions: list[CoOpinionIn] = []
    follow_up_due_on: date | None = None


class FeedbackIn(Body):
    """The submitting deputy's rating of process and result."""

    process: Satisfaction
    result: Satisfaction
    comment: Comment


class CarryOverIn(Body):
    """A follow-up item moves into the next year."""

    into_year: Annotated[int, Field(ge=2000, le=2100)]


class ReopenIn(Body):
    """Handled again, e.g. on a leader's instruction (批示)."""

    reason: ReopenReason
    comment: Annotated[str, Field(max_length=2000)]


class UnitIn(Body):
    """A handling unit (承办单位) registered for assignment."""

    unit_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    scope: Annotated[str, Field(pattern=r"^\d{2,12}$", description="Area it serves")]


class UnitOut(BaseModel):
    """A registered handling unit."""

    unit_id: str
    name: str
    scope: str
    active: bool


class ClockIn(Body):
    """A township's reply clock for constituents' opinions."""

    opinion_days: Annotated[int, Field(ge=1, le=366)]


class UnitView(BaseModel):
    """A unit on a case."""

    unit_id: str
    name: str
    role: HandlingRole


class ConstituentOut(BaseModel):
    """The constituent, masked unless the reader needs the contacts."""

    name: str
    phone: str | None
    address: str | None


class DeadlinesOut(BaseModel):
    """Every deadline the case has now (null when it does not apply)."""

    assign_by: date | None = Field(description="Assignment (交办) due, while not yet assigned")
    due_on: date | None = Field(description="Reply due")
    return_by: date | None = Field(description="Last day a unit may return (退办) the case")
    extension_until: date | None = Field(description="Latest due date an extension may grant")
    outer_limit: date | None = Field(description="Statutory outer limit of the reply clock")
    follow_up_due_on: date | None = Field(description="Date a B/C reply promised")


class CaseOut(BaseModel):
    """A case as the reader may see it, with the actions possible next."""

    case_id: str
    number: str | None = Field(default=None, description="青山县2026年建议第37号")
    kind: CaseKind
    township: str
    title: str
    content: str
    category: str
    deputy_ids: list[str]
    state: str
    received_on: date
    assign_by: date
    confidential: bool
    complex_: bool
    key_chase: bool
    units: list[UnitView]
    assignment: int
    assigned_on: date | None
    round: int
    clock: str | None
    due_on: date | None
    extension: dict[str, object] | None
    replies: list[dict[str, object]]
    feedback: list[dict[str, object]]
    solved: bool
    carried_into: int | None
    not_accepted_reason: NotAcceptedReason | None
    merged_into: str | None
    suggestion_case_id: str | None
    deadlines: DeadlinesOut | None = None
    calendar_fallback: bool = Field(
        default=False,
        description="A deadline was counted Monday-Friday: no official holidays for its year",
    )
    from_opinion_id: str | None = Field(
        default=None, description="The opinion this suggestion was turned from (转为建议)"
    )
    extension_requests: list[dict[str, object]] = Field(
        default=[], description="Applications for extension (申请延期) and their decisions"
    )
    unit_opinions: list[dict[str, object]] = Field(
        default=[], description="Co-handlers' own opinions (会办意见), every round"
    )
    co_opinions_missing: list[str] = Field(
        default=[], description="Co-handlers whose opinion this round is not in yet"
    )
    key_chase_decision: dict[str, object] | None = Field(
        default=None, description="Leader's decision recorded on their behalf (key chasing)"
    )
    version: int
    overdue: bool
    allowed_actions: list[str] = Field(description="What the case's state allows")
    your_actions: list[str] = Field(description="What you may do now (state and role)")
    constituent: ConstituentOut | None
    contacts_in_clear: bool


class CaseSummary(BaseModel):
    """A line of a case list."""

    case_id: str
    number: str | None = None
    kind: str
    township: str
    state: str
    category: str
    title: str
    lead_unit_id: str | None
    received_on: date
    due_on: date | None
    key_chase: bool
    reply_class: str | None
    on_time: bool | None
    solved: bool
    overdue: bool
    version: int


class CasePage(BaseModel):
    """A page of cases."""

    items: list[CaseSummary]
    total: int
    page: int
    page_size: int


class Step(BaseModel):
    """One timeline entry: who did what, when, from which state to which."""

    seq: int
    at: datetime
    actor: str
    action: str
    before: str | None
    after: str
    comment: str


class SimilarOut(BaseModel):
    """An open case that looks like this one."""

    case_id: str
    score: float
    title: str
    state: str
    kind: str
    received_on: date


class CreatedOut(BaseModel):
    """The id of what a request created."""

    case_id: str
    suggestion_case_id: str | None = None


class StepOut(BaseModel):
    """Where a case stands after a step."""

    case_id: str
    state: str
    version: int
