"""Demo county 青山县 (990101): adopt the seeded rule set for this year, once.

Points come from the events the deputies and cases services publish (their own demos through
Kafka); scoring invents no deputy or deed of its own. ``python -m scoring.demo`` migrates the
database and adopts the rules; a second run changes nothing.
"""

from __future__ import annotations

import asyncio

from kit.logging import configure_logging
from scoring.bootstrap import migrate
from scoring.handlers.context import Services
from scoring.handlers.rulesets import ensure_year
from scoring.settings import ScoringSettings
from scoring.wiring import wire

COUNTY = "990101"
COUNTY_NAME = "青山县"


async def load(svc: Services, year: int | None = None) -> bool:
    """Adopt the seeded rules for the demo county's year unless done; return whether it was."""
    year = year or svc.today().year
    async with svc.uow() as uow:
        await svc.store(uow).lock_county(COUNTY)
        if await svc.store(uow).rule_sets(COUNTY, year):
            return False
        await ensure_year(svc, uow, COUNTY, year, None)
        await uow.commit()
    return True


async def run(settings: ScoringSettings) -> bool:
    """Migrate, then load the demo; return whether anything was loaded."""
    await migrate(settings)
    core = wire(settings)
    try:
        return await load(core.services)
    finally:
        await core.runtime.stop()


def main() -> None:
    """Entry point of ``python -m scoring.demo``."""
    settings = ScoringSettings.for_service("scoring")
    configure_logging(
        service=settings.service_name, level=settings.log_level, fmt=settings.log_format
    )
    loaded = asyncio.run(run(settings))
    print(
        f"demo county {COUNTY_NAME}: seeded rule set adopted"
        if loaded
        else f"demo county {COUNTY_NAME} already has its rule set; nothing changed"
    )
