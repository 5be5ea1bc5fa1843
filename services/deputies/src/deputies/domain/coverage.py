"""Participation and training coverage over a period: who attended what, who is not trained."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from deputies.domain.model import TERM_WITH_GRACE, ActivityType, Attendance, Deputy


@dataclass(frozen=True)
class Mark:
    """One deputy's mark at one logged activity."""

    deputy_id: str
    activity_id: str
    title: str
    type: ActivityType
    held_on: date
    mark: Attendance


@dataclass
class DeputyCoverage:
    """One deputy's record over the period, and whether they were trained this term."""

    deputy_id: str
    name: str
    township: str
    marks: list[Mark] = field(default_factory=list)
    last_training: date | None = None

    @property
    def present(self) -> int:
        """Return how many activities of the period the deputy attended."""
        return sum(m.mark is Attendance.present for m in self.marks)

    @property
    def excused(self) -> int:
        """Return how many the deputy was excused from (请假)."""
        return sum(m.mark is Attendance.excused for m in self.marks)

    @property
    def absent(self) -> int:
        """Return how many the deputy missed without leave (无故缺席)."""
        return sum(m.mark is Attendance.unexcused_absence for m in self.marks)

    @property
    def trained(self) -> bool:
        """Tell whether the deputy attended a training this term."""
        return self.last_training is not None


def term_start(deputy: Deputy) -> date | None:
    """Return the day the deputy's term began (None when the election day is unknown)."""
    return deputy.elected_on


def in_term(deputy: Deputy, day: date) -> bool:
    """Tell whether a day lies in the deputy's current term (any day when it is unknown)."""
    start = term_start(deputy)
    return start is None or start <= day < start + TERM_WITH_GRACE


def coverage(
    deputies: list[Deputy], period: Iterable[Mark], trainings: Iterable[Mark]
) -> list[DeputyCoverage]:
    """Return each deputy's marks in the period and their last training this term, by name."""
    rows = {d.id: DeputyCoverage(d.id, d.name, d.township) for d in deputies}
    by_id = {d.id: d for d in deputies}
    for mark in sorted(period, key=lambda m: (m.held_on, m.activity_id)):
        if mark.deputy_id in rows:
            rows[mark.deputy_id].marks.append(mark)
    for mark in trainings:
        row = rows.get(mark.deputy_id)
        deputy = by_id.get(mark.deputy_id)
        if row is None or deputy is None or mark.mark is not Attendance.present:
            continue
        later = row.last_training is None or mark.held_on > row.last_training
        if mark.type is ActivityType.training and in_term(deputy, mark.held_on) and later:
            row.last_training = mark.held_on
    return sorted(rows.values(), key=lambda r: (r.township, r.name, r.deputy_id))
