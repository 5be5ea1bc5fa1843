"""Routes: files on a case (reply letters, photos), with the case's own access rules.

Whoever may see the case reads its files; staff of its township and the people on the case (the
deputies behind it, the units handling it) attach files; only staff remove them. The kit's
attachment routes do the streaming, limits, metadata row, audit and event.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from prometheus_client import CollectorRegistry

from cases.domain.access import TRIAGE, can_read, on_case, require_staff
from cases.domain.errors import ForbiddenError, NotFoundError
from cases.events import SOURCE
from cases.handlers.context import Services
from cases.settings import CasesSettings
from contracts import cases as ev
from contracts.envelope import Envelope
from kit.attachments import (
    Access,
    Attachment,
    Attachments,
    Change,
    Owner,
    OwnerKind,
    router as attachment_router,
)
from kit.events import event as new_event
from kit.principal import Principal
from kit.uow import UnitOfWork


def owners(svc: Services) -> list[OwnerKind]:
    """Return the records of this service that carry files: cases."""

    async def case(uow: UnitOfWork, p: Principal, case_id: str, access: Access) -> Owner:
        found = await svc.store(uow).case(case_id)
        if found is None:
            raise NotFoundError(f"no case {case_id}")
        if access == "remove":
            require_staff(p, found.township)
        elif access == "write":
            staff = p.has(*TRIAGE) and p.covers(found.township)
            if not (staff or on_case(p, found)):
                raise ForbiddenError(f"case {case_id} is not yours to add files to")
        elif not can_read(p, found):
            raise ForbiddenError(f"case {case_id} is not yours to see")
        return Owner("case", found.case_id, found.township)

    return [OwnerKind("case", "cases", case)]


def event(record: Attachment, change: Change, principal: Principal) -> Envelope[Any]:
    """Return the attachment event: the id, size and checksum, never the bytes or the file name."""
    common: dict[str, Any] = {
        "attachment_id": record.id,
        "owner_type": "case",
        "owner_id": record.owner_id,
        "township": record.township,
        "size": record.size,
        "sha256": record.sha256,
    }
    data: ev.AttachmentAdded | ev.AttachmentRemoved
    if change == "added":
        data = ev.AttachmentAdded(
            **common, content_type=record.content_type, uploaded_by=principal.subject[:120]
        )
    else:
        data = ev.AttachmentRemoved(**common, removed_by=principal.subject[:120])
    return new_event(data, source=SOURCE)


def wiring(svc: Services, settings: CasesSettings, registry: CollectorRegistry) -> Attachments:
    """Return the case file attachments on the configured store."""
    return Attachments.on(settings, uow=svc.uow, audit=svc.audit, event=event, registry=registry)


def router(svc: Services, att: Attachments) -> APIRouter:
    """Return the case file routes."""
    return attachment_router(att, owners(svc))
