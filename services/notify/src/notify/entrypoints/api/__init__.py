"""The HTTP API (mounted under /api/v1 by the kit's app builder)."""

from __future__ import annotations

from fastapi import APIRouter

from kit.web.audit_log import audit_router
from notify.entrypoints.api import directory, routes
from notify.handlers.context import Services


def routers(svc: Services) -> list[APIRouter]:
    """Return every router of the service, bound to its wiring."""
    return [routes.router(svc), directory.router(svc), audit_router(svc)]
