"""The HTTP API (mounted under /api/v1 by the kit's app builder)."""

from __future__ import annotations

from fastapi import APIRouter

from kit.web.audit_log import audit_router
from scoring.entrypoints.api import assessments, points, publications, rulesets
from scoring.handlers.context import Services


def routers(svc: Services) -> list[APIRouter]:
    """Return every router of the service, bound to its wiring."""
    return [
        rulesets.router(svc),
        points.router(svc),
        assessments.router(svc),
        publications.router(svc),
        audit_router(svc),
    ]
