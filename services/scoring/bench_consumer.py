"""Consumer throughput on the real broker and PostgreSQL: a backlog of activities → ledger entries.

Run: ``.venv/bin/python services/scoring/bench_consumer.py [events]`` (KAFKA_BOOTSTRAP_SERVERS and
TEST_DATABASE_URL set). Produces the roster and ``events`` activities of 5 attendees each to fresh
topics, then starts one scoring instance and times it from start to every offset committed.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from datetime import date, timedelta

from sqlalchemy import func, select

from contracts.vocabulary import ActivityType, Attendance
from kit.testing import fresh_database, unique, wait_until
from scoring.handlers.consume import GROUP
from scoring.testing import events as ev
from scoring.testing.harness import caught_up, envelope, produce, running_core, settings_for

TOWNS = [f"990101{n:03d}" for n in range(1, 5)]
KINDS = (ActivityType.inspection, ActivityType.research, ActivityType.training)


async def main(count: int) -> None:
    """Produce the backlog, consume it, print events/s and entries/s."""
    rng = random.Random(7)  # noqa: S311 - bench data
    people = {t: [f"d{t[-1]}-{i}" for i in range(50)] for t in TOWNS}
    backlog = [envelope(ev.township(t)) for t in TOWNS]
    backlog += [envelope(ev.deputy(p, t)) for t in TOWNS for p in people[t]]
    for n in range(count):
        town = rng.choice(TOWNS)
        marks = dict.fromkeys(rng.sample(people[town], 5), Attendance.present)
        day = date(2026, 1, 1) + timedelta(days=rng.randrange(360))
        backlog.append(envelope(ev.logged(f"a{n}", town, rng.choice(KINDS), day, marks)))
    async with fresh_database() as url:
        settings = settings_for(url, unique("bench") + ".")
        await produce(settings, backlog)
        started = time.perf_counter()
        async with running_core(settings, relay=False) as core:
            await wait_until(lambda: caught_up(settings, GROUP), within=3600, interval=0.5)
            elapsed = time.perf_counter() - started
            entries = core.services.tables.entries
            async with core.runtime.engine.connect() as conn:
                written = await conn.scalar(select(func.count()).select_from(entries))
    print(
        f"{len(backlog)} events in {elapsed:.1f} s: {len(backlog) / elapsed:.0f} events/s, "
        f"{written} entries ({(written or 0) / elapsed:.0f} entries/s), migration included"
    )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000))
