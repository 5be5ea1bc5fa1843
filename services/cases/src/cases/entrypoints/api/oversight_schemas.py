"""Request and response bodies of supervision topics, digests and statistics."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from cases.domain.topics import MeasureStatus
from cases.entrypoints.api.schemas import Body, Township
from contracts.vocabulary import TopicOrigin


class MeasureIn(Body):
    """A rectification measure (整改措施) with its owner unit and due date."""

    description: Annotated[str, Field(min_length=1, max_length=2000)]
    owner_unit_id: Annotated[str, Field(min_length=1, max_length=64)]
    due_on: date
    weight: Annotated[int, Field(ge=1, le=100)] = 1


class TopicIn(Body):
    """A supervision topic (监督议题) from the annual plan or a cluster of cases."""

    township: Township
    title: Annotated[str, Field(max_length=300)]
    origin: TopicOrigin
    year: Annotated[int, Field(ge=2000, le=2100)]
    case_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(default_factory=list)
    problems: list[Annotated[str, Field(min_length=1, max_length=2000)]] = Field(
        default_factory=list
    )
    measures: list[MeasureIn] = Field(default_factory=list)


class FollowUpIn(Body):
    """A follow-up entry (跟踪记录); a measure's status or progress may move with it."""

    note: Annotated[str, Field(max_length=2000)] = ""
    measure_id: str | None = None
    status: MeasureStatus | None = None
    progress: Annotated[int | None, Field(ge=0, le=100)] = None


class ReportIn(Body):
    """The rectification report (整改报告) put to the satisfaction vote."""

    text: Annotated[str, Field(max_length=20_000)]


class VoteIn(Body):
    """The satisfaction vote (满意度测评) on the report."""

    satisfied: Annotated[int, Field(ge=0)]
    basically_satisfied: Annotated[int, Field(ge=0)]
    unsatisfied: Annotated[int, Field(ge=0)]
    held_on: date | None = Field(default=None, description="Day of the vote (default: today)")


class WithdrawIn(Body):
    """Why a rectification measure was a mistake."""

    reason: Annotated[str, Field(min_length=1, max_length=500)]


class MeasureOut(BaseModel):
    """A measure and how far it got."""

    measure_id: str
    description: str
    owner_unit_id: str
    due_on: date
    weight: int
    status: str
    percent: int
    withdrawn_reason: str | None = None
    withdrawn_on: date | None = None


class TopicOut(BaseModel):
    """A supervision topic with its progress (weighted over the measures)."""

    topic_id: str
    township: str
    title: str
    origin: str
    year: int
    state: str
    case_ids: list[str]
    problems: list[str]
    measures: list[MeasureOut]
    followups: list[dict[str, object]]
    report: str
    reports: list[dict[str, object]] = Field(description="Every version of the report submitted")
    votes: list[dict[str, object]] = Field(description="Every vote, with date and recorder")
    opened_on: date
    closed_on: date | None
    progress: int
    rectified: bool
    allowed_actions: list[str]
    version: int


class DigestIn(Body):
    """A 人大代表之声 digest for a period and an area."""

    scope: Annotated[str, Field(pattern=r"^\d{6,12}$", description="Usually a county (6 digits)")]
    period_start: date
    period_end: date
    title: Annotated[str, Field(min_length=1, max_length=200)]


class DigestOut(BaseModel):
    """A published digest: what it covers and its counts; the documents are separate."""

    digest_id: str
    scope: str
    title: str
    period_start: date
    period_end: date
    case_count: int
    published_at: datetime
    published_by: str
    summary: dict[str, object]


class InstructionIn(Body):
    """A leader's instruction (批示) on a case the digest reported."""

    leader: Annotated[str, Field(min_length=1, max_length=100)]
    text: Annotated[str, Field(max_length=2000)]
    case_id: Annotated[str, Field(min_length=1, max_length=64)]


class InstructionOut(BaseModel):
    """What an instruction turned into."""

    instruction_id: str
    case_id: str = Field(description="The case the instruction works on (the survivor of a merge)")
    asked_case_id: str = Field(description="The case the leader named")
    outcome: str
    state: str
    version: int


class RateOut(BaseModel):
    """A rate with what it is a share of."""

    name: str
    value: float | None = Field(description="numerator / of; null when of is 0")
    numerator: int
    denominator: str = Field(description="What the rate is taken over: replied, total, …")
    of: int = Field(description="How many cases the denominator counts")


class TallyOut(BaseModel):
    """Counts and rates of one group of cases."""

    key: str
    total: int
    by_state: dict[str, int]
    replied: int
    on_time: int
    solved: int
    class_a: int
    with_feedback: int
    satisfied: int
    overdue: int
    on_time_rate: float | None = Field(description="on_time / replied")
    solved_rate: float | None = Field(description="solved / replied")
    solved_rate_of_all: float | None = Field(description="solved / total")
    class_a_share: float | None = Field(description="class_a / replied")
    satisfaction_rate: float | None = Field(description="satisfied / with_feedback")
    rates: list[RateOut] = Field(description="Every rate with its numerator and denominator")


class StatisticsOut(BaseModel):
    """Statistics of a scope and period, overall and per group."""

    scope: str
    period_start: date | None
    period_end: date | None
    by: str
    kind: str | None = None
    overall: TallyOut
    groups: list[TallyOut]
