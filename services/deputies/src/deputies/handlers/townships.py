"""Register townships and record roster verifications."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from deputies import events
from deputies.domain.access import require_county_admin, require_write
from deputies.domain.errors import NotFoundError, invalid
from deputies.domain.model import Township, TownshipKind
from deputies.handlers.context import Caller, Services

TOWNSHIP_CODE = re.compile(r"^\d{9}$")


@dataclass(frozen=True)
class RegisterTownship:
    """Add a township (镇) or sub-district (街道) to the county."""

    code: str
    name: str
    kind: TownshipKind


async def register_township(svc: Services, caller: Caller, cmd: RegisterTownship) -> Township:
    """Register a township once; the county administration does this."""
    if not TOWNSHIP_CODE.match(cmd.code):
        raise invalid("code", "a township code has 9 digits")
    require_county_admin(caller.viewer, cmd.code)
    township = Township(code=cmd.code, name=cmd.name, kind=cmd.kind, created_at=svc.clock())
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        if await repo.township(cmd.code) is not None:
            raise invalid("code", f"township {cmd.code} is already registered", "duplicate")
        await repo.add_township(township)
        svc.audit.add(
            uow,
            actor=caller.principal,
            action="create",
            resource_type="township",
            resource_id=township.code,
            township=township.code,
        )
        uow.stage(events.township_registered(township, caller))
        try:
            await uow.commit()
        except IntegrityError:
            raise invalid(
                "code", f"township {cmd.code} is already registered", "duplicate"
            ) from None
    return township


@dataclass(frozen=True)
class VerifyRoster:
    """Confirm that a township's roster is correct as of now."""

    township: str
    note: str | None = None


async def verify_roster(svc: Services, caller: Caller, cmd: VerifyRoster) -> Township:
    """Record who verified a township's roster and when."""
    require_write(caller.viewer, cmd.township)
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        township = await repo.township(cmd.township)
        if township is None:
            raise NotFoundError(f"township {cmd.township}")
        now = svc.clock()
        count = await repo.active_count(cmd.township)
        await repo.record_verification(
            cmd.township, at=now, by=caller.subject, deputy_count=count, note=cmd.note
        )
        township.roster_verified_at = now
        township.roster_verified_by = caller.subject
        svc.audit.add(
            uow,
            actor=caller.principal,
            action="verify",
            resource_type="roster",
            resource_id=cmd.township,
            township=cmd.township,
            detail={"deputy_count": count},
        )
        uow.stage(events.roster_verified(township, count, caller))
        await uow.commit()
    return township
