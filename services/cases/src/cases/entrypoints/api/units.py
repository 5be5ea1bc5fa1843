"""Routes: handling units and townships' opinion clocks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, status

from cases.adapters.store import UnitRecord
from cases.entrypoints.api.deps import CallerDep
from cases.entrypoints.api.schemas import ClockIn, UnitIn, UnitOut
from cases.handlers import units as handlers
from cases.handlers.context import Services


def router(svc: Services) -> APIRouter:
    """Return the unit and clock routes."""
    api = APIRouter(tags=["units"])

    @api.post(
        "/units",
        response_model=UnitOut,
        status_code=status.HTTP_201_CREATED,
        summary="Register a handling unit (承办单位)",
    )
    async def create_unit(body: UnitIn, caller: CallerDep) -> Any:
        return await handlers.register_unit(
            svc, caller, UnitRecord(body.unit_id, body.name, body.scope, True)
        )

    @api.get("/units", response_model=list[UnitOut], summary="Handling units of your area")
    async def list_units(caller: CallerDep) -> Any:
        return await handlers.list_units(svc, caller)

    @api.put(
        "/townships/{township}/opinion-clock",
        status_code=status.HTTP_204_NO_CONTENT,
        summary="Set the township's reply clock for constituents' opinions",
    )
    async def put_clock(
        township: Annotated[str, Path(pattern=r"^\d{9}$")], body: ClockIn, caller: CallerDep
    ) -> None:
        await handlers.set_opinion_clock(svc, caller, township, body.opinion_days)

    return api
