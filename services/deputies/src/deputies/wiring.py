"""Wire one instance's runtime and handlers' services from settings (no HTTP here)."""

from __future__ import annotations

import functools

from prometheus_client import CollectorRegistry

from deputies.adapters.tables import make_schema
from deputies.handlers.context import Services
from deputies.jobs import Thresholds, apply_status_changes, check_absences, check_staleness
from deputies.settings import DeputiesSettings
from kit.runtime import build_runtime
from kit.service import shape

__all__ = ["Core", "wire"]

Core = shape.Core[Services]
"""This service's runtime and handlers' context."""


def wire(settings: DeputiesSettings, *, registry: CollectorRegistry | None = None) -> Core:
    """Build the runtime, the handlers' services and the scheduled checks."""
    schema = make_schema()
    runtime = build_runtime(settings, metadata=schema.metadata, registry=registry)
    services = Services.on(runtime, tables=schema.tables)
    thresholds = Thresholds(
        roster_days=settings.roster_stale_days, station_days=settings.station_stale_days
    )
    runtime.schedule("roster_staleness", functools.partial(check_staleness, services, thresholds))
    runtime.schedule("mandate_absences", functools.partial(check_absences, services))
    runtime.schedule("status_changes", functools.partial(apply_status_changes, services))
    return Core(runtime, services)
