"""The HTTP API (mounted under /api/v1 by the kit's app builder)."""

from __future__ import annotations

from fastapi import APIRouter

from cases.entrypoints.api import cases, digests, topics, units
from cases.handlers.context import Services
from kit.web.audit_log import audit_router


def routers(svc: Services) -> list[APIRouter]:
    """Return every router of the service, bound to its wiring."""
    return [
        cases.router(svc),
        units.router(svc),
        topics.router(svc),
        digests.router(svc),
        audit_router(svc),
    ]
