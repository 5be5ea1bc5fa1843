"""``GET /audit`` and ``GET /audit/export``: a service's audit log for those entitled to read it.

Every service mounts the same router (``audit_router(ctx)``). Auditors read every row in their
scope and rows that name no place; county administration the rows of its county; township staff
those of their township (``kit.audit.audit_scope``). Any other role is refused 403, and that
refusal is itself on the log (``kit.web.refusals``); an export is recorded as ``export``.
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations at runtime,
# and the role dependency is a local of the builder.

import csv
import io
import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from pydantic import BaseModel, Field

from kit.audit import (
    EXPORT_COLUMNS,
    READERS,
    AuditFilter,
    AuditReader,
    AuditScope,
    audit_scope,
)
from kit.auth.dependencies import require_roles
from kit.principal import Principal
from kit.service.context import HandlerContext
from kit.web.problems import Forbidden

PAGE_DEFAULT = 100
PAGE_MAX = 500
EXPORT_MAX_ROWS = 50_000
"""Most rows one export carries; a cut export says so (``X-Export-Truncated: true``)."""
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportFormat(StrEnum):
    """The file an export is written as."""

    csv = "csv"
    xlsx = "xlsx"


class AuditEntryOut(BaseModel):
    """One entry of the audit log."""

    id: int = Field(description="Position in the log; pages go from newest to oldest")
    at: datetime
    actor: str = Field(description="User id, ``anonymous`` or ``system``")
    roles: list[str]
    action: str = Field(description="create, update, correct, export, refuse, read_restricted, …")
    resource_type: str
    resource_id: str | None
    township: str | None = Field(description="Division code of the place the entry is about")
    outcome: str = Field(description="ok, or refused_401 / refused_403 / refused_404")
    correlation_id: str | None
    detail: dict[str, Any] = Field(
        description="What changed: ``changed`` and ``changes`` (before/after, restricted masked)"
    )


class AuditPageOut(BaseModel):
    """A page of entries, newest first; pass ``next_cursor`` as ``cursor`` for the next one."""

    items: list[AuditEntryOut]
    next_cursor: int | None = Field(description="None on the last page")


def _aware(moment: datetime | None) -> datetime | None:
    """Return an instant as aware UTC (a time without an offset is read as UTC)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def audit_filter(
    actor: Annotated[str | None, Query(max_length=120)] = None,
    action: Annotated[str | None, Query(max_length=80)] = None,
    resource_type: Annotated[str | None, Query(max_length=80)] = None,
    resource_id: Annotated[str | None, Query(max_length=120)] = None,
    township: Annotated[
        str | None, Query(pattern=r"^\d{2,12}$", description="Division-code prefix")
    ] = None,
    outcome: Annotated[str | None, Query(max_length=20)] = None,
    since: Annotated[datetime | None, Query(description="From this instant (inclusive)")] = None,
    until: Annotated[datetime | None, Query(description="Before this instant")] = None,
) -> AuditFilter:
    """Return the filters of a request (a coroutine: no thread-pool hop)."""
    return AuditFilter(
        actor=actor,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        township=township,
        outcome=outcome,
        since=_aware(since),
        until=_aware(until),
    )


Filters = Annotated[AuditFilter, Depends(audit_filter)]


def scope_of(principal: Principal, wanted: AuditFilter) -> AuditScope:
    """Return the reader's scope; 403 when the role reads nothing or the place lies outside it."""
    scope = audit_scope(principal)
    if scope is None:  # require_roles already refused; kept for callers without it
        raise Forbidden("this needs one of the roles: auditor, county_admin, township_staff")
    if wanted.township is not None and not scope.covers(wanted.township):
        raise Forbidden(
            f"{wanted.township} is outside your scope ({principal.scope})",
            reason="scope",
            township=wanted.township,
            scope=principal.scope,
        )
    return scope


def audit_router(ctx: HandlerContext) -> APIRouter:
    """Return the audit routes over a service's handler context (its units of work and log)."""
    api = APIRouter(prefix="/audit", tags=["audit"])
    reader = AuditReader(ctx.audit.table)
    Reader = Annotated[Principal, Depends(require_roles(*READERS))]  # noqa: N806

    @api.get("", response_model=AuditPageOut, summary="Read the audit log (keyset pages)")
    async def read_log(
        principal: Reader,
        wanted: Filters,
        cursor: Annotated[int | None, Query(ge=1, description="``next_cursor`` of a page")] = None,
        limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = PAGE_DEFAULT,
    ) -> dict[str, Any]:
        scope = scope_of(principal, wanted)
        async with ctx.uow() as uow:
            items, after = await reader.page(
                uow.session, scope, wanted, limit=limit, before_id=cursor
            )
        return {"items": items, "next_cursor": after}

    @api.get(
        "/export",
        summary="Export the audit log as CSV or XLSX (the export is itself audited)",
        response_class=Response,
        responses={200: {"content": {"text/csv": {}, XLSX: {}}}},
    )
    async def export_log(
        principal: Reader, wanted: Filters, format: ExportFormat = ExportFormat.csv
    ) -> Response:
        scope = scope_of(principal, wanted)
        async with ctx.uow() as uow:
            items, more = await reader.page(uow.session, scope, wanted, limit=EXPORT_MAX_ROWS)
            ctx.audit.add(
                uow,
                actor=principal,
                action="export",
                resource_type="audit_log",
                township=wanted.township or scope.prefix,
                detail={
                    "format": format.value,
                    "rows": len(items),
                    "truncated": more is not None,
                    "filters": wanted.asked(),
                },
            )
            await uow.commit()
        rows = [[_text(item[name]) for name in EXPORT_COLUMNS] for item in items]
        stamp = ctx.now().strftime("%Y%m%dT%H%M%SZ")
        headers = {
            "Content-Disposition": f'attachment; filename="audit-{stamp}.{format.value}"',
            "X-Export-Rows": str(len(rows)),
            "X-Export-Truncated": "true" if more is not None else "false",
        }
        if format is ExportFormat.xlsx:
            return Response(xlsx_bytes(rows), media_type=XLSX, headers=headers)
        return Response(csv_bytes(rows), media_type="text/csv; charset=utf-8", headers=headers)

    return api


def _text(value: Any) -> str:
    """Return a cell's text: instants in ISO form, lists joined, details as JSON."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def _safe(text: str) -> str:
    """Return text a spreadsheet shows as text, never runs as a formula (CSV/XLSX injection)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_bytes(rows: list[list[str]]) -> bytes:
    """Return the rows as UTF-8 CSV with a byte-order mark (Excel then reads Chinese right)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows([[_safe(cell) for cell in row] for row in rows])
    return ("\ufeff" + out.getvalue()).encode()


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    """Return the rows as one XLSX sheet, every cell text."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("audit_log")
    sheet.append(list(EXPORT_COLUMNS))
    for row in rows:
        sheet.append([_safe(ILLEGAL_CHARACTERS_RE.sub("", cell)) for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
