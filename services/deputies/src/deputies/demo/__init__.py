"""Demo county 青山县 (990101): townships, stations, ~150 deputies and a year of activities.

``python -m deputies.demo`` migrates the database and loads it once; a second run changes nothing.
Names come from Faker zh_CN with a fixed seed, so every load looks the same.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import date

from faker import Faker

from deputies.adapters.migrations import migrate
from deputies.adapters.tables import make_schema
from deputies.demo.county import COUNTY, PLACES, SystemActor, register_place
from deputies.demo.year import change_rosters, log_year, report_records
from deputies.handlers import townships as tw
from deputies.handlers.context import Caller, Services
from deputies.settings import DeputiesSettings
from kit import clock
from kit.logging import configure_logging
from kit.principal import Principal, Role
from kit.runtime import build_runtime

log = logging.getLogger(__name__)


async def load(svc: Services, *, today: date | None = None) -> bool:
    """Load the demo county unless it is there already; return whether anything was loaded."""
    async with svc.uow() as uow:
        if await svc.repository(uow).township(PLACES[0].code) is not None:
            return False
    caller = Caller(
        viewer=Principal(subject="demo-loader", roles=frozenset({Role.county_admin}), scope=COUNTY),
        principal=SystemActor(),
        correlation_id="demo-load",
    )
    rng = random.Random(990101)  # noqa: S311 - demo data, not security
    Faker.seed(990101)
    fake = Faker("zh_CN")
    day = today or clock.today()
    rosters = [await register_place(svc, caller, place, rng, fake) for place in PLACES]
    await change_rosters(svc, caller, rosters, rng, fake)
    count = await log_year(svc, caller, rosters, rng, day)
    await report_records(svc, caller, rosters, rng, day)
    for roster in rosters[:2]:
        await tw.verify_roster(svc, caller, tw.VerifyRoster(roster.place.code, "年度名册核对"))
    log.info(
        "demo county loaded: %d deputies, %d activities",
        sum(len(r.deputies) for r in rosters),
        count,
    )
    return True


async def run(settings: DeputiesSettings) -> bool:
    """Migrate the database and load the demo county into it."""
    await migrate(settings)
    schema = make_schema()
    runtime = build_runtime(settings, metadata=schema.metadata)
    try:
        return await load(Services(uow=runtime.uow, tables=schema.tables, audit=runtime.audit))
    finally:
        await runtime.stop()


def main() -> None:
    """Entry point of ``python -m deputies.demo``."""
    settings = DeputiesSettings.for_service("deputies")
    configure_logging(
        service=settings.service_name, level=settings.log_level, fmt=settings.log_format
    )
    loaded = asyncio.run(run(settings))
    print("demo county 青山县 loaded" if loaded else "demo county already loaded; nothing changed")
