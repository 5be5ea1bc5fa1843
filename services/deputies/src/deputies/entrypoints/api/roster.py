"""Routes: roster import (CSV/XLSX, report per row and column) and XLSX export."""

from __future__ import annotations

import asyncio
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from deputies import views
from deputies.domain.access import ScopeError
from deputies.domain.errors import invalid
from deputies.domain.model import DeputyStatus, Level
from deputies.entrypoints.api.deps import CallerDep
from deputies.entrypoints.api.schemas import ImportReportOut
from deputies.handlers.context import Services
from deputies.roster_io.export import roster_xlsx
from deputies.roster_io.importing import ImportReport, ImportRequest, import_roster
from deputies.roster_io.upload import UploadError, file_part, is_multipart
from kit.web.problems import ProblemError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FILE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            XLSX: {"schema": {"type": "string", "format": "binary"}},
            "text/csv": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        },
    }
}


class ImportMode(StrEnum):
    """Write every row or none (default), or write the valid rows only."""

    all_or_nothing = "all_or_nothing"
    valid_rows = "valid_rows"


def _problem(report: ImportReport) -> JSONResponse:
    """Return the 422 problem of an import that wrote nothing, with the full report attached."""
    errors = [
        {
            "loc": ["body", *(["row", e["row"]] if e["row"] else []), e["field"] or "file"],
            "msg": e["message"] + (f" (column {e['column']} {e['header']})" if e["column"] else ""),
            "type": "roster_row",
        }
        for e in report.errors
    ]
    problem = ProblemError(
        422,
        "The roster has errors; nothing was written",
        f"{len(report.errors)} error(s) in {report.rows_total} row(s)",
        errors,
        type_="urn:npc-platform:problem:roster-import",
        report=ImportReportOut.model_validate(report, from_attributes=True).model_dump(),
    )
    return problem.to_response("/api/v1/roster/import")


async def _read_limited(request: Request, max_bytes: int) -> bytes:
    """Read the uploaded file, refusing it as soon as it grows past ``max_bytes``."""
    too_large = invalid(("body",), f"the file is larger than {max_bytes} bytes", "too_large")
    if int(request.headers.get("content-length") or 0) > max_bytes:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def router(svc: Services, *, max_bytes: int) -> APIRouter:
    """Return the roster file routes."""
    api = APIRouter(prefix="/roster", tags=["roster"])

    @api.post(
        "/import",
        response_model=ImportReportOut,
        status_code=201,
        summary="Import a roster from CSV or XLSX into a township",
        openapi_extra=_FILE_BODY,
        responses={422: {"description": "Rows with errors; nothing written (report attached)"}},
    )
    async def import_file(
        request: Request,
        caller: CallerDep,
        township: Annotated[str, Query(pattern=r"^\d{9}$")],
        mode: ImportMode = ImportMode.all_or_nothing,
        term: Annotated[
            int | None, Query(ge=1, le=99, description="Term when no 届次 column")
        ] = None,
        elected_on: Annotated[
            date | None, Query(description="当选日期 when no such column")
        ] = None,
        filename: str = "",
    ) -> Any:
        content = await _read_limited(request, max_bytes)
        content_type = request.headers.get("content-type", "")
        if is_multipart(content_type):
            try:
                upload = await asyncio.to_thread(file_part, content, content_type)
            except UploadError as error:
                raise invalid(("body", "file"), str(error), "missing") from None
            content, content_type = upload.content, upload.content_type
            filename = filename or upload.filename
        if not content:
            raise invalid(("body",), "send the CSV or XLSX file as the request body", "missing")
        req = ImportRequest(
            township=township,
            content=content,
            content_type=content_type,
            filename=filename,
            all_or_nothing=mode is ImportMode.all_or_nothing,
            term=term,
            elected_on=elected_on,
        )
        report = await import_roster(svc, caller, req)
        if report.errors and not report.written:
            return _problem(report)
        return report

    @api.get(
        "/export",
        summary="Export deputies as XLSX (restricted fields masked by role)",
        response_class=Response,
        responses={200: {"content": {XLSX: {}}}},
    )
    async def export(
        caller: CallerDep,
        township: Annotated[str | None, Query(pattern=r"^\d{2,9}$")] = None,
        level: Level | None = None,
        status_: Annotated[DeputyStatus | None, Query(alias="status")] = None,
        term: Annotated[int | None, Query(ge=1, le=99)] = None,
    ) -> Response:
        if not views.reads_all(caller.viewer):
            raise ScopeError("exports are for staff")
        f = views.DeputyFilter(
            township=township,
            level=level.value if level else None,
            status=status_.value if status_ else None,
            term=term,
        )
        async with svc.uow() as uow:
            items, clear = await views.all_deputies(uow.session, svc.tables, caller.viewer, f)
            stations = await views.station_names(uow.session, svc.tables, caller.viewer)
            svc.audit.add(
                uow,
                actor=caller.principal,
                action="export",
                resource_type="deputy",
                township=township,
                detail={
                    "format": "xlsx",
                    "rows": len(items),
                    "restricted_in_clear": len(clear),
                    "filter": {k: v for k, v in vars(f).items() if v is not None},
                },
            )
            await uow.commit()
        name = f"roster-{township or caller.viewer.scope or 'all'}.xlsx"
        return Response(
            await asyncio.to_thread(roster_xlsx, items, stations),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    return api
