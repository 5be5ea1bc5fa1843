"""The HTTP API (mounted under /api/v1 by the kit's app builder)."""

from __future__ import annotations

from fastapi import APIRouter

from cases.entrypoints.api import cases, digests, documents, topics, units, workflow
from cases.handlers.context import Services
from kit.web.audit_log import audit_router


def routers(svc: Services) -> list[APIRouter]:
    """Return every router of the service, bound to its wiring."""
    return [
        workflow.router(svc),  # before cases: /cases/bulk-assign is not a case id
        cases.router(svc),
        units.router(svc),
        topics.router(svc),
        digests.router(svc),
        audit_router(svc),
        documents.router(svc),
    ]
