"""The order of the year: people first, then the year's work, then what the consumers made of it."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from faker import Faker

from county import casework, people, work
from county.api import Platform
from county.summary import caught_up

SEED = 990101


@dataclass(frozen=True)
class Loaded:
    """What one load did."""

    deputies: int
    activities: int
    manuscripts: int
    cases: int
    requests: int
    seconds: float


async def already_loaded(platform: Platform) -> bool:
    """Tell whether an earlier run finished: its last step verified 东湖镇's roster."""
    found = await platform.call(
        "deputies",
        "GET",
        f"/api/v1/townships/{people.PLACES[0].code}",
        people.admin(platform),
        ok=(200, 404),
    )
    return found.status_code == 200 and found.json().get("roster_verified_at") is not None


async def load(platform: Platform, today: date, tell: Callable[[str], None]) -> Loaded:
    """Load the county's year up to ``today`` through the APIs (deterministic: one seed)."""
    started = time.monotonic()
    rng = random.Random(SEED)  # noqa: S311 - demo data, not security
    Faker.seed(SEED)
    fake = Faker("zh_CN")
    tell("deputies: townships, stations and the roster import of each township")
    rosters = await people.register_places(platform, fake, rng)
    count = sum(len(r.members) for r in rosters)
    tell(
        f"deputies: {count} deputies on the rosters; mandates ended and a by-election in each town"
    )
    left = await work.change_rosters(platform, rosters, rng, today)
    tell("cases and notify: handling units, township staff and county offices")
    await people.register_units(platform)
    await casework.set_clocks(platform)
    tell("waiting until cases, scoring and notify know the roster (deputies.events)")
    await caught_up(platform, tell)
    given = await people.give_addresses(platform, rosters, rng)
    tell(f"notify: demo e-mail addresses for {given} deputies")
    will = work.diligence(rosters, rng)
    planned = work.plan(rosters, will, rng, today, left)
    tell(f"deputies: logging {len(planned)} activities with attendance")
    ids = await work.log_activities(platform, planned, tell)
    manuscripts = await work.report_records(platform, rosters, rng, today)
    tell(f"deputies: {manuscripts} manuscripts and each township's highlight work")
    year = casework.Year(platform, rosters, will, rng, today)
    year.draw()
    tell(f"cases: {len(year.items)} suggestions and opinions, played day by day")
    await year.play(tell)
    topics = await work.supervise(platform, rosters, rng, today)
    tell(f"cases: {topics} supervision topics heard, rectified and closed")
    adopted = await work.adopt_rules(platform, today.year)
    if adopted is not None:
        tell(
            f"scoring: the county adopts its own grade lines (rule set v{adopted}); the year is re-derived"
        )
    await work.verify_rosters(platform, rosters)
    return Loaded(
        count, len(ids), manuscripts, len(year.items), platform.requests, time.monotonic() - started
    )
