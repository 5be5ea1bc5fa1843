"""The case aggregate: what a suggestion or opinion is and where it stands, with its guards."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from cases.domain.chasing import RunningClock
from cases.domain.errors import IllegalTransitionError, invalid
from cases.domain.numbering import CaseNumber
from cases.domain.records import (
    Actor,
    Extension,
    ExtensionRequest,
    Feedback,
    LeaderDecision,
    Reply,
    TimelineEntry,
    Unit,
    UnitOpinion,
)
from cases.domain.states import FINAL, HANDLING, INTERNAL, TRANSITIONS, Action, State
from contracts.vocabulary import (
    CaseKind,
    Clock,
    HandlingRole,
    Level,
    NotAcceptedReason,
    OpinionOrigin,
    ReplyClass,
    SuggestionTiming,
)
from kit.clock import china_day

MAX_ROUNDS = 2
"""Unsatisfied feedback reopens a case once (Shanghai Art. 21); later ratings are recorded as given."""


@dataclass(eq=False)
class Case:
    """A suggestion (代表建议) or a constituent's opinion (选民意见), from intake to closure."""

    case_id: str
    kind: CaseKind
    township: str
    title: str
    content: str
    category: str
    deputy_ids: tuple[str, ...]  # the first one gives feedback: 领衔代表 or the receiving deputy
    received_on: date
    assign_by: date
    confidential: bool = False
    level: Level | None = None  # suggestions: the congress it is filed with
    timing: SuggestionTiming | None = None  # suggestions: during or between sessions
    origin: OpinionOrigin | None = None  # opinions: reception day, a deputy, 人大代表之声
    station_id: str | None = None  # opinions: the liaison station that received it
    activity_id: str | None = None  # opinions: the reception-day activity
    state: State = State.received
    complex_: bool = False
    key_chase: bool = False
    not_accepted_reason: NotAcceptedReason | None = None
    merged_into: str | None = None
    suggestion_case_id: str | None = None
    from_opinion_id: str | None = None  # a suggestion turned from a constituent's opinion
    calendar_fallback: bool = False  # a deadline counted Monday-Friday: no official holidays
    units: tuple[Unit, ...] = ()
    assignment: int = 0
    assigned_on: date | None = None
    round: int = 1
    clock: Clock | None = None
    clock_start: date | None = None
    due_on: date | None = None
    extension: Extension | None = None
    replies: list[Reply] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)
    solved: bool = False
    carried_into: int | None = None
    extension_requests: list[ExtensionRequest] = field(default_factory=list)
    unit_opinions: list[UnitOpinion] = field(default_factory=list)  # 会办意见, every round
    key_chase_decision: LeaderDecision | None = None  # recorded on a leader's behalf
    timeline: list[TimelineEntry] = field(default_factory=list)
    version: int = 0
    number: CaseNumber | None = None  # given at filing; kept in its columns, not the document

    @property
    def submitter(self) -> str:
        """Return the deputy whose feedback counts."""
        return self.deputy_ids[0]

    @property
    def lead(self) -> Unit | None:
        """Return the lead unit (主办), if assigned."""
        return next((u for u in self.units if u.role is HandlingRole.lead), None)

    @property
    def co_units(self) -> tuple[Unit, ...]:
        """Return the co-handlers (会办)."""
        return tuple(u for u in self.units if u.role is HandlingRole.co)

    @property
    def last_reply(self) -> Reply | None:
        """Return the latest reply, if any."""
        return self.replies[-1] if self.replies else None

    @property
    def reply_class(self) -> ReplyClass | None:
        """Return the class of the latest reply, if any."""
        return self.last_reply.reply_class if self.last_reply else None

    @property
    def pending_extension(self) -> ExtensionRequest | None:
        """Return the application for extension still waiting for a decision, if any."""
        last = self.extension_requests[-1] if self.extension_requests else None
        return last if last is not None and last.decision is None else None

    def opinions_now(self) -> dict[str, UnitOpinion]:
        """Return this round's recorded co-handlers' opinions by unit, of units still on the case."""
        co = {u.unit_id for u in self.co_units}
        return {
            o.unit_id: o for o in self.unit_opinions if o.round == self.round and o.unit_id in co
        }

    def opinions_missing(self) -> tuple[str, ...]:
        """Return the co-handlers whose opinion this round is not in yet."""
        have = self.opinions_now()
        return tuple(u.unit_id for u in self.co_units if u.unit_id not in have)

    @property
    def on_time(self) -> bool:
        """Tell whether every reply so far came on time."""
        return all(r.on_time for r in self.replies)

    @property
    def ended(self) -> bool:
        """Tell whether the case is closed or was ended at triage."""
        return self.state is State.closed or self.state in FINAL

    def running_clock(self) -> RunningClock | None:
        """Return the handling clock while one runs, for chasing."""
        if self.state not in HANDLING or self.clock_start is None or self.due_on is None:
            return None
        return RunningClock(self.clock_start, self.due_on, self.round)

    def assignment_clock(self) -> RunningClock | None:
        """Return the assignment deadline's clock (交办, from receipt) while it runs."""
        if self.state not in (State.received, State.accepted) or self.assign_by < self.received_on:
            return None
        return RunningClock(self.received_on, self.assign_by, 0)

    def allowed_actions(self) -> frozenset[Action]:
        """Return the actions a caller may ask for now, given the state and what the case used."""
        return self.possible_actions() - INTERNAL

    def possible_actions(self) -> frozenset[Action]:
        """Return every action possible now, internal ones (a merge's absorb) included."""
        allowed = set(TRANSITIONS[self.state])
        if self.kind is not CaseKind.opinion:
            allowed.discard(Action.to_suggestion)
        if self.extension is not None:
            allowed -= {Action.extend, Action.apply_extension}
        if self.pending_extension is None:
            allowed.discard(Action.refuse_extension)
        else:
            allowed.discard(Action.apply_extension)
        if not self.co_units:
            allowed.discard(Action.co_opinion)
        if self.key_chase:
            allowed.discard(Action.designate_key_chase)
        return frozenset(allowed)

    def require(self, action: Action) -> None:
        """Raise ``IllegalTransitionError`` unless ``action`` is possible now."""
        if action in self.possible_actions():
            return
        offered = sorted(self.allowed_actions())
        reason = self._why_not(action) if action in TRANSITIONS[self.state] else None
        if reason is not None:
            raise IllegalTransitionError(self.state, action, offered, reason)
        if action in (Action.extend, Action.apply_extension) and self.extension is not None:
            reason = f"the one extension was already granted (until {self.extension.due_on})"
            raise IllegalTransitionError(self.state, action, offered, reason)
        if action is Action.designate_key_chase and self.key_chase:
            reason = "key chasing (重点督办) was already designated for this case"
            raise IllegalTransitionError(self.state, action, offered, reason)
        raise IllegalTransitionError(self.state, action, offered)

    def _why_not(self, action: Action) -> str | None:
        """Return why an action the state allows is not possible on this case, if known."""
        if action is Action.apply_extension and self.pending_extension is not None:
            return "an application for extension is already waiting for a decision"
        if action is Action.refuse_extension and self.pending_extension is None:
            return "no application for extension is waiting for a decision"
        if action is Action.co_opinion and not self.co_units:
            return "the case has no co-handling unit (会办)"
        return None

    def record(
        self, action: Action, before: State | None, by: Actor, at: datetime, comment: str = ""
    ) -> None:
        """Append a timeline entry for a step just taken and bump the version."""
        self.timeline.append(TimelineEntry(at, by.user_id, action, before, self.state, comment))
        self.version += 1


def day_of(at: datetime) -> date:
    """Return the Chinese calendar day of an action's timestamp (aware timestamps only)."""
    if at.tzinfo is None:
        raise invalid("at", "timestamps must carry a time zone", "timezone_missing")
    return china_day(at)


def required_text(loc: str, value: str, max_length: int = 20_000) -> str:
    """Return ``value`` stripped, or raise ``InputError`` when it is empty or too long."""
    text = value.strip()
    if not text:
        raise invalid(loc, "must not be empty", "missing_text")
    if len(text) > max_length:
        raise invalid(loc, f"must be at most {max_length} characters", "too_long")
    return text
