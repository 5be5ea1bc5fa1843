"""Routes: township work records (highlight work, manuscripts)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status

from deputies import views
from deputies.domain.model import ManuscriptState
from deputies.entrypoints.api.deps import CallerDep, IdempotencyKey, IfMatch, etag, keyed
from deputies.entrypoints.api.schemas import (
    HighlightIn,
    HighlightOut,
    HighlightPatch,
    HighlightRuleIn,
    HighlightRuleOut,
    ManuscriptIn,
    ManuscriptOut,
    ManuscriptPatch,
    PublicationIn,
    WithdrawalIn,
)
from deputies.handlers.context import Caller, Services, replayed
from deputies.handlers.records import (
    PublishManuscript,
    ReportHighlight,
    SubmitManuscript,
    correct_highlight,
    correct_manuscript,
    publish_manuscript,
    read_highlight_rule,
    report_highlight,
    set_highlight_rule,
    submit_manuscript,
    withdraw_highlight,
    withdraw_manuscript,
)


def router(svc: Services) -> APIRouter:
    """Return the highlight and manuscript routes."""
    api = APIRouter(tags=["work records"])

    @api.get("/highlights", response_model=list[HighlightOut], summary="List highlight work")
    async def list_highlights(
        caller: CallerDep,
        township: Annotated[str | None, Query(pattern=r"^\d{2,9}$")] = None,
        year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    ) -> list[dict[str, Any]]:
        async with svc.uow() as uow:
            return await views.list_highlights(
                uow.session, svc.tables, caller.viewer, township, year
            )

    @api.post(
        "/highlights",
        response_model=HighlightOut,
        status_code=status.HTTP_201_CREATED,
        summary="Report highlight work",
    )
    async def create_highlight(
        body: HighlightIn, caller: CallerDep, key: IdempotencyKey = None
    ) -> dict[str, Any]:
        caller = keyed(caller, key, body)
        highlight_id = (
            await replayed(svc, caller)
            or (await report_highlight(svc, caller, ReportHighlight(**body.model_dump()))).id
        )
        async with svc.uow() as uow:
            items = await views.list_highlights(
                uow.session, svc.tables, caller.viewer, body.township, body.year
            )
        return next(i for i in items if i["id"] == highlight_id)

    @api.get("/manuscripts", response_model=list[ManuscriptOut], summary="List manuscripts")
    async def list_manuscripts(
        caller: CallerDep,
        township: Annotated[str | None, Query(pattern=r"^\d{2,9}$")] = None,
        state: ManuscriptState | None = None,
    ) -> list[dict[str, Any]]:
        async with svc.uow() as uow:
            return await views.list_manuscripts(
                uow.session, svc.tables, caller.viewer, township, state.value if state else None
            )

    @api.post(
        "/manuscripts",
        response_model=ManuscriptOut,
        status_code=status.HTTP_201_CREATED,
        summary="Submit a manuscript",
    )
    async def create_manuscript(
        body: ManuscriptIn, caller: CallerDep, key: IdempotencyKey = None
    ) -> Any:
        caller = keyed(caller, key, body)
        replay = await replayed(svc, caller)
        if replay is None:
            return await submit_manuscript(svc, caller, SubmitManuscript(**body.model_dump()))
        async with svc.uow() as uow:
            return await svc.repository(uow).manuscript(replay)

    @api.post(
        "/manuscripts/{manuscript_id}/publish",
        response_model=ManuscriptOut,
        summary="Mark a manuscript published",
    )
    async def publish(manuscript_id: str, body: PublicationIn, caller: CallerDep) -> Any:
        return await publish_manuscript(
            svc, caller, PublishManuscript(manuscript_id=manuscript_id, **body.model_dump())
        )

    async def _highlight(caller: Caller, township: str, year: int, hid: str) -> dict[str, Any]:
        async with svc.uow() as uow:
            items = await views.list_highlights(
                uow.session, svc.tables, caller.viewer, township, year
            )
        return next(i for i in items if i["id"] == hid)

    @api.patch(
        "/highlights/{highlight_id}",
        response_model=HighlightOut,
        summary="Correct a highlight report, with a reason (If-Match)",
    )
    async def patch_highlight(
        highlight_id: str,
        body: HighlightPatch,
        version: IfMatch,
        caller: CallerDep,
        response: Response,
    ) -> dict[str, Any]:
        changes = body.model_dump(exclude_unset=True, exclude={"reason"})
        item = await correct_highlight(svc, caller, highlight_id, version, changes, body.reason)
        etag(response, item.version)
        return await _highlight(caller, item.township, item.year, item.id)

    @api.post(
        "/highlights/{highlight_id}/withdraw",
        response_model=HighlightOut,
        summary="Withdraw a highlight report, with a reason (If-Match)",
    )
    async def withdraw_highlight_route(
        highlight_id: str,
        body: WithdrawalIn,
        version: IfMatch,
        caller: CallerDep,
        response: Response,
    ) -> dict[str, Any]:
        item = await withdraw_highlight(svc, caller, highlight_id, version, body.reason)
        etag(response, item.version)
        return await _highlight(caller, item.township, item.year, item.id)

    @api.put(
        "/townships/{code}/highlight-rules/{year}",
        response_model=HighlightRuleOut,
        summary="Set how many highlight reports a township may have in a year (county_admin)",
    )
    async def put_rule(
        code: Annotated[str, Path(pattern=r"^\d{9}$")],
        year: Annotated[int, Path(ge=2000, le=2100)],
        body: HighlightRuleIn,
        caller: CallerDep,
    ) -> dict[str, Any]:
        await set_highlight_rule(svc, caller, code, year, body.max_highlights)
        return {"township": code, "year": year, "max_highlights": body.max_highlights}

    @api.get(
        "/townships/{code}/highlight-rules/{year}",
        response_model=HighlightRuleOut,
        summary="Read a township's highlight rule for a year (null: no limit)",
    )
    async def get_rule(
        code: Annotated[str, Path(pattern=r"^\d{9}$")],
        year: Annotated[int, Path(ge=2000, le=2100)],
        caller: CallerDep,
    ) -> dict[str, Any]:
        limit = await read_highlight_rule(svc, caller, code, year)
        return {"township": code, "year": year, "max_highlights": limit}

    @api.patch(
        "/manuscripts/{manuscript_id}",
        response_model=ManuscriptOut,
        summary="Correct a manuscript's record, with a reason (If-Match)",
    )
    async def patch_manuscript(
        manuscript_id: str,
        body: ManuscriptPatch,
        version: IfMatch,
        caller: CallerDep,
        response: Response,
    ) -> Any:
        changes = body.model_dump(exclude_unset=True, exclude={"reason"})
        item = await correct_manuscript(svc, caller, manuscript_id, version, changes, body.reason)
        etag(response, item.version)
        return item

    @api.post(
        "/manuscripts/{manuscript_id}/withdraw",
        response_model=ManuscriptOut,
        summary="Withdraw a manuscript (and its publication), with a reason (If-Match)",
    )
    async def withdraw_manuscript_route(
        manuscript_id: str,
        body: WithdrawalIn,
        version: IfMatch,
        caller: CallerDep,
        response: Response,
    ) -> Any:
        item = await withdraw_manuscript(svc, caller, manuscript_id, version, body.reason)
        etag(response, item.version)
        return item

    return api
