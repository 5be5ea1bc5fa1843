"""Request and response bodies of a unit's day: to-do list, bulk assignment, extension, opinions."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, Field, model_validator

from cases.entrypoints.api.schemas import Body
from contracts.vocabulary import HandlingRole

NO_NUL = r"^[^\x00]*$"
"""PostgreSQL text cannot hold NUL: refused as a 422 here, never a 500 at the database."""
Reason = Annotated[str, Field(min_length=1, max_length=500, pattern=NO_NUL)]
Comment = Annotated[str, Field(default="", max_length=2000, pattern=NO_NUL)]
CaseRef = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[!-~]+$")]
UnitRef = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
MAX_BULK = 200
"""Most cases one bulk assignment takes."""


class TodoItemOut(BaseModel):
    """One case a unit owes something on, and what."""

    case_id: str
    number: str | None = Field(description="The case's number (青山县2026年建议第37号)")
    kind: str
    township: str
    title: str
    state: str
    role: HandlingRole = Field(description="The unit's place on the case: lead (主办) or co (会办)")
    owed: str = Field(description="reply, co_opinion (会办意见) or follow_up (a B/C promise)")
    deadline: date = Field(description="When the owed step is due")
    warning: int | None = Field(description="Highest warning threshold (% of the clock) reached")
    overdue: bool
    days_left: int = Field(description="Calendar days to the deadline (negative when overdue)")
    key_chase: bool
    extension_pending: bool = Field(description="The unit's application for extension awaits")
    may_apply_extension: bool
    co_opinions_missing: list[str] = Field(description="Co-handlers still to give their opinion")
    return_by: date | None = Field(description="Last day the unit may return (退办) the case")
    version: int = Field(description="The case's version (If-Match of the next step)")


class TodoPage(BaseModel):
    """A page of a unit's to-do list, earliest deadline first."""

    items: list[TodoItemOut]
    total: int
    page: int
    page_size: int


class BulkItemIn(Body):
    """One case to assign, at the version the caller read."""

    case_id: CaseRef
    version: int = Field(ge=0, le=2**31 - 1, description="The case's version as read (its ETag)")
    lead_unit_id: UnitRef
    co_unit_ids: list[UnitRef] = Field(default_factory=list)
    comment: Comment


class BulkAssignIn(Body):
    """Many cases assigned in one request; each case succeeds or fails on its own."""

    items: list[BulkItemIn] = Field(min_length=1, max_length=MAX_BULK)

    @model_validator(mode="after")
    def _once_each(self) -> BulkAssignIn:
        ids = [i.case_id for i in self.items]
        if len(set(ids)) != len(ids):
            raise ValueError("each case appears once in a bulk assignment")
        return self


class BulkItemOut(BaseModel):
    """What became of one case: its new state and version, or the problem (as a single call's)."""

    case_id: str
    status: int = Field(description="200, or the status a single assignment would have answered")
    state: str | None = None
    version: int | None = None
    problem: dict[str, Any] | None = Field(default=None, description="RFC 9457 problem body")


class BulkAssignOut(BaseModel):
    """The outcome of every case of a bulk assignment (HTTP 207 Multi-Status)."""

    batch_id: str = Field(description="Id of this request in each case's audit entry")
    succeeded: int
    failed: int
    results: list[BulkItemOut]


class ExtensionApplyIn(Body):
    """The lead unit's application for the extension (申请延期)."""

    due_on: date = Field(description="The due date asked for (a later working day)")
    reason: Reason


class ExtensionGrantIn(Body):
    """A county role grants the pending application (the date asked for unless another is set)."""

    due_on: date | None = None
    comment: Annotated[str, Field(default="", max_length=200, pattern=NO_NUL)]


class ExtensionRefuseIn(Body):
    """A county role refuses the pending application, saying why."""

    reason: Reason


class CoOpinionRecordIn(Body):
    """A co-handling unit's opinion (会办意见)."""

    text: Annotated[str, Field(min_length=1, max_length=5000, pattern=NO_NUL)]


class DecisionIn(Body):
    """A leader's decision taken at a meeting, recorded by county staff on their behalf."""

    leader: Annotated[
        str,
        Field(min_length=1, max_length=100, pattern=NO_NUL, description="e.g. 县人大常委会主任"),
    ]
    meeting_ref: Annotated[
        str,
        Field(
            min_length=1, max_length=200, pattern=NO_NUL, description="e.g. 主任会议纪要〔2026〕7号"
        ),
    ]
    decided_on: date


class KeyChaseIn(Body):
    """Key chasing (重点督办): a leader's own designation, or staff recording a leader's decision."""

    comment: Comment
    decision: DecisionIn | None = None
