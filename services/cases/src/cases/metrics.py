"""Domain metrics of the cases service: open and overdue cases per township, chase notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy import func, select

from cases.adapters.tables import Tables
from cases.domain.chasing import Notice
from cases.domain.states import FINAL, HANDLING, State
from kit.group_commit import GroupCommitMetrics
from kit.uow import UnitOfWorkFactory


@dataclass(frozen=True)
class CaseMetrics:
    """The gauges the dashboards and the overdue alert read, and the chase counter."""

    open: Gauge
    overdue: Gauge
    announcements: Counter
    fallback_clocks: Counter
    bulk_items: Counter
    group_commit: GroupCommitMetrics


def make_case_metrics(registry: CollectorRegistry) -> CaseMetrics:
    """Register the service's domain metrics on an explicit registry."""
    made = CaseMetrics(
        open=Gauge(
            "cases_open_cases",
            "Suggestions and opinions not yet closed, per township",
            ["township"],
            registry=registry,
        ),
        overdue=Gauge(
            "cases_overdue_cases",
            "Cases in handling past their due date, per township",
            ["township"],
            registry=registry,
        ),
        announcements=Counter(
            "cases_chase_announcements",
            "Chase announcements made (warning, overdue, reminder, escalation)",
            ["notice"],
            registry=registry,
        ),
        fallback_clocks=Counter(
            "cases_fallback_clocks",
            "Clocks counted on the Monday-Friday fallback (no official holidays for the year)",
            registry=registry,
        ),
        bulk_items=Counter(
            "cases_bulk_assignment_items",
            "Cases of bulk assignments by their own status (a 207 hides refusals from HTTP metrics)",
            ["status"],
            registry=registry,
        ),
        group_commit=GroupCommitMetrics(registry),
    )
    for notice in Notice:  # at 0 from the start: the first announcement moves `increase()`
        made.announcements.labels(notice=notice.value)
    return made


async def refresh_gauges(
    uow: UnitOfWorkFactory, tables: Tables, metrics: CaseMetrics, today: date
) -> None:
    """Recount open and overdue cases per township (index-only scans of (state, township, due))."""
    c = tables.cases.c
    ended = [State.closed.value, *(s.value for s in FINAL)]
    handling = [s.value for s in HANDLING]
    async with uow() as work:
        opened = await work.session.execute(
            select(c.township, func.count()).where(c.state.not_in(ended)).group_by(c.township)
        )
        late = await work.session.execute(
            select(c.township, func.count())
            .where(c.state.in_(handling), c.due_on < today)
            .group_by(c.township)
        )
        open_rows, late_rows = opened.all(), late.all()
    metrics.open.clear()
    for township, n in open_rows:
        metrics.open.labels(township=township).set(n)
    metrics.overdue.clear()
    late_by_township = {str(township): int(n) for township, n in late_rows}
    for township, _ in open_rows:  # 0 where cases are open and none is late: a share, not a gap
        metrics.overdue.labels(township=township).set(late_by_township.pop(township, 0))
    for township, n in late_by_township.items():
        metrics.overdue.labels(township=township).set(n)
