"""Value objects a case holds: actor, handling units, replies, feedback, extension, timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from cases.domain.states import Action, State
from contracts.vocabulary import HandlingRole, ReplyClass, Satisfaction

COUNTY_ROLES = frozenset({"county_admin", "county_leader"})
"""Roles of the county standing committee that approve extensions and reopen cases."""


@dataclass(frozen=True)
class Actor:
    """Who acts: a user id, their roles and, for deputies and units, whom they stand for."""

    user_id: str
    roles: frozenset[str] = frozenset()
    deputy_id: str | None = None
    unit_id: str | None = None

    def has(self, *roles: str) -> bool:
        """Tell whether the actor holds any of the roles."""
        return bool(self.roles.intersection(roles))


@dataclass(frozen=True)
class Unit:
    """A handling unit (承办单位) on a case, as lead (主办) or co-handler (会办)."""

    unit_id: str
    name: str
    role: HandlingRole


@dataclass(frozen=True)
class CoOpinion:
    """A co-handler's opinion (会办意见) the lead unit's reply states."""

    unit_id: str
    text: str


@dataclass(frozen=True)
class Reply:
    """The lead unit's formal reply (答复) in one handling round."""

    round: int
    unit_id: str
    reply_class: ReplyClass
    text: str
    replied_on: date
    due_on: date
    co_opinions: tuple[CoOpinion, ...] = ()
    follow_up_due_on: date | None = None

    @property
    def on_time(self) -> bool:
        """Tell whether the reply came on or before its due date."""
        return self.replied_on <= self.due_on


@dataclass(frozen=True)
class Feedback:
    """The submitting deputy's rating of process and result in one round."""

    round: int
    deputy_id: str
    process: Satisfaction
    result: Satisfaction
    given_on: date

    @property
    def unsatisfied(self) -> bool:
        """Tell whether either rating is 不满意."""
        return Satisfaction.unsatisfied in (self.process, self.result)


@dataclass(frozen=True)
class Extension:
    """The one extension (延期) a case may get."""

    previous_due_on: date
    due_on: date
    reason: str
    granted_by: str
    granted_on: date


@dataclass(frozen=True)
class ExtensionRequest:
    """A lead unit's application for the extension (申请延期) and, once made, the decision."""

    unit_id: str
    due_on: date  # the due date the unit asks for
    reason: str
    applied_by: str
    applied_on: date
    round: int
    decision: str | None = None  # "granted" or "refused"; None while pending
    decided_by: str | None = None
    decided_on: date | None = None
    answer: str = ""  # why it was refused


@dataclass(frozen=True)
class UnitOpinion:
    """A co-handling unit's own opinion (会办意见) in one round, recorded by the unit itself."""

    unit_id: str
    text: str
    round: int
    recorded_on: date
    recorded_by: str


@dataclass(frozen=True)
class LeaderDecision:
    """A leader's decision taken at a meeting and recorded by county staff on their behalf."""

    leader: str
    meeting_ref: str
    decided_on: date
    recorded_by: str


@dataclass(frozen=True)
class TimelineEntry:
    """One step in a case's history: who did what, when, from which state to which."""

    at: datetime
    actor: str
    action: Action
    before: State | None
    after: State
    comment: str = ""
