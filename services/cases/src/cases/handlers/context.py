"""What every handler needs: the wiring (``Services``) and who acts (``Caller``).

The kit's ``HandlerContext`` gives ``uow``, ``audit``, ``idempotency``, ``announcements``,
``clock``, ``now()`` and ``today()`` (the China day); this adds the service's tables and policies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from cases.adapters.store import CaseStore
from cases.adapters.tables import Tables
from cases.domain.calendar import mark_calendar
from cases.domain.categories import Categories
from cases.domain.chasing import ChasePolicy, next_assignment_chase_day, next_chase_day
from cases.domain.clocks import ClockPolicy, Clocks, days
from cases.domain.model import Case
from cases.domain.records import Actor
from cases.domain.workdays import WorkCalendar
from cases.metrics import CaseMetrics
from kit.principal import Principal
from kit.service.context import (
    CallerBase,
    HandlerContext,
    created_before,
    new_id,
    remember_creation,
    replayed,
)
from kit.uow import UnitOfWork

__all__ = ["Caller", "Services", "created_before", "new_id", "remember_creation", "replayed"]


@dataclass(frozen=True)
class Services(HandlerContext):
    """The wiring handlers run on; built once at start-up."""

    tables: Tables
    calendar: WorkCalendar
    policy: ClockPolicy = field(default_factory=ClockPolicy)
    chase: ChasePolicy = field(default_factory=ChasePolicy)
    categories: Categories = field(default_factory=Categories)
    similar_threshold: float = 0.25
    chase_batch: int = 500
    require_co_opinions: bool = False  # a reply waits for every co-handler's opinion
    metrics: CaseMetrics | None = None
    county_names: Mapping[str, str] = field(default_factory=dict)  # 990101 -> 青山县

    def store(self, uow: UnitOfWork) -> CaseStore:
        """Return the store over a unit of work's session."""
        return CaseStore(uow, self.tables, self.county_names)

    async def clocks(self, store: CaseStore, township: str) -> Clocks:
        """Return the clocks of a township (its own opinion clock when it set one)."""
        own = await store.opinion_days(township)
        policy = self.policy if own is None else replace(self.policy, opinion=days(own))
        return Clocks(self.calendar, policy)

    def mark_calendar(self, case: Case) -> None:
        """Mark a case whose deadline was counted Monday–Friday (and count it in the metric)."""
        if mark_calendar(case, self.calendar) and self.metrics is not None:
            self.metrics.fallback_clocks.inc()

    def chase_on(self, case: Case, today: date) -> date | None:
        """Return the next day the chase scheduler must look at the case, if a clock runs."""
        clock = case.running_clock()
        if clock is not None:
            return next_chase_day(clock, today, self.calendar, self.chase)
        waiting = case.assignment_clock()
        return None if waiting is None else next_assignment_chase_day(waiting, today, self.chase)


@dataclass(frozen=True)
class Caller(CallerBase):
    """Who acts, the flow's correlation id and a creating request's Idempotency-Key."""

    principal: Principal

    @property
    def subject(self) -> str:
        """Return the acting user's id."""
        return self.principal.subject

    @property
    def actor(self) -> Actor:
        """Return the caller as the domain sees an actor."""
        p = self.principal
        return Actor(
            p.subject, frozenset(str(r) for r in p.roles), deputy_id=p.deputy_id, unit_id=p.unit_id
        )
