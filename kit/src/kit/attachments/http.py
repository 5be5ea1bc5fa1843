"""Attachment routes for any record kind: upload (streamed), list, download, remove.

A service says which records carry attachments (``OwnerKind``: its path and how to load one with
its own access rules) and how an attachment becomes an event; the kit does the rest the same way
in every service: authenticate, authorise on the owning record, validate, stream with the limits
checked as the bytes pass, then the metadata row, the audit entry and the event in one transaction.
"""

from __future__ import annotations

import logging
import re
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from prometheus_client import CollectorRegistry
from pydantic import BaseModel, Field
from sqlalchemy import Table, delete, select
from starlette.requests import ClientDisconnect

from contracts.envelope import Envelope
from kit.attachments.intake import Intake, Limits, Refused
from kit.attachments.metrics import AttachmentMetrics
from kit.attachments.settings import AttachmentSettings
from kit.attachments.store import Store, StoreMissing
from kit.attachments.table import attachment_table
from kit.audit import AuditLog
from kit.auth.dependencies import current_principal
from kit.clock import utcnow
from kit.db import make_metadata
from kit.errors import NotFoundError, invalid
from kit.principal import Principal
from kit.uow import UnitOfWork, UnitOfWorkFactory
from kit.web.problems import ProblemError

log = logging.getLogger("kit.attachments")

Access = Literal["read", "write", "remove"]
Change = Literal["added", "removed"]


@dataclass(frozen=True)
class Owner:
    """The record an attachment belongs to, as far as attachments care."""

    kind: str
    id: str
    township: str


@dataclass(frozen=True)
class OwnerKind:
    """A kind of record carrying attachments: its path and how to load one for an access."""

    kind: str
    path: str
    load: Callable[[UnitOfWork, Principal, str, Access], Awaitable[Owner]]
    """Return the record if the principal has the access (else raise 404 or 403)."""


@dataclass(frozen=True)
class Attachment:
    """One stored attachment's metadata row."""

    id: str
    owner_type: str
    owner_id: str
    township: str
    file_name: str
    content_type: str
    size: int
    sha256: str
    storage_key: str
    uploaded_by: str
    uploaded_at: datetime


class AttachmentOut(BaseModel):
    """An attachment as the API shows it (the bytes are at its download route)."""

    id: str
    owner_type: str
    owner_id: str
    township: str
    file_name: str
    content_type: str = Field(description="Type sniffed from the bytes, not the client's")
    size: int
    sha256: str = Field(description="SHA-256 of the bytes, hex")
    uploaded_by: str
    uploaded_at: datetime


EventOf = Callable[[Attachment, Change, Principal], Envelope[Any]]


@dataclass(frozen=True)
class Attachments:
    """What the routes run on: the store, limits, metadata table, units of work, audit, events."""

    store: Store
    limits: Limits
    table: Table
    uow: UnitOfWorkFactory
    audit: AuditLog
    event: EventOf
    metrics: AttachmentMetrics

    @classmethod
    def on(
        cls,
        settings: AttachmentSettings,
        *,
        uow: UnitOfWorkFactory,
        audit: AuditLog,
        event: EventOf,
        registry: CollectorRegistry,
    ) -> Attachments:
        """Return a service's attachments on its configured store, limits and registry."""
        return cls(
            store=settings.attachment_store(),
            limits=settings.attachment_limits(),
            table=attachment_table(make_metadata()),
            uow=uow,
            audit=audit,
            event=event,
            metrics=AttachmentMetrics.on(registry, settings.service_name),
        )


_UNSAFE = re.compile(r"[\x00-\x1f\x7f\"\\]")


def clean_filename(raw: str | None) -> str:
    """Return the file's own name (no folders, no control characters); 422 when there is none."""
    name = _UNSAFE.sub("", re.split(r"[/\\]", raw or "")[-1]).strip()
    if not name or name in {".", ".."} or len(name) > 255:
        raise invalid(("query", "filename"), "give the file's name (1-255 characters)", "missing")
    return name


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """Return a Content-Disposition with an ASCII fallback and the UTF-8 name (RFC 6266, 5987)."""
    fallback = "".join(c if " " <= c < "\x7f" and c not in '"\\%' else "_" for c in filename)
    encoded = urllib.parse.quote(filename, safe="")
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def _of(row: Any) -> Attachment:
    return Attachment(**{k: getattr(row, k) for k in Attachment.__dataclass_fields__})


async def _attachment(uow: UnitOfWork, att: Attachments, owner: Owner, aid: str) -> Attachment:
    t = att.table
    found = (
        await uow.session.execute(
            select(t).where(t.c.id == aid, t.c.owner_type == owner.kind, t.c.owner_id == owner.id)
        )
    ).first()
    if found is None:
        raise NotFoundError(f"no attachment {aid} on {owner.kind} {owner.id}")
    return _of(found)


def _audit(att: Attachments, uow: UnitOfWork, p: Principal, action: str, a: Attachment) -> None:
    att.audit.add(
        uow,
        actor=p,
        action=action,
        resource_type=a.owner_type,
        resource_id=a.owner_id,
        township=a.township,
        detail={"attachment_id": a.id, "size": a.size, "sha256": a.sha256},
    )


async def _then(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    async for chunk in rest:
        yield chunk


PrincipalDep = Annotated[Principal, Depends(current_principal)]
_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


def router(att: Attachments, owners: Sequence[OwnerKind]) -> APIRouter:
    """Return the attachment routes of every owning kind."""
    api = APIRouter(tags=["attachments"])
    for kind in owners:
        _routes(api, att, kind)
    return api


def _routes(api: APIRouter, att: Attachments, kind: OwnerKind) -> None:
    base = f"/{kind.path}/{{owner_id}}/attachments"

    async def upload(
        owner_id: str,
        request: Request,
        principal: PrincipalDep,
        filename: Annotated[str | None, Query(description="The file's name")] = None,
    ) -> AttachmentOut:
        async with att.uow() as uow:
            owner = await kind.load(uow, principal, owner_id, "write")
        name = clean_filename(filename)
        declared = int(request.headers.get("content-length") or 0)
        if declared > att.limits.max_bytes:
            att.metrics.refusal("too_large")
            raise ProblemError(413, detail=f"the file is larger than {att.limits.max_bytes} bytes")
        record = await _store(att, owner, name, request, principal)
        try:
            async with att.uow() as uow:
                await kind.load(uow, principal, owner_id, "write")
                uow.add(att.table, asdict(record))
                _audit(att, uow, principal, "attach", record)
                uow.stage(att.event(record, "added", principal))
                await uow.commit()
        except BaseException:
            await _forget(att, record.storage_key)
            raise
        att.metrics.stored_bytes.labels(att.metrics.service).inc(record.size)
        return AttachmentOut(**asdict(record))

    async def listing(owner_id: str, principal: PrincipalDep) -> list[AttachmentOut]:
        t = att.table
        async with att.uow() as uow:
            owner = await kind.load(uow, principal, owner_id, "read")
            rows = await uow.session.execute(
                select(t)
                .where(t.c.owner_type == owner.kind, t.c.owner_id == owner.id)
                .order_by(t.c.uploaded_at, t.c.id)
            )
        return [AttachmentOut(**asdict(_of(r))) for r in rows]

    async def download(owner_id: str, attachment_id: str, principal: PrincipalDep) -> Response:
        async with att.uow() as uow:
            owner = await kind.load(uow, principal, owner_id, "read")
            record = await _attachment(uow, att, owner, attachment_id)
            _audit(att, uow, principal, "download", record)
            await uow.commit()
        chunks = att.store.open(record.storage_key)
        try:
            first = await anext(chunks)
        except StoreMissing:
            att.metrics.store_error("missing")
            raise ProblemError(
                500, detail="the attachment's file is missing from the store"
            ) from None
        except Exception:
            att.metrics.store_error("get")
            raise ProblemError(503, detail="the attachment store does not answer") from None
        return StreamingResponse(
            _then(first, chunks),
            media_type=record.content_type,
            headers={
                "Content-Disposition": content_disposition(record.file_name),
                "Content-Length": str(record.size),
                "X-Content-Type-Options": "nosniff",
                "ETag": f'"{record.sha256}"',
                "Cache-Control": "private, no-store",
            },
        )

    async def remove(owner_id: str, attachment_id: str, principal: PrincipalDep) -> Response:
        async with att.uow() as uow:
            owner = await kind.load(uow, principal, owner_id, "remove")
            record = await _attachment(uow, att, owner, attachment_id)
            await uow.session.execute(delete(att.table).where(att.table.c.id == record.id))
            _audit(att, uow, principal, "detach", record)
            uow.stage(att.event(record, "removed", principal))
            await uow.commit()
        await _forget(att, record.storage_key)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    what = kind.kind
    api.add_api_route(
        base,
        upload,
        methods=["POST"],
        status_code=status.HTTP_201_CREATED,
        response_model=AttachmentOut,
        summary=f"Attach a file to a {what} (the body is the file; limits checked as it streams)",
        openapi_extra=_BODY,
        responses={413: {"description": "Too large"}, 415: {"description": "Type not allowed"}},
    )
    api.add_api_route(
        base,
        listing,
        methods=["GET"],
        response_model=list[AttachmentOut],
        summary=f"List a {what}'s attachments",
    )
    api.add_api_route(
        base + "/{attachment_id}",
        download,
        methods=["GET"],
        response_class=StreamingResponse,
        summary=f"Download one of a {what}'s attachments (audited)",
    )
    api.add_api_route(
        base + "/{attachment_id}",
        remove,
        methods=["DELETE"],
        status_code=status.HTTP_204_NO_CONTENT,
        response_class=Response,
        summary=f"Remove an attachment from a {what}",
    )


async def _store(
    att: Attachments, owner: Owner, name: str, request: Request, principal: Principal
) -> Attachment:
    """Stream the body into the store with the limits checked; return the record to write."""
    attachment_id = str(uuid.uuid4())
    key = f"{owner.township}/{owner.kind}/{owner.id}/{attachment_id}"
    intake = Intake(
        request.stream(),
        att.limits,
        filename=name,
        declared=request.headers.get("content-type", ""),
    )
    try:
        await att.store.put(key, intake.stream())
    except Refused as refused:
        att.metrics.refusal(refused.reason)
        if refused.status == 422:
            raise invalid(("body",), str(refused), refused.reason) from None
        raise ProblemError(refused.status, detail=str(refused)) from None
    except ClientDisconnect:
        att.metrics.refusal("aborted")
        raise
    except Exception as error:
        att.metrics.store_error("put")
        log.exception("attachment store failed", extra={"error": type(error).__name__})
        raise ProblemError(503, detail="the attachment store does not answer") from None
    return Attachment(
        id=attachment_id,
        owner_type=owner.kind,
        owner_id=owner.id,
        township=owner.township,
        file_name=name,
        content_type=intake.content_type,
        size=intake.size,
        sha256=intake.sha256,
        storage_key=key,
        uploaded_by=principal.subject[:120],
        uploaded_at=utcnow(),
    )


async def _forget(att: Attachments, key: str) -> None:
    """Remove an object no row points to; a failure is counted (an orphan for operators)."""
    try:
        await att.store.delete(key)
    except Exception:
        att.metrics.store_error("orphan")
        log.exception("attachment left in the store without a row", extra={"key": key})
