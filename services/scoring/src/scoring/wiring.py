"""Wire one instance's runtime and handlers' services from settings (no HTTP here)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from kit.runtime import build_runtime
from kit.service import shape
from scoring.adapters.tables import make_schema
from scoring.handlers.consume import subscription
from scoring.handlers.context import Services
from scoring.metrics import make_scoring_metrics
from scoring.settings import ScoringSettings

__all__ = ["Core", "wire"]

Core = shape.Core[Services]
"""This service's runtime and handlers' context."""


def wire(settings: ScoringSettings, *, registry: CollectorRegistry | None = None) -> Core:
    """Build the runtime with the ledger consumer, and the handlers' services."""
    schema = make_schema()
    wired: list[Services] = []
    runtime = build_runtime(
        settings,
        metadata=schema.metadata,
        subscriptions=[subscription(lambda: wired[0])],
        registry=registry,
    )
    services = Services.on(
        runtime,
        tables=schema.tables,
        metrics=make_scoring_metrics(runtime.registry),
        contest_days=settings.contest_days,
    )
    wired.append(services)
    return Core(runtime, services)
