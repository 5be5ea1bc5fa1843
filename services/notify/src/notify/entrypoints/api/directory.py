"""Routes of the directory: units, staff and deputies' contacts (masked), writes with If-Match, import."""

from __future__ import annotations

import asyncio
from email import message_from_bytes, policy
from email.message import EmailMessage
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from contracts.vocabulary import RecipientKind
from kit.errors import invalid
from kit.web.problems import ProblemError
from kit.web.requests import IfMatchLater, PagingDep, etag
from notify.adapters.directory import FileError, read_table
from notify.domain.directory import Entry
from notify.entrypoints.api.deps import CallerDep
from notify.entrypoints.api.schemas import EntryOut, ImportOut, StaffIn, UnitIn
from notify.handlers import directory as use
from notify.handlers.context import Services

EntryId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
MAX_BYTES = 5 * 1024 * 1024
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


class ImportKind(StrEnum):
    """What an import file lists."""

    units = "units"
    staff = "staff"
    deputies = "deputies"

    @property
    def recipients(self) -> RecipientKind:
        """Return the recipient kind the file's rows are."""
        return {
            ImportKind.units: RecipientKind.handling_unit,
            ImportKind.staff: RecipientKind.staff,
            ImportKind.deputies: RecipientKind.deputy,
        }[self]


async def _body(request: Request) -> tuple[bytes, str, str]:
    too_large = invalid(("body",), f"the file is larger than {MAX_BYTES} bytes", "too_large")
    if int(request.headers.get("content-length") or 0) > MAX_BYTES:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BYTES:
            raise too_large
        chunks.append(chunk)
    content, content_type = b"".join(chunks), request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        return content, content_type, ""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = message_from_bytes(head + content, policy=policy.HTTP)
    if isinstance(message, EmailMessage) and message.is_multipart():
        for part in message.iter_parts():
            if not isinstance(part, EmailMessage):
                continue
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes) and payload:
                return payload, part.get_content_type(), part.get_filename() or ""
    raise invalid(("body", "file"), "send the file as a form field named file", "missing")


def router(svc: Services) -> APIRouter:
    """Return the directory routes."""
    api = APIRouter(prefix="/directory", tags=["directory"])

    @api.get(
        "/units",
        response_model=list[EntryOut],
        summary="Handling units (承办单位) of your county, addresses masked",
    )
    async def get_units(caller: CallerDep, paging: PagingDep) -> Any:
        kind = RecipientKind.handling_unit
        return await use.entries(svc, caller, kind, paging.page_size, paging.offset)

    @api.get(
        "/units/{unit_id}",
        response_model=EntryOut,
        summary="One handling unit, addresses masked (ETag: its version)",
    )
    async def get_unit(unit_id: EntryId, caller: CallerDep, response: Response) -> Any:
        found = await use.entry(svc, caller, RecipientKind.handling_unit, unit_id)
        etag(response, found.version)
        return use.view(found)

    @api.put(
        "/units/{unit_id}",
        response_model=EntryOut,
        summary='Create or replace a handling unit (county staff; If-Match: "0" to create)',
    )
    async def put_unit(
        unit_id: EntryId,
        body: UnitIn,
        caller: CallerDep,
        precondition: IfMatchLater,
        response: Response,
    ) -> Any:
        new = Entry(
            RecipientKind.handling_unit,
            unit_id,
            body.name,
            body.county,
            body.active,
            frozenset(),
            use.contacts_in(body.contacts.model_dump(exclude_unset=True)),
        )
        saved = await use.put(svc, caller, new, precondition)
        etag(response, saved.version)
        return use.view(saved)

    @api.get(
        "/staff",
        response_model=list[EntryOut],
        summary="County and township staff of your area with their offices, addresses masked",
    )
    async def get_staff(caller: CallerDep, paging: PagingDep) -> Any:
        kind = RecipientKind.staff
        return await use.entries(svc, caller, kind, paging.page_size, paging.offset)

    @api.get(
        "/staff/{staff_id}",
        response_model=EntryOut,
        summary="One staff member, addresses masked (ETag: the version)",
    )
    async def get_one_staff(staff_id: EntryId, caller: CallerDep, response: Response) -> Any:
        found = await use.entry(svc, caller, RecipientKind.staff, staff_id)
        etag(response, found.version)
        return use.view(found)

    @api.put(
        "/staff/{staff_id}",
        response_model=EntryOut,
        summary="Create or replace a staff member and the offices they hold "
        '(county staff; township staff for their own township; If-Match: "0" to create)',
    )
    async def put_staff(
        staff_id: EntryId,
        body: StaffIn,
        caller: CallerDep,
        precondition: IfMatchLater,
        response: Response,
    ) -> Any:
        new = Entry(
            RecipientKind.staff,
            staff_id,
            body.name,
            body.township,
            body.active,
            frozenset(body.offices),
            use.contacts_in(body.contacts.model_dump(exclude_unset=True)),
        )
        saved = await use.put(svc, caller, new, precondition)
        etag(response, saved.version)
        return use.view(saved)

    @api.get(
        "/deputies",
        response_model=list[EntryOut],
        summary="Deputies of your area as notify knows them (roster events), addresses masked",
    )
    async def get_deputies(
        caller: CallerDep,
        paging: PagingDep,
        superseded: Annotated[
            bool,
            Query(description="Only deputies whose phone the roster changed since it was entered"),
        ] = False,
    ) -> Any:
        kind = RecipientKind.deputy
        return await use.entries(
            svc, caller, kind, paging.page_size, paging.offset, superseded=superseded
        )

    @api.post(
        "/import",
        response_model=ImportOut,
        status_code=201,
        summary="Import units, staff or deputies' contacts from CSV or XLSX: every row or none",
        openapi_extra=_FILE_BODY,
        responses={422: {"description": "Rejected rows, each with its reasons; nothing written"}},
    )
    async def import_file(
        request: Request,
        caller: CallerDep,
        kind: Annotated[ImportKind, Query(description="What the file lists")],
    ) -> Any:
        use.check_importer(caller, kind.recipients)
        content, content_type, filename = await _body(request)
        if not content:
            raise invalid(("body",), "send the CSV or XLSX file as the request body", "missing")
        try:
            rows = await asyncio.to_thread(read_table, content, content_type, filename)
        except FileError as error:
            raise invalid(("body",), str(error), "unreadable") from None
        report = await use.import_rows(svc, caller, kind.recipients, rows)
        if report.errors:
            raise ProblemError(
                422,
                "The file has rejected rows; nothing was written",
                f"{len({e['row'] for e in report.errors})} row(s) rejected of {report.rows}",
                [
                    {
                        "loc": ["body", "row", e["row"], *e["field"].split(".")],
                        "msg": e["message"],
                        "type": "directory_row",
                    }
                    for e in report.errors
                ],
                type_="urn:npc-platform:problem:directory-import",
                report=report.body(),
            )
        return report.body()

    return api
