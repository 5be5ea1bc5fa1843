"""Composition root: build the deputies service from its settings; nothing happens at import."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from deputies.adapters.migrations import MIGRATIONS, migrate
from deputies.entrypoints.api import attachments, routers
from deputies.entrypoints.api.plans import FEEDS
from deputies.handlers.context import Services
from deputies.settings import DeputiesSettings
from deputies.wiring import wire
from kit.attachments import OrphanSweep
from kit.service import shape

__all__ = ["MIGRATIONS", "Service", "build", "migrate"]

Service = shape.Service[Services]
"""One wired instance of this service: runtime, handlers' context, app."""


def build(settings: DeputiesSettings, *, registry: CollectorRegistry | None = None) -> Service:
    """Wire the service: runtime, scheduled checks, HTTP routes."""
    core = wire(settings, registry=registry)
    files = attachments.wiring(core.services, settings, core.runtime.registry)
    core.runtime.schedule(
        "attachment_orphans", OrphanSweep(files, settings.orphan_grace(), settings.sweep_every())
    )
    return shape.assemble(
        core,
        title="deputies",
        description="Townships, liaison stations, deputy rosters, activities and work records",
        routers=[
            *routers(core.services, settings, core.runtime.registry),
            attachments.router(core.services, files),
        ],
        public_prefixes=(FEEDS,),  # a calendar app sends no bearer header: the URL's token
    )
