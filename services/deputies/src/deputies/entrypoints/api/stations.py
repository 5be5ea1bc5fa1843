"""Routes: liaison stations."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from deputies import views
from deputies.entrypoints.api.deps import CallerDep, IdempotencyKey, IfMatch, etag, keyed
from deputies.entrypoints.api.schemas import StationIn, StationOut, StationPatch
from deputies.handlers.context import Services, replayed
from deputies.handlers.stations import CreateStation, UpdateStation, create_station, update_station


def router(svc: Services, *, stale_days: int) -> APIRouter:
    """Return the station routes (stale: content older than ``stale_days``)."""
    api = APIRouter(prefix="/stations", tags=["stations"])

    @api.get("", response_model=list[StationOut], summary="List stations in scope")
    async def list_stations(
        caller: CallerDep,
        township: Annotated[str | None, Query(pattern=r"^\d{2,9}$")] = None,
        stale: Annotated[
            bool | None,
            Query(description="true: only stations whose content is stale; false: only fresh"),
        ] = None,
    ) -> list[dict[str, Any]]:
        cutoff = svc.clock() - timedelta(days=stale_days)
        async with svc.uow() as uow:
            return await views.list_stations(
                uow.session, svc.tables, caller.viewer, township, stale=stale, cutoff=cutoff
            )

    @api.post(
        "", response_model=StationOut, status_code=status.HTTP_201_CREATED, summary="Open a station"
    )
    async def create(
        body: StationIn, caller: CallerDep, response: Response, key: IdempotencyKey = None
    ) -> dict[str, Any]:
        caller = keyed(caller, key, body)
        station_id = (
            await replayed(svc, caller)
            or (await create_station(svc, caller, CreateStation(**body.model_dump()))).id
        )
        async with svc.uow() as uow:
            item = await views.get_station(uow.session, svc.tables, caller.viewer, station_id)
        etag(response, item["version"])
        return item

    @api.get("/{station_id}", response_model=StationOut, summary="Read a station")
    async def get_station(station_id: str, caller: CallerDep, response: Response) -> dict[str, Any]:
        async with svc.uow() as uow:
            item = await views.get_station(uow.session, svc.tables, caller.viewer, station_id)
        etag(response, item["version"])
        return item

    @api.patch("/{station_id}", response_model=StationOut, summary="Update a station (If-Match)")
    async def patch_station(
        station_id: str, body: StationPatch, version: IfMatch, caller: CallerDep, response: Response
    ) -> Any:
        cmd = UpdateStation(station_id, version, **body.model_dump(exclude_unset=True))
        station = await update_station(svc, caller, cmd)
        etag(response, station.version)
        async with svc.uow() as uow:
            return await views.get_station(uow.session, svc.tables, caller.viewer, station.id)

    return api
