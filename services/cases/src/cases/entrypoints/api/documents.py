"""Routes: a case's printable documents (DOCX) and Excel exports of lists and statistics."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from cases.documents.workbooks import XLSX
from cases.domain.states import State
from cases.entrypoints.api.deps import CallerDep, PeriodQuery
from cases.handlers import documents, exports
from cases.handlers.context import Services
from cases.views import cases as views
from contracts.vocabulary import CaseKind

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _file(data: bytes, media_type: str, name: str) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def router(svc: Services) -> APIRouter:
    """Return the document and export routes."""
    api = APIRouter(tags=["documents and exports"])

    @api.get(
        "/cases/{case_id}/documents/{document}",
        response_class=Response,
        responses={200: {"content": {DOCX: {}}}},
        summary="Print a case's 交办单 (assignment-sheet) or 征询意见表 (feedback-form)",
    )
    async def case_document(
        case_id: str, document: Literal["assignment-sheet", "feedback-form"], caller: CallerDep
    ) -> Response:
        _case, data = await documents.print_case_document(svc, caller, case_id, document)
        return _file(data, DOCX, f"{document}-{case_id}.docx")

    @api.get(
        "/exports/cases.xlsx",
        response_class=Response,
        responses={200: {"content": {XLSX: {}}}},
        summary="The case list (same filters as GET /cases) as Excel",
    )
    async def export_cases(
        caller: CallerDep,
        township: Annotated[str | None, Query(pattern=r"^\d{2,12}$")] = None,
        state: State | None = None,
        kind: CaseKind | None = None,
        category: Annotated[str | None, Query(max_length=100)] = None,
        unit_id: Annotated[str | None, Query(max_length=64)] = None,
        deputy_id: Annotated[str | None, Query(max_length=64)] = None,
        key_chase: bool | None = None,
        overdue: bool | None = None,
        number: Annotated[str | None, Query(max_length=80)] = None,
    ) -> Response:
        flt = views.CaseFilter(
            township=township,
            state=state,
            kind=kind.value if kind else None,
            category=category,
            unit_id=unit_id,
            deputy_id=deputy_id,
            key_chase=key_chase,
            overdue=overdue,
            number=number,
        )
        return _file(await exports.export_cases(svc, caller, flt), XLSX, "cases.xlsx")

    @api.get(
        "/exports/statistics.xlsx",
        response_class=Response,
        responses={200: {"content": {XLSX: {}}}},
        summary="Statistics by township, unit, category and state as Excel",
    )
    async def export_statistics(caller: CallerDep, period: PeriodQuery) -> Response:
        return _file(await exports.export_statistics(svc, caller, period), XLSX, "statistics.xlsx")

    @api.get(
        "/exports/deputies.xlsx",
        response_class=Response,
        responses={200: {"content": {XLSX: {}}}},
        summary="Statistics per deputy as Excel",
    )
    async def export_deputies(caller: CallerDep, period: PeriodQuery) -> Response:
        return _file(await exports.export_deputies(svc, caller, period), XLSX, "deputies.xlsx")

    return api
