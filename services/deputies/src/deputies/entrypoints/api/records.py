"""Routes: township work records (highlight work, manuscripts)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from deputies import views
from deputies.domain.model import ManuscriptState
from deputies.entrypoints.api.deps import CallerDep, IdempotencyKey, keyed
from deputies.entrypoints.api.schemas import (
    HighlightIn,
    HighlightOut,
    ManuscriptIn,
    ManuscriptOut,
    PublicationIn,
)
from deputies.handlers.context import Services, replayed
from deputies.handlers.records import (
    PublishManuscript,
    ReportHighlight,
    SubmitManuscript,
    publish_manuscript,
    report_highlight,
    submit_manuscript,
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

    return api
