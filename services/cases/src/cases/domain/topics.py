"""Supervision topics (监督议题): problems, rectification measures, follow-up, report, vote, close.

A topic is opened from the annual supervision plan or from a cluster of cases. Its progress is
the weighted mean of its measures' progress (a status gives a default percentage, an explicit one
overrides it). The rectification report goes to a satisfaction vote (满意度测评): it passes with a
majority of the votes cast for 满意 and 基本满意; a failing vote sends it back for more work.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType

from cases.domain.errors import FieldError, InputError, invalid
from contracts.vocabulary import TopicOrigin
from kit.errors import TransitionError

_TOWNSHIP = re.compile(r"\d{9}")


class TopicState(StrEnum):
    """Where a topic stands."""

    open = "open"  # rectifying (整改中)
    reporting = "reporting"  # the report is submitted; the vote is pending or passed
    closed = "closed"


class MeasureStatus(StrEnum):
    """How far a rectification measure got."""

    planned = "planned"
    in_progress = "in_progress"
    done = "done"


DEFAULT_PROGRESS: Mapping[MeasureStatus, int] = MappingProxyType(
    {MeasureStatus.planned: 0, MeasureStatus.in_progress: 50, MeasureStatus.done: 100}
)
"""The progress a status stands for unless a measure reports its own."""


@dataclass
class Measure:
    """A rectification measure (整改措施) with its owner unit, due date and weight."""

    measure_id: str
    description: str
    owner_unit_id: str
    due_on: date
    weight: int = 1
    status: MeasureStatus = MeasureStatus.planned
    progress: int | None = None
    withdrawn_reason: str | None = None  # a mistaken measure, withdrawn: counts no more
    withdrawn_on: date | None = None

    @property
    def withdrawn(self) -> bool:
        """Tell whether the measure was withdrawn as a mistake."""
        return self.withdrawn_reason is not None

    @property
    def percent(self) -> int:
        """Return the measure's progress in percent (done is always 100)."""
        if self.status is MeasureStatus.done:
            return 100
        return DEFAULT_PROGRESS[self.status] if self.progress is None else self.progress


@dataclass(frozen=True)
class FollowUp:
    """A follow-up entry (跟踪记录) and the topic's progress after it."""

    entry_id: str
    logged_on: date
    by: str
    note: str
    measure_id: str | None
    progress_percent: int


@dataclass(frozen=True)
class Vote:
    """The satisfaction vote on a rectification report: when it was held and who recorded it."""

    satisfied: int
    basically_satisfied: int
    unsatisfied: int
    held_on: date | None = None
    recorded_by: str = ""
    report_version: int = 0

    @property
    def total(self) -> int:
        """Return the votes cast."""
        return self.satisfied + self.basically_satisfied + self.unsatisfied

    @property
    def passes(self) -> bool:
        """Tell whether a majority of the votes cast is 满意 or 基本满意."""
        return (self.satisfied + self.basically_satisfied) * 2 > self.total


@dataclass(frozen=True)
class Report:
    """One version of the rectification report (整改报告); a failed vote keeps it on record."""

    version: int
    text: str
    submitted_on: date
    by: str = ""


@dataclass
class Topic:
    """A supervision topic and its rectification."""

    topic_id: str
    township: str
    title: str
    origin: TopicOrigin
    year: int
    opened_on: date
    case_ids: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    measures: list[Measure] = field(default_factory=list)
    followups: list[FollowUp] = field(default_factory=list)
    state: TopicState = TopicState.open
    report: str = ""
    reports: list[Report] = field(default_factory=list)
    votes: list[Vote] = field(default_factory=list)
    vote_passed: bool = False
    closed_on: date | None = None
    version: int = 1

    @property
    def active(self) -> list[Measure]:
        """Return the measures that count (not withdrawn)."""
        return [m for m in self.measures if not m.withdrawn]

    @property
    def progress(self) -> int:
        """Return the weighted progress over the measures that count (0 without any)."""
        weight = sum(m.weight for m in self.active)
        if weight == 0:
            return 0
        return round(sum(m.weight * m.percent for m in self.active) / weight)

    @property
    def rectified(self) -> bool:
        """Tell whether there are measures and every one is done (整改到位)."""
        return bool(self.active) and all(m.status is MeasureStatus.done for m in self.active)

    def owners(self) -> frozenset[str]:
        """Return the units that own a measure that counts."""
        return frozenset(m.owner_unit_id for m in self.active)

    def measure(self, measure_id: str) -> Measure:
        """Return a measure of the topic that counts, or raise ``InputError`` naming it."""
        for m in self.active:
            if m.measure_id == measure_id:
                return m
        raise invalid("measure_id", f"no measure {measure_id} on this topic", "unknown")


def allowed_actions(topic: Topic) -> tuple[str, ...]:
    """Return what can be done to the topic now."""
    if topic.state is TopicState.open:
        return ("add_measure", "withdraw_measure", "log_followup", "submit_report")
    if topic.state is TopicState.reporting:
        return ("close",) if topic.vote_passed else ("record_vote",)
    return ()


def _require(topic: Topic, action: str) -> None:
    allowed = allowed_actions(topic)
    if action not in allowed:
        names = ", ".join(allowed) or "none"
        raise TransitionError(
            f"cannot {action} a topic in state {topic.state.value}; allowed: {names}",
            state=topic.state,
            allowed=allowed,
        )


def _check_measure(
    measure: Measure, loc: tuple[str | int, ...], today: date | None = None
) -> list[FieldError]:
    errors = []
    if today is not None and measure.due_on < today:
        errors.append(FieldError((*loc, "due_on"), "a due date in the past", "past"))
    if not measure.description.strip():
        errors.append(FieldError((*loc, "description"), "must not be empty", "missing_text"))
    if not measure.owner_unit_id:
        errors.append(FieldError((*loc, "owner_unit_id"), "name the owner unit", "missing"))
    if measure.weight < 1:
        errors.append(FieldError((*loc, "weight"), "must be at least 1", "too_small"))
    if measure.progress is not None and not 0 <= measure.progress <= 100:
        errors.append(FieldError((*loc, "progress"), "must be 0 to 100", "range"))
    elif measure.progress == 100 and measure.status is not MeasureStatus.done:
        errors.append(FieldError((*loc, "progress"), "100 means done", "inconsistent"))
    return errors


def open_topic(
    *,
    topic_id: str,
    township: str,
    title: str,
    origin: TopicOrigin,
    year: int,
    opened_on: date,
    case_ids: Sequence[str] = (),
    problems: Sequence[str] = (),
    measures: Sequence[Measure] = (),
) -> Topic:
    """Open a topic; one grown from a cluster of cases names at least one case."""
    errors: list[FieldError] = []
    if not _TOWNSHIP.fullmatch(township):
        errors.append(FieldError(("township",), "a 9-digit township code", "township_code"))
    if not title.strip():
        errors.append(FieldError(("title",), "must not be empty", "missing_text"))
    if origin is TopicOrigin.case_cluster and not case_ids:
        errors.append(FieldError(("case_ids",), "a cluster names its cases", "missing"))
    if len(set(case_ids)) != len(case_ids):
        errors.append(FieldError(("case_ids",), "each case appears once", "duplicate"))
    for i, problem in enumerate(problems):
        if not problem.strip():
            errors.append(FieldError(("problems", i), "must not be empty", "missing_text"))
    ids = [m.measure_id for m in measures]
    if len(set(ids)) != len(ids):
        errors.append(FieldError(("measures",), "each measure appears once", "duplicate"))
    for i, m in enumerate(measures):
        errors += _check_measure(m, ("measures", i), opened_on)
    if errors:
        raise InputError(errors)
    return Topic(
        topic_id=topic_id,
        township=township,
        title=title.strip(),
        origin=origin,
        year=year,
        opened_on=opened_on,
        case_ids=tuple(case_ids),
        problems=tuple(p.strip() for p in problems),
        measures=list(measures),
    )


def add_measure(topic: Topic, measure: Measure, *, on: date | None = None) -> None:
    """Add a rectification measure to an open topic (due no earlier than ``on``)."""
    _require(topic, "add_measure")
    if any(m.measure_id == measure.measure_id for m in topic.measures):
        raise invalid("measure_id", "the topic has this measure already", "duplicate")
    errors = _check_measure(measure, (), on)
    if errors:
        raise InputError(errors)
    topic.measures.append(measure)
    topic.version += 1


def withdraw_measure(topic: Topic, *, measure_id: str, reason: str, on: date) -> Measure:
    """Withdraw a mistaken measure with the reason; it stays on record and counts no more."""
    _require(topic, "withdraw_measure")
    measure = topic.measure(measure_id)
    text = reason.strip()
    if not text:
        raise invalid("reason", "say why the measure was a mistake", "missing_text")
    measure.withdrawn_reason = text[:500]
    measure.withdrawn_on = on
    topic.version += 1
    return measure


def log_followup(
    topic: Topic,
    *,
    entry_id: str,
    logged_on: date,
    by: str,
    note: str,
    measure_id: str | None = None,
    status: MeasureStatus | None = None,
    progress: int | None = None,
) -> FollowUp:
    """Log a follow-up; with a measure, its status or progress may move too."""
    _require(topic, "log_followup")
    if measure_id is None and (status is not None or progress is not None):
        raise invalid("measure_id", "name the measure whose progress moves", "missing")
    if measure_id is None and not note.strip():
        raise invalid("note", "say what was found or done", "missing_text")
    if progress is not None and not 0 <= progress <= 100:
        raise invalid("progress", "must be 0 to 100", "range")
    if status is MeasureStatus.done and progress not in (None, 100):
        raise invalid("progress", "a done measure is at 100", "inconsistent")
    if measure_id is not None:
        measure = topic.measure(measure_id)
        if status is not None:
            measure.status = status
            if status is not MeasureStatus.in_progress or measure.progress == 100:
                measure.progress = None
        if progress is not None:
            measure.progress = progress
            if progress == 100:
                measure.status = MeasureStatus.done
            elif measure.status is MeasureStatus.done or progress > 0:
                # below 100 a done measure is reopened, a planned one has started
                measure.status = MeasureStatus.in_progress
    entry = FollowUp(entry_id, logged_on, by, note.strip(), measure_id, topic.progress)
    topic.followups.append(entry)
    topic.version += 1
    return entry


def submit_report(topic: Topic, *, text: str, on: date, by: str = "") -> Report:
    """Submit the rectification report (整改报告); every measure must be done; versions kept."""
    _require(topic, "submit_report")
    if not text.strip():
        raise invalid("text", "must not be empty", "missing_text")
    if not topic.active:
        raise invalid("measures", "a report follows rectification measures", "missing")
    unfinished = [m.measure_id for m in topic.active if m.status is not MeasureStatus.done]
    if unfinished:
        raise invalid("measures", f"not done yet: {', '.join(unfinished)}", "unfinished")
    report = Report(len(topic.reports) + 1, text.strip(), on, by)
    topic.reports.append(report)
    topic.report = report.text
    topic.vote_passed = False
    topic.state = TopicState.reporting
    topic.version += 1
    return report


def record_vote(topic: Topic, vote: Vote, *, on: date, by: str = "") -> Vote:
    """Record the satisfaction vote with its date and recorder; failing sends the report back.

    The vote is held on ``vote.held_on`` (default ``on``): not in the future, not before the
    report was submitted. The failed report stays among the topic's report versions.
    """
    _require(topic, "record_vote")
    if min(vote.satisfied, vote.basically_satisfied, vote.unsatisfied) < 0 or vote.total < 1:
        raise invalid("vote", "count the votes cast (at least one)", "no_votes")
    held = vote.held_on or on
    current = topic.reports[-1] if topic.reports else None
    if held > on or (current is not None and held < current.submitted_on):
        raise invalid("held_on", "a vote is held between the report and today", "date")
    vote = Vote(
        vote.satisfied,
        vote.basically_satisfied,
        vote.unsatisfied,
        held,
        by,
        current.version if current else 0,
    )
    topic.votes.append(vote)
    if vote.passes:
        topic.vote_passed = True
    else:
        topic.state = TopicState.open
        topic.report = ""
    topic.version += 1
    return vote


def close(topic: Topic, *, on: date) -> None:
    """Close a topic whose report passed the vote."""
    _require(topic, "close")
    topic.state = TopicState.closed
    topic.closed_on = on
    topic.version += 1
