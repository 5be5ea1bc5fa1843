"""Register handling units and set townships' opinion clocks (county or township staff)."""

from __future__ import annotations

from cases.adapters.store import UnitRecord
from cases.domain.access import require_staff
from cases.domain.errors import ForbiddenError, invalid
from cases.handlers.context import Caller, Services
from kit.principal import Role


async def register_unit(svc: Services, caller: Caller, unit: UnitRecord) -> UnitRecord:
    """Register a handling unit serving an area inside the caller's county scope."""
    p = caller.principal
    if not (p.has(Role.county_admin) and p.covers(unit.scope)):
        raise ForbiddenError("handling units are registered by county staff of their area")
    async with svc.uow() as uow:
        store = svc.store(uow)
        if await store.units([unit.unit_id]):
            raise invalid("unit_id", f"unit {unit.unit_id} is registered already", "exists")
        await store.add_unit(unit, svc.clock())
        await svc.audit.record(
            uow.session,
            actor=p,
            action="register_unit",
            resource_type="unit",
            resource_id=unit.unit_id,
            township=unit.scope,
        )
        await uow.commit()
    return unit


async def list_units(svc: Services, caller: Caller) -> list[UnitRecord]:
    """Return the units serving the caller's county; operators see no business data."""
    p = caller.principal
    if not p.has(*(role for role in Role if role is not Role.operator)):
        raise ForbiddenError("the unit list is for the county's people, not the platform's")
    async with svc.uow() as uow:
        return await svc.store(uow).all_units(p.scope[:6])


async def set_opinion_clock(svc: Services, caller: Caller, township: str, days: int) -> None:
    """Set how many days units have to reply to the township's constituents' opinions."""
    require_staff(caller.principal, township)
    async with svc.uow() as uow:
        await svc.store(uow).set_opinion_days(township, days, at=svc.clock(), by=caller.subject)
        await svc.audit.record(
            uow.session,
            actor=caller.principal,
            action="set_opinion_clock",
            resource_type="township",
            resource_id=township,
            township=township,
            detail={"opinion_days": days},
        )
        await uow.commit()
