"""Wire one instance's runtime and handlers' services from settings (no HTTP here)."""

from __future__ import annotations

import functools

from prometheus_client import CollectorRegistry

from cases.adapters.tables import make_schema
from cases.domain.clocks import ClockPolicy, days, parse_overrides
from cases.domain.workdays import WorkCalendar
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
        calendar=WorkCalendar(),
        policy=ClockPolicy(
            opinion=days(settings.opinion_days),
            by_category=parse_overrides(settings.clock_overrides),
        ),
        similar_threshold=settings.similar_threshold,
        chase_batch=settings.chase_batch,
        metrics=make_case_metrics(runtime.registry),
    )
    runtime.schedule("chase", functools.partial(chase, services))
    runtime.schedule("case_gauges", functools.partial(count_cases, services))
    return Core(runtime, services)
