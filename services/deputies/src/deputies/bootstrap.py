"""Composition root: build the deputies service from its settings; nothing happens at import."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from deputies.adapters.migrations import MIGRATIONS, migrate
from deputies.entrypoints.api import routers
from deputies.handlers.context import Services
from deputies.settings import DeputiesSettings
from deputies.wiring import wire
from kit.runtime import ServiceRuntime, build_app

__all__ = ["MIGRATIONS", "Service", "build", "migrate"]


@dataclass(frozen=True)
class Service:
    """One wired instance: the runtime (database, outbox, broker, jobs), handlers' wiring, app."""

    runtime: ServiceRuntime
    services: Services
    app: FastAPI


def build(settings: DeputiesSettings, *, registry: CollectorRegistry | None = None) -> Service:
    """Wire the service: runtime, scheduled checks, HTTP routes."""
    core = wire(settings, registry=registry)
    app = build_app(
        core.runtime,
        title="deputies",
        description="Townships, liaison stations, deputy rosters, activities and work records",
        routers=routers(core.services, settings),
    )
    return Service(core.runtime, core.services, app)
