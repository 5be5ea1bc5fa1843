"""Routes: evidence files (scans, screenshots) on manuscripts and highlight reports.

The kit's attachment routes do the streaming, limits, metadata row, audit and event; this says
which records carry evidence and that the record's own township rules decide who may touch it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from prometheus_client import CollectorRegistry

from contracts import deputies as ev
from contracts.envelope import Envelope
from deputies.domain.access import require_read, require_write
from deputies.domain.errors import NotFoundError
from deputies.events import envelope
from deputies.handlers.context import Services
from deputies.settings import DeputiesSettings
from kit import correlation
from kit.attachments import (
    Access,
    Attachment,
    Attachments,
    Change,
    Owner,
    OwnerKind,
    router as attachment_router,
)
from kit.principal import Principal
from kit.uow import UnitOfWork


def _check(principal: Principal, township: str, access: Access) -> None:
    """Evidence follows its record: readers of the township read it, writers change it."""
    if access == "read":
        require_read(principal, township)
    else:
        require_write(principal, township)


def owners(svc: Services) -> list[OwnerKind]:
    """Return the work records that carry evidence."""

    async def manuscript(uow: UnitOfWork, p: Principal, oid: str, access: Access) -> Owner:
        found = await svc.repository(uow).manuscript(oid)
        if found is None:
            raise NotFoundError(f"no manuscript {oid}")
        _check(p, found.township, access)
        return Owner("manuscript", found.id, found.township)

    async def highlight(uow: UnitOfWork, p: Principal, oid: str, access: Access) -> Owner:
        found = await svc.repository(uow).highlight(oid)
        if found is None:
            raise NotFoundError(f"no highlight report {oid}")
        _check(p, found.township, access)
        return Owner("highlight", found.id, found.township)

    return [
        OwnerKind("manuscript", "manuscripts", manuscript),
        OwnerKind("highlight", "highlights", highlight),
    ]


def event(record: Attachment, change: Change, principal: Principal) -> Envelope[Any]:
    """Return the evidence event: the id, size and checksum, never the bytes or the file name."""
    common: dict[str, Any] = {
        "attachment_id": record.id,
        "owner_type": record.owner_type,
        "owner_id": record.owner_id,
        "township": record.township,
        "size": record.size,
        "sha256": record.sha256,
    }
    data: ev.EvidenceAdded | ev.EvidenceRemoved
    if change == "added":
        data = ev.EvidenceAdded(
            **common, content_type=record.content_type, uploaded_by=principal.subject[:120]
        )
    else:
        data = ev.EvidenceRemoved(**common, removed_by=principal.subject[:120])
    return envelope(data, correlation_id=correlation.current())


def wiring(svc: Services, settings: DeputiesSettings, registry: CollectorRegistry) -> Attachments:
    """Return the evidence attachments on the configured store."""
    return Attachments.on(settings, uow=svc.uow, audit=svc.audit, event=event, registry=registry)


def router(svc: Services, att: Attachments) -> APIRouter:
    """Return the evidence routes."""
    return attachment_router(att, owners(svc))
