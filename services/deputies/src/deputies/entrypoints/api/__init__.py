"""The HTTP API (mounted under /api/v1 by the kit's app builder)."""

from __future__ import annotations

from fastapi import APIRouter
from prometheus_client import CollectorRegistry

from deputies.entrypoints.api import (
    activities,
    deputies,
    plans,
    proposals,
    records,
    roster,
    stations,
    townships,
)
from deputies.handlers.context import Services
from deputies.settings import DeputiesSettings
from kit.web.audit_log import audit_router


def routers(
    svc: Services, settings: DeputiesSettings, registry: CollectorRegistry
) -> list[APIRouter]:
    """Return every router of the service, bound to its wiring."""
    return [
        townships.router(svc),
        stations.router(svc, stale_days=settings.station_stale_days),
        roster.router(svc, max_bytes=settings.import_max_bytes),
        deputies.router(svc, registry),
        activities.router(svc),
        records.router(svc),
        plans.router(
            svc,
            secret=settings.jwt_secret.get_secret_value().encode(),
            county_name=settings.county_name,
            token_days=settings.feed_token_days,
        ),
        proposals.router(svc),
        audit_router(svc),
    ]
