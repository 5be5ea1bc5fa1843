"""Routes: deputies (register, read, list, update, status change, history)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from prometheus_client import CollectorRegistry

from deputies import views
from deputies.domain.access import require_write
from deputies.domain.drafts import DeputyDraft
from deputies.domain.model import DeputyStatus, Level
from deputies.entrypoints.api.deps import (
    CallerDep,
    IdempotencyKey,
    IfMatch,
    PagingDep,
    etag,
    keyed,
    page_body,
)
from deputies.entrypoints.api.schemas import (
    DeputyIn,
    DeputyOut,
    DeputyPatch,
    HistoryOut,
    PageOut,
    StatusCorrectionIn,
    StatusIn,
)
from deputies.handlers.context import Caller, Services, replayed
from deputies.handlers.deputies import (
    ChangeStatus,
    Registered,
    change_deputy_status,
    correct_status,
    register_batch,
    update_deputy,
)
from kit.group_commit import GroupCommit, GroupCommitMetrics


def draft_of(body: DeputyIn) -> DeputyDraft:
    """Return the draft a registration request describes."""
    fields = body.model_dump(exclude={"elected_on", "levels"})
    return DeputyDraft(**fields, levels=frozenset(body.levels), elected_on=body.elected_on)


async def read_deputy(
    svc: Services, caller: Caller, deputy_id: str, *, audit: bool
) -> dict[str, Any]:
    """Return a deputy as the caller may see it; audit a read of restricted data in clear."""
    async with svc.uow() as uow:
        item, shown = await views.get_deputy(uow.session, svc.tables, caller.viewer, deputy_id)
        if shown and audit:
            svc.audit.add(
                uow,
                actor=caller.principal,
                action="read_restricted",
                resource_type="deputy",
                resource_id=deputy_id,
                township=item["township"],
                detail={"fields": [n for n in views.CONTACT if item[n] is not None]},
            )
            await uow.commit()
    return item


def router(svc: Services, registry: CollectorRegistry) -> APIRouter:
    """Return the deputy routes."""
    api = APIRouter(prefix="/deputies", tags=["deputies"])
    # concurrent registrations share a transaction (kit.group_commit): checks, rows, events, audit
    registrations: GroupCommit[tuple[Caller, DeputyDraft], Registered] = GroupCommit(
        "registrations",
        lambda batch: register_batch(svc, batch),
        writers=2,  # one batch reads and checks while the other commits
        metrics=GroupCommitMetrics(registry),
    )

    @api.get("", response_model=PageOut[DeputyOut], summary="Search deputies (paginated)")
    async def list_deputies(
        caller: CallerDep,
        paging: PagingDep,
        township: Annotated[str | None, Query(pattern=r"^\d{2,9}$")] = None,
        level: Level | None = None,
        status_: Annotated[DeputyStatus | None, Query(alias="status")] = None,
        deputy_group: str | None = None,
        term: Annotated[int | None, Query(ge=1, le=99)] = None,
        station_id: str | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        f = views.DeputyFilter(
            township=township,
            level=level.value if level else None,
            status=status_.value if status_ else None,
            deputy_group=deputy_group,
            term=term,
            station_id=station_id,
            name=name,
        )
        async with svc.uow() as uow:
            page = await views.list_deputies(
                uow.session,
                svc.tables,
                caller.viewer,
                f,
                page=paging.page,
                page_size=paging.page_size,
            )
            if page.clear_contacts:
                svc.audit.add(
                    uow,
                    actor=caller.principal,
                    action="read_restricted",
                    resource_type="deputy",
                    township=township,
                    detail={"count": len(page.clear_contacts), "ids": page.clear_contacts},
                )
                await uow.commit()
        return page_body(page)

    @api.post(
        "",
        response_model=DeputyOut,
        status_code=status.HTTP_201_CREATED,
        summary="Register a deputy",
    )
    async def create(
        body: DeputyIn, caller: CallerDep, response: Response, key: IdempotencyKey = None
    ) -> dict[str, Any]:
        caller = keyed(caller, key, body)
        deputy_id = await replayed(svc, caller)
        if deputy_id is None:  # the new deputy's view from the row written: no read back
            draft = draft_of(body)
            require_write(caller.viewer, draft.township)
            deputy, row = await registrations((caller, draft))
            deputy_id = deputy.id
            item = views.deputy_view(row, caller.viewer)
        else:
            item = await read_deputy(svc, caller, deputy_id, audit=False)
        etag(response, item["version"])
        response.headers["Location"] = f"/api/v1/deputies/{deputy_id}"
        return item

    @api.get("/{deputy_id}", response_model=DeputyOut, summary="Read a deputy")
    async def get_deputy(deputy_id: str, caller: CallerDep, response: Response) -> dict[str, Any]:
        item = await read_deputy(svc, caller, deputy_id, audit=True)
        etag(response, item["version"])
        return item

    @api.patch("/{deputy_id}", response_model=DeputyOut, summary="Update a deputy (If-Match)")
    async def patch(
        deputy_id: str, body: DeputyPatch, version: IfMatch, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        changes = body.model_dump(exclude_unset=True)
        if "levels" in changes:
            changes["levels"] = frozenset(changes["levels"])
        deputy = await update_deputy(svc, caller, deputy_id, version, changes)
        etag(response, deputy.version)
        return await read_deputy(svc, caller, deputy.id, audit=False)

    @api.post(
        "/{deputy_id}/status",
        response_model=DeputyOut,
        summary="Change (or schedule) a mandate's status (If-Match)",
    )
    async def post_status(
        deputy_id: str,
        body: StatusIn,
        version: IfMatch,
        caller: CallerDep,
        response: Response,
    ) -> dict[str, Any]:
        cmd = ChangeStatus(
            deputy_id=deputy_id,
            to_status=body.status,
            reason=body.reason,
            effective_date=body.effective_date,
            note=body.note,
            expected_version=version,
            level=body.level,
        )
        deputy = await change_deputy_status(svc, caller, cmd)
        etag(response, deputy.version)
        return await read_deputy(svc, caller, deputy.id, audit=False)

    @api.post(
        "/{deputy_id}/status/corrections",
        response_model=DeputyOut,
        summary="Undo the latest status change, with a reason (county_admin, If-Match)",
    )
    async def correct(
        deputy_id: str,
        body: StatusCorrectionIn,
        version: IfMatch,
        caller: CallerDep,
        response: Response,
    ) -> dict[str, Any]:
        deputy = await correct_status(svc, caller, deputy_id, version, body.reason, body.level)
        etag(response, deputy.version)
        return await read_deputy(svc, caller, deputy.id, audit=False)

    @api.get("/{deputy_id}/history", response_model=list[HistoryOut], summary="Status history")
    async def history(deputy_id: str, caller: CallerDep) -> list[dict[str, Any]]:
        async with svc.uow() as uow:
            return await views.deputy_history(uow.session, svc.tables, caller.viewer, deputy_id)

    return api
