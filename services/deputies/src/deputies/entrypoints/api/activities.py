"""Routes: activities with attendance (log, correct, cancel, read, list)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from deputies import views
from deputies.domain.model import ActivityType
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
    ActivityIn,
    ActivityOut,
    ActivityPatch,
    CancelIn,
    MarkIn,
    PageOut,
)
from deputies.handlers.activities import (
    ActivityDetails,
    cancel_activity,
    log_activity,
    record_attendance,
    remove_attendance,
    update_activity,
)
from deputies.handlers.context import Caller, Services, replayed


def details_of(body: ActivityIn) -> ActivityDetails:
    """Return the activity a request describes."""
    return ActivityDetails(
        township=body.township or body.host or "",
        type=body.type,
        title=body.title,
        levels=frozenset(body.levels),
        held_on=body.held_on,
        duration_hours=body.duration_hours,
        station_id=body.station_id,
        attendance={a.deputy_id: a.mark for a in body.attendance},
        participants=frozenset(body.participants),
    )


async def _read(svc: Services, caller: Caller, activity_id: str) -> dict[str, Any]:
    async with svc.uow() as uow:
        return await views.get_activity(uow.session, svc.tables, caller.viewer, activity_id)


def router(svc: Services) -> APIRouter:
    """Return the activity routes."""
    api = APIRouter(prefix="/activities", tags=["activities"])

    @api.get("", response_model=PageOut[ActivityOut], summary="List activities (paginated)")
    async def list_activities(
        caller: CallerDep,
        paging: PagingDep,
        township: Annotated[str | None, Query(pattern=r"^\d{2,9}$")] = None,
        type_: Annotated[ActivityType | None, Query(alias="type")] = None,
        held_from: date | None = None,
        held_to: date | None = None,
    ) -> dict[str, Any]:
        async with svc.uow() as uow:
            page = await views.list_activities(
                uow.session,
                svc.tables,
                caller.viewer,
                township=township,
                type_=type_.value if type_ else None,
                held_from=held_from,
                held_to=held_to,
                page=paging.page,
                page_size=paging.page_size,
            )
        return page_body(page)

    @api.post(
        "",
        response_model=ActivityOut,
        status_code=status.HTTP_201_CREATED,
        summary="Log an activity",
    )
    async def create(
        body: ActivityIn, caller: CallerDep, response: Response, key: IdempotencyKey = None
    ) -> dict[str, Any]:
        caller = keyed(caller, key, body)
        activity_id = (
            await replayed(svc, caller) or (await log_activity(svc, caller, details_of(body))).id
        )
        item = await _read(svc, caller, activity_id)
        etag(response, item["version"])
        return item

    @api.get(
        "/{activity_id}", response_model=ActivityOut, summary="Read an activity with attendance"
    )
    async def get_activity(
        activity_id: str, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        item = await _read(svc, caller, activity_id)
        etag(response, item["version"])
        return item

    @api.patch(
        "/{activity_id}",
        response_model=ActivityOut,
        summary="Change an activity's details (If-Match); the attendance stays",
    )
    async def patch(
        activity_id: str,
        body: ActivityPatch,
        version: IfMatch,
        caller: CallerDep,
        response: Response,
    ) -> dict[str, Any]:
        changes = body.model_dump(exclude_unset=True, exclude={"reason"})
        for name in ("levels", "participants"):
            if changes.get(name) is not None:
                changes[name] = frozenset(changes[name])
        activity = await update_activity(svc, caller, activity_id, version, changes, body.reason)
        etag(response, activity.version)
        return await _read(svc, caller, activity.id)

    @api.put(
        "/{activity_id}/attendance/{deputy_id}",
        response_model=ActivityOut,
        summary="Record one deputy's attendance (their township's staff or a county role)",
    )
    async def put_mark(
        activity_id: str, deputy_id: str, body: MarkIn, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        activity = await record_attendance(svc, caller, activity_id, deputy_id, body.mark)
        etag(response, activity.version)
        return await _read(svc, caller, activity.id)

    @api.delete(
        "/{activity_id}/attendance/{deputy_id}",
        response_model=ActivityOut,
        summary="Remove a mistaken mark, with a reason (their township's staff or a county role)",
    )
    async def delete_mark(
        activity_id: str,
        deputy_id: str,
        reason: Annotated[str, Query(min_length=1, max_length=500, pattern=r"\S")],
        caller: CallerDep,
        response: Response,
    ) -> dict[str, Any]:
        activity = await remove_attendance(svc, caller, activity_id, deputy_id, reason.strip())
        etag(response, activity.version)
        return await _read(svc, caller, activity.id)

    @api.post(
        "/{activity_id}/cancel", response_model=ActivityOut, summary="Cancel an activity (If-Match)"
    )
    async def cancel(
        activity_id: str, body: CancelIn, version: IfMatch, caller: CallerDep, response: Response
    ) -> dict[str, Any]:
        activity = await cancel_activity(svc, caller, activity_id, version, body.reason)
        etag(response, activity.version)
        return await _read(svc, caller, activity.id)

    return api
