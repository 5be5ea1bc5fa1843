"""Chasing (督办): which warnings, overdue notices, reminders and escalations a running clock owes.

Pure functions: given a clock, "today" and the keys already announced, they return what is due now.
The scheduler stores each announcement's key with the case, so each goes out exactly once.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType

from cases.domain.workdays import WorkCalendar
from contracts.vocabulary import EscalationLevel


class Notice(StrEnum):
    """Kinds of chase announcements, one per event type."""

    warning = "warning"
    overdue = "overdue"
    reminder = "reminder"
    escalation = "escalation"


def _default_ladder() -> Mapping[EscalationLevel, int]:
    return MappingProxyType(
        {
            EscalationLevel.township_chair: 0,
            EscalationLevel.county_committee: 5,
            EscalationLevel.vice_chair: 10,
        }
    )


@dataclass(frozen=True)
class ChasePolicy:
    """Warning thresholds (% of the clock used) and escalation after N working days overdue."""

    warnings: tuple[int, ...] = (50, 75)
    escalation_after: Mapping[EscalationLevel, int] = field(default_factory=_default_ladder)
    first_reminder_after: int = (
        2  # working days overdue; the day of breach brings the overdue notice
    )

    def __post_init__(self) -> None:
        if any(not 0 < t < 100 for t in self.warnings) or list(self.warnings) != sorted(
            set(self.warnings)
        ):
            raise ValueError("warning thresholds must rise strictly between 0 and 100")
        if any(n < 0 for n in self.escalation_after.values()):
            raise ValueError("escalation delays must not be negative")
        if self.first_reminder_after < 1:
            raise ValueError("reminders start at least one working day past the due date")


@dataclass(frozen=True)
class RunningClock:
    """One handling round's clock: started on ``start``, due on ``due``."""

    start: date
    due: date
    round: int = 1

    def __post_init__(self) -> None:
        if self.due < self.start:
            raise ValueError("a clock cannot be due before it starts")


@dataclass(frozen=True)
class Announcement:
    """One chase announcement that is due; ``key`` identifies it for exactly-once delivery."""

    notice: Notice
    key: str
    round: int
    days_overdue: int = 0
    threshold: int | None = None
    level: EscalationLevel | None = None
    reminder: int | None = None


def used_share(clock: RunningClock, today: date) -> Fraction:
    """Return the share of the clock used by ``today`` in calendar days (can exceed 1)."""
    length = (clock.due - clock.start).days
    if length == 0:
        return Fraction(1) if today >= clock.start else Fraction(0)
    return Fraction(max((today - clock.start).days, 0), length)


def is_overdue(clock: RunningClock, today: date) -> bool:
    """Tell whether the due date has passed."""
    return today > clock.due


def days_overdue(clock: RunningClock, today: date, calendar: WorkCalendar) -> int:
    """Count the working days past the due date up to ``today``."""
    return calendar.between(clock.due, today)


def announcement_key(round_: int, notice: Notice, detail: object) -> str:
    """Return the key that makes an announcement unique per case."""
    return f"r{round_}:{notice.value}:{detail}"


def due_announcements(
    clock: RunningClock,
    today: date,
    announced: Collection[str],
    calendar: WorkCalendar,
    policy: ChasePolicy,
) -> list[Announcement]:
    """Return the announcements due on ``today`` that ``announced`` does not hold yet.

    Before the breach only the highest threshold reached is due: a warning overtaken by a later
    one while the scheduler was down is skipped, not sent late. After the breach: the overdue
    notice, every escalation level reached (each informs someone else), and at most one reminder
    per working day; missed reminder days are not made up.
    """
    if not is_overdue(clock, today):
        return _warnings(clock, today, announced, policy)
    late = days_overdue(clock, today, calendar)
    due: list[Announcement] = []
    overdue_key = announcement_key(clock.round, Notice.overdue, "breach")
    if overdue_key not in announced:
        due.append(Announcement(Notice.overdue, overdue_key, clock.round, late))
    for level, after in policy.escalation_after.items():
        key = announcement_key(clock.round, Notice.escalation, level.value)
        if late >= after and key not in announced:
            due.append(Announcement(Notice.escalation, key, clock.round, late, level=level))
    key = announcement_key(clock.round, Notice.reminder, late)
    if calendar.is_workday(today) and late >= policy.first_reminder_after and key not in announced:
        prefix = announcement_key(clock.round, Notice.reminder, "")
        number = 1 + sum(1 for k in announced if k.startswith(prefix))
        due.append(Announcement(Notice.reminder, key, clock.round, late, reminder=number))
    return due


def _warnings(
    clock: RunningClock, today: date, announced: Collection[str], policy: ChasePolicy
) -> list[Announcement]:
    share = used_share(clock, today)
    reached = [t for t in policy.warnings if share >= Fraction(t, 100)]
    if not reached:
        return []
    key = announcement_key(clock.round, Notice.warning, reached[-1])
    # An extension can lower the share used; never step back to a lower warning in a round.
    later = (t for t in policy.warnings if t > reached[-1])
    if key in announced or any(
        announcement_key(clock.round, Notice.warning, t) in announced for t in later
    ):
        return []
    return [Announcement(Notice.warning, key, clock.round, threshold=reached[-1])]


def next_chase_day(
    clock: RunningClock, on_or_after: date, calendar: WorkCalendar, policy: ChasePolicy
) -> date:
    """Return the first day from ``on_or_after`` on which the clock may owe an announcement.

    The scheduler looks only at cases whose chase day has come (an indexed column), so this must
    never be later than a day ``due_announcements`` returns something; an early day only costs
    one look at the case.
    """
    breach = clock.due + timedelta(days=1)
    if on_or_after > breach:  # the breach day itself brings the overdue notice, workday or not
        return calendar.on_or_after(on_or_after)
    length = (clock.due - clock.start).days
    candidates = [breach]
    for threshold in policy.warnings:
        used = -(-length * threshold // 100)  # ceil: the first day the share reaches it
        candidates.append(clock.start + timedelta(days=used))
    return min(day for day in candidates if day >= on_or_after)


ASSIGNMENT = "assign"
"""Key prefix of the assignment deadline's announcements (交办, counted from receipt)."""


def assignment_announcements(
    clock: RunningClock, today: date, announced: Collection[str], policy: ChasePolicy
) -> list[Announcement]:
    """Return the warning or overdue notice the assignment deadline owes on ``today``, once each.

    Like a reply clock: the highest warning threshold reached before the deadline, the overdue
    notice after it; no reminders or escalations (the township office that owes it is named).
    """
    if is_overdue(clock, today):
        key = f"{ASSIGNMENT}:{Notice.overdue.value}"
        return [] if key in announced else [Announcement(Notice.overdue, key, 0)]
    share = used_share(clock, today)
    reached = [t for t in policy.warnings if share >= Fraction(t, 100)]
    if not reached:
        return []
    key = f"{ASSIGNMENT}:{Notice.warning.value}:{reached[-1]}"
    later = (f"{ASSIGNMENT}:{Notice.warning.value}:{t}" for t in policy.warnings if t > reached[-1])
    if key in announced or any(k in announced for k in later):
        return []
    return [Announcement(Notice.warning, key, 0, threshold=reached[-1])]


def next_assignment_chase_day(
    clock: RunningClock, on_or_after: date, policy: ChasePolicy
) -> date | None:
    """Return the next day the assignment deadline may owe a notice; None once it was breached."""
    breach = clock.due + timedelta(days=1)
    if on_or_after > breach:
        return None
    length = (clock.due - clock.start).days
    candidates = [breach]
    for threshold in policy.warnings:
        candidates.append(clock.start + timedelta(days=-(-length * threshold // 100)))
    return min(day for day in candidates if day >= on_or_after)
