"""Statistics of cases: counts by state, on-time, solved, class-A and satisfaction rates.

Rates are shares of the cases they can apply to: on time, class A and solved among the cases that
got a reply; satisfaction among those the deputy rated. Closed is never counted as solved: only the
``solved`` fact is (an A reply closed on feedback, or a follow-up item resolved).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from cases.domain.states import HANDLING, State
from contracts.vocabulary import CaseKind, ReplyClass, Satisfaction

SATISFIED = frozenset({Satisfaction.satisfied, Satisfaction.basically_satisfied})


@dataclass(frozen=True)
class CaseFacts:
    """What statistics and digests need to know of one case (no content, no people)."""

    case_id: str
    kind: CaseKind
    township: str
    category: str
    title: str
    state: State
    received_on: date
    lead_unit_id: str | None
    unit_ids: tuple[str, ...]
    due_on: date | None
    replied_on: date | None
    reply_class: ReplyClass | None
    on_time: bool | None
    solved: bool
    result: Satisfaction | None
    key_chase: bool = False

    def overdue(self, today: date) -> bool:
        """Tell whether the case is still being handled past its due date."""
        return self.state in HANDLING and self.due_on is not None and today > self.due_on


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


@dataclass(frozen=True)
class Rate:
    """A rate and what it is a share of: ``numerator`` of the ``denominator`` cases."""

    name: str
    numerator: int
    denominator: str
    of: int

    @property
    def value(self) -> float | None:
        """Return the share, None when there is nothing to take it over."""
        return _rate(self.numerator, self.of)


UNASSIGNED = "unassigned"
"""The group of cases no unit handles yet, so per-unit groups add up to the total."""


@dataclass(frozen=True)
class Tally:
    """Counts of one group of cases, and the rates derived from them."""

    key: str
    total: int
    by_state: Mapping[str, int]
    replied: int
    on_time: int
    solved: int
    class_a: int
    with_feedback: int
    satisfied: int
    overdue: int

    @property
    def on_time_rate(self) -> float | None:
        """Share of replied cases replied on time (办复及时率)."""
        return _rate(self.on_time, self.replied)

    @property
    def solved_rate(self) -> float | None:
        """Share of replied cases actually solved (解决率 over the replied cases)."""
        return _rate(self.solved, self.replied)

    @property
    def solved_rate_of_all(self) -> float | None:
        """Share of all the cases counted that are actually solved (解决率 over every case)."""
        return _rate(self.solved, self.total)

    def rates(self) -> list[Rate]:
        """Return every rate with its numerator and the denominator it is taken over."""
        return [
            Rate("on_time_rate", self.on_time, "replied", self.replied),
            Rate("solved_rate", self.solved, "replied", self.replied),
            Rate("solved_rate_of_all", self.solved, "total", self.total),
            Rate("class_a_share", self.class_a, "replied", self.replied),
            Rate("satisfaction_rate", self.satisfied, "with_feedback", self.with_feedback),
        ]

    @property
    def class_a_share(self) -> float | None:
        """Share of replied cases whose latest reply is class A (A类占比)."""
        return _rate(self.class_a, self.replied)

    @property
    def satisfaction_rate(self) -> float | None:
        """Share of rated cases rated satisfied or basically satisfied (满意率)."""
        return _rate(self.satisfied, self.with_feedback)


def _tally(key: str, facts: Iterable[CaseFacts], today: date) -> Tally:
    items = list(facts)
    states = {s.value: 0 for s in State}
    for f in items:
        states[f.state.value] += 1
    replied = [f for f in items if f.reply_class is not None]
    rated = [f for f in items if f.result is not None]
    return Tally(
        key=key,
        total=len(items),
        by_state=states,
        replied=len(replied),
        on_time=sum(1 for f in replied if f.on_time),
        solved=sum(1 for f in replied if f.solved),
        class_a=sum(1 for f in replied if f.reply_class is ReplyClass.A),
        with_feedback=len(rated),
        satisfied=sum(1 for f in rated if f.result in SATISFIED),
        overdue=sum(1 for f in items if f.overdue(today)),
    )


_KEYS: Mapping[str, Callable[[CaseFacts], str | None]] = {
    "township": lambda f: f.township,
    "category": lambda f: f.category,
    "unit": lambda f: f.lead_unit_id or UNASSIGNED,
}


def tally(
    facts: Iterable[CaseFacts],
    *,
    by: Literal["township", "unit", "category"],
    today: date,
) -> list[Tally]:
    """Return one tally per township, lead unit (or unassigned) or category, ordered by key.

    Every case is in exactly one group, so the groups add up to the overall tally.
    """
    key_of = _KEYS[by]
    groups: dict[str, list[CaseFacts]] = {}
    for f in facts:
        key = key_of(f)
        if key is not None:
            groups.setdefault(key, []).append(f)
    return [_tally(key, groups[key], today) for key in sorted(groups)]


def overall(facts: Iterable[CaseFacts], today: date) -> Tally:
    """Return the tally of all the cases given."""
    return _tally("all", facts, today)
