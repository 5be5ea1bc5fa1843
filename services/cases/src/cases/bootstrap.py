"""Composition root: build the cases service from its settings; nothing happens at import."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from cases.entrypoints.api import routers
from cases.handlers.context import Services
from cases.settings import CasesSettings
from cases.wiring import wire
from kit.migrate import upgrade
from kit.runtime import ServiceRuntime, build_app

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@dataclass(frozen=True)
class Service:
    """One wired instance: the runtime, the handlers' wiring and the app."""

    runtime: ServiceRuntime
    services: Services
    app: FastAPI


async def migrate(settings: CasesSettings) -> None:
    """Bring the service's database to the latest revision (SQLite or PostgreSQL)."""
    await upgrade(MIGRATIONS, settings.database_url)


def build(settings: CasesSettings, *, registry: CollectorRegistry | None = None) -> Service:
    """Wire the service: runtime, chase scheduler, HTTP routes."""
    core = wire(settings, registry=registry)
    app = build_app(
        core.runtime,
        title="cases",
        description="Suggestions, opinions and supervision topics, from intake to closure on time",
        routers=routers(core.services),
    )
    return Service(core.runtime, core.services, app)
