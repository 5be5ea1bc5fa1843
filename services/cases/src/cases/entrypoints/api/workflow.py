"""Routes of a unit's day: to-do list, bulk assignment, extension applications, co-opinions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status

from cases.domain.errors import ForbiddenError
from cases.entrypoints.api.deps import CallerDep
from cases.entrypoints.api.schemas import CaseOut
from cases.entrypoints.api.workflow_schemas import (
    BulkAssignIn,
    BulkAssignOut,
    CoOpinionRecordIn,
    ExtensionApplyIn,
    ExtensionGrantIn,
    ExtensionRefuseIn,
    TodoPage,
)
from cases.handlers import workflow
from cases.handlers.context import Caller, Services
from cases.views import cases as views
from cases.views.todo import unit_todo
from kit.web.domain_errors import as_problem
from kit.web.problems import record_refusal
from kit.web.requests import IfMatch, PagingDep, etag, page_body


def router(svc: Services) -> APIRouter:
    """Return the routes of a unit's day."""
    api = APIRouter(tags=["a unit's day"])

    async def shown(caller: Caller, case_id: str, response: Response) -> dict[str, Any]:
        view, version = await views.read_case(svc, caller, case_id)
        etag(response, version)
        return view

    @api.get(
        "/todo",
        response_model=TodoPage,
        summary="Your unit's to-do list (待办): what it owes next, earliest deadline first",
    )
    async def todo(
        caller: CallerDep,
        paging: PagingDep,
        unit_id: Annotated[
            str | None, Query(max_length=64, description="Your own unit (another's: 403)")
        ] = None,
    ) -> dict[str, Any]:
        if unit_id is not None and unit_id != caller.principal.unit_id:
            raise ForbiddenError("a unit reads its own to-do list only")
        return page_body(await unit_todo(svc, caller, paging.page, paging.page_size))

    @api.post(
        "/cases/bulk-assign",
        response_model=BulkAssignOut,
        status_code=status.HTTP_207_MULTI_STATUS,
        summary="Assign (交办) many cases; each case's own result",
    )
    async def bulk_assign(body: BulkAssignIn, caller: CallerDep, request: Request) -> Any:
        items = [
            workflow.Assignment(
                i.case_id, i.version, i.lead_unit_id, tuple(i.co_unit_ids), i.comment
            )
            for i in body.items
        ]
        batch, outcomes = await workflow.bulk_assign(svc, caller, items)
        results: list[dict[str, Any]] = []
        for outcome in outcomes:
            if outcome.case is not None:
                case = outcome.case
                results.append(
                    {
                        "case_id": case.case_id,
                        "status": 200,
                        "state": case.state.value,
                        "version": case.version,
                    }
                )
                continue
            assert outcome.error is not None
            problem = as_problem(outcome.error).to_problem(f"/api/v1/cases/{outcome.case_id}")
            if isinstance(outcome.error, ForbiddenError):
                await record_refusal(
                    request, status=403, reason="forbidden", detail=str(outcome.error)
                )
            results.append(
                {
                    "case_id": outcome.case_id,
                    "status": problem.status,
                    "problem": problem.model_dump(mode="json", exclude_none=True),
                }
            )
        if svc.metrics is not None:
            for r in results:
                svc.metrics.bulk_items.labels(status=str(r["status"])).inc()
        ok = sum(1 for r in results if r["status"] == 200)
        return {
            "batch_id": batch,
            "succeeded": ok,
            "failed": len(results) - ok,
            "results": results,
        }

    @api.post(
        "/cases/{case_id}/extension-request",
        response_model=CaseOut,
        summary="Apply for the extension (申请延期): the lead unit",
    )
    async def apply_extension(
        case_id: str,
        body: ExtensionApplyIn,
        version: IfMatch,
        caller: CallerDep,
        response: Response,
    ) -> dict[str, Any]:
        case = await workflow.apply_extension(
            svc, caller, case_id, version, body.due_on, body.reason
        )
        return await shown(caller, case.case_id, response)

    @api.post(
        "/cases/{case_id}/extension-request/grant",
        response_model=CaseOut,
        summary="Grant the pending application for extension",
    )
    async def grant_extension(
        case_id: str,
        body: ExtensionGrantIn,
        version: IfMatch,
        caller: CallerDep,
        response: Response,
    ) -> dict[str, Any]:
        case = await workflow.grant_extension(
            svc, caller, case_id, version, body.due_on, body.comment
        )
        return await shown(caller, case.case_id, response)

    @api.post(
        "/cases/{case_id}/extension-request/refuse",
        response_model=CaseOut,
        summary="Refuse the pending application for extension",
    )
    async def refuse_extension(
        case_id: str,
        body: ExtensionRefuseIn,
        version: IfMatch,
        caller: CallerDep,
        response: Response,
    ) -> dict[str, Any]:
        case = await workflow.refuse_extension(svc, caller, case_id, version, body.reason)
        return await shown(caller, case.case_id, response)

    @api.post(
        "/cases/{case_id}/co-opinion",
        response_model=CaseOut,
        summary="Record your unit's co-handling opinion (会办意见)",
    )
    async def co_opinion(
        case_id: str,
        body: CoOpinionRecordIn,
        version: IfMatch,
        caller: CallerDep,
        response: Response,
    ) -> dict[str, Any]:
        case = await workflow.record_co_opinion(svc, caller, case_id, version, body.text)
        return await shown(caller, case.case_id, response)

    return api
