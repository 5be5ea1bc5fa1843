"""Composition root: build the notify service from its settings; nothing happens at import."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry

from kit.service import process, shape
from notify.entrypoints.api import routers
from notify.handlers.context import Services
from notify.settings import NotifySettings
from notify.wiring import wire

__all__ = ["MIGRATIONS", "Service", "build", "migrate"]

Service = shape.Service[Services]
"""One wired instance of this service: runtime, handlers' context, app."""

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


async def migrate(settings: NotifySettings) -> None:
    """Bring the service's database to the latest revision (SQLite or PostgreSQL)."""
    await process.migrate(MIGRATIONS, settings)


def build(settings: NotifySettings, *, registry: CollectorRegistry | None = None) -> Service:
    """Wire the service: runtime, consumers, sender, digest job, HTTP routes."""
    core = wire(settings, registry=registry)
    return shape.assemble(
        core,
        title="notify",
        description="The right person hears at the right time, once: e-mail, SMS, robots, inbox",
        routers=routers(core.services),
    )
