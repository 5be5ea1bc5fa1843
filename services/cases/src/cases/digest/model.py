"""What a digest reports: counts by theme and township, rates, and the overdue items."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from cases.domain.statistics import CaseFacts, Tally, overall, tally


@dataclass(frozen=True)
class ThemeRow:
    """How many items of one theme came from one township."""

    category: str
    township: str
    count: int


@dataclass(frozen=True)
class OverdueItem:
    """A case still being handled past its due date."""

    case_id: str
    title: str
    township: str
    lead_unit_id: str | None
    due_on: date
    days_overdue: int
    key_chase: bool


@dataclass(frozen=True)
class Digest:
    """One issue of 人大代表之声."""

    digest_id: str
    title: str
    scope: str
    period_start: date
    period_end: date
    generated_on: date
    case_count: int
    suggestions: int
    opinions: int
    totals: Tally
    themes: tuple[ThemeRow, ...]
    by_category: tuple[Tally, ...]
    by_township: tuple[Tally, ...]
    overdue: tuple[OverdueItem, ...]


def build_digest(
    facts: Iterable[CaseFacts],
    *,
    digest_id: str,
    title: str,
    scope: str,
    period_start: date,
    period_end: date,
    today: date,
) -> Digest:
    """Count the cases of ``scope`` received within the period (both ends included)."""
    items = [
        f
        for f in facts
        if f.township.startswith(scope) and period_start <= f.received_on <= period_end
    ]
    themes = Counter((f.category, f.township) for f in items)
    rows = sorted(
        (ThemeRow(category, township, n) for (category, township), n in themes.items()),
        key=lambda r: (-r.count, r.category, r.township),
    )
    late = sorted(
        (
            OverdueItem(
                f.case_id,
                f.title,
                f.township,
                f.lead_unit_id,
                f.due_on,
                (today - f.due_on).days,
                f.key_chase,
            )
            for f in items
            if f.overdue(today) and f.due_on is not None
        ),
        key=lambda o: (-o.days_overdue, o.case_id),
    )
    return Digest(
        digest_id=digest_id,
        title=title,
        scope=scope,
        period_start=period_start,
        period_end=period_end,
        generated_on=today,
        case_count=len(items),
        suggestions=sum(1 for f in items if f.kind.value == "suggestion"),
        opinions=sum(1 for f in items if f.kind.value == "opinion"),
        totals=overall(items, today),
        themes=tuple(rows),
        by_category=tuple(tally(items, by="category", today=today)),
        by_township=tuple(tally(items, by="township", today=today)),
        overdue=tuple(late),
    )


def theme_counts(digest: Digest) -> list[tuple[str, str, int]]:
    """Return (theme, township, count) rows, most frequent first, for the published event."""
    return [(r.category, r.township, r.count) for r in digest.themes]
