"""Composition root: build the cases service from its settings; nothing happens at import."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry

from cases.entrypoints.api import attachments, routers
from cases.handlers.context import Services
from cases.settings import CasesSettings
from cases.wiring import wire
from kit.attachments import OrphanSweep
from kit.service import process, shape

__all__ = ["MIGRATIONS", "Service", "build", "migrate"]

Service = shape.Service[Services]
"""One wired instance of this service: runtime, handlers' context, app."""

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


async def migrate(settings: CasesSettings) -> None:
    """Bring the service's database to the latest revision (SQLite or PostgreSQL)."""
    await process.migrate(MIGRATIONS, settings)


def build(settings: CasesSettings, *, registry: CollectorRegistry | None = None) -> Service:
    """Wire the service: runtime, chase scheduler, HTTP routes."""
    core = wire(settings, registry=registry)
    files = attachments.wiring(core.services, settings, core.runtime.registry)
    core.runtime.schedule(
        "attachment_orphans", OrphanSweep(files, settings.orphan_grace(), settings.sweep_every())
    )
    return shape.assemble(
        core,
        title="cases",
        description="Suggestions, opinions and supervision topics, from intake to closure on time",
        routers=[
            *routers(core.services),
            attachments.router(core.services, files),
        ],
    )
