"""Routes: townships and their roster verifications."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from deputies import views
from deputies.entrypoints.api.deps import CallerDep
from deputies.entrypoints.api.schemas import (
    TownshipIn,
    TownshipOut,
    VerificationIn,
    VerificationOut,
)
from deputies.handlers.context import Services
from deputies.handlers.townships import (
    RegisterTownship,
    VerifyRoster,
    register_township,
    verify_roster,
)


def router(svc: Services) -> APIRouter:
    """Return the township routes."""
    api = APIRouter(prefix="/townships", tags=["townships"])

    @api.get("", response_model=list[TownshipOut], summary="List townships in scope")
    async def list_townships(caller: CallerDep) -> list[dict[str, Any]]:
        async with svc.uow() as uow:
            return await views.list_townships(uow.session, svc.tables, caller.viewer)

    @api.post(
        "",
        response_model=TownshipOut,
        status_code=status.HTTP_201_CREATED,
        summary="Register a township",
    )
    async def create_township(body: TownshipIn, caller: CallerDep) -> Any:
        return await register_township(
            svc, caller, RegisterTownship(body.code, body.name, body.kind)
        )

    @api.get("/{code}", response_model=TownshipOut, summary="Read a township")
    async def get_township(code: str, caller: CallerDep) -> dict[str, Any]:
        async with svc.uow() as uow:
            return await views.get_township(uow.session, svc.tables, caller.viewer, code)

    @api.post(
        "/{code}/roster-verifications",
        response_model=TownshipOut,
        status_code=status.HTTP_201_CREATED,
        summary="Confirm the township's roster is current",
    )
    async def create_verification(code: str, body: VerificationIn, caller: CallerDep) -> Any:
        return await verify_roster(svc, caller, VerifyRoster(code, body.note))

    @api.get(
        "/{code}/roster-verifications",
        response_model=list[VerificationOut],
        summary="Who verified the roster, and when",
    )
    async def list_verifications(code: str, caller: CallerDep) -> list[dict[str, Any]]:
        async with svc.uow() as uow:
            return await views.roster_verifications(uow.session, svc.tables, caller.viewer, code)

    return api
