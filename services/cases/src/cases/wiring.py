"""Wire one instance's runtime and handlers' services from settings (no HTTP here)."""

from __future__ import annotations

import functools

from prometheus_client import CollectorRegistry

from cases import policy
from cases.adapters.tables import make_schema
from cases.handlers.calendar import apply_official_years, coverage, warn_uncovered
from cases.handlers.context import Services
from cases.handlers.roster import roster_subscription
from cases.jobs import chase, count_cases
from cases.metrics import make_case_metrics
from cases.settings import CasesSettings
from kit.runtime import build_runtime
from kit.service import shape

__all__ = ["Core", "wire"]

Core = shape.Core[Services]
"""This service's runtime and handlers' context."""


def wire(settings: CasesSettings, *, registry: CollectorRegistry | None = None) -> Core:
    """Build the runtime, the handlers' services and the chase scheduler."""
    schema = make_schema()
    runtime = build_runtime(
        settings,
        metadata=schema.metadata,
        subscriptions=[roster_subscription(schema.tables)],
        registry=registry,
    )
    services = Services.on(
        runtime,
        tables=schema.tables,
        calendar=policy.work_calendar(settings),
        policy=policy.clock_policy(settings),
        chase=policy.chase_policy(settings),
        categories=policy.categories(settings),
        similar_threshold=settings.similar_threshold,
        chase_batch=settings.chase_batch,
        require_co_opinions=settings.require_co_opinions,
        metrics=make_case_metrics(runtime.registry),
        county_names=settings.county_names,
    )
    runtime.schedule("chase", functools.partial(chase, services))
    runtime.schedule("case_gauges", functools.partial(count_cases, services))
    runtime.schedule("official_calendar", functools.partial(apply_official_years, services))
    warn_uncovered(services.calendar, services.today())
    runtime.readiness_details = lambda: coverage(services.calendar, services.today())
    return Core(runtime, services)
