"""What the gap-free case number costs a filing: raw asyncpg, with and without the counter row.

Both variants run in one process on one fresh database, alternating in rounds so the shared
machine's load falls on both alike: (a) the case row and the outbox row per transaction, (b) the
counter upsert (the row stays locked to the commit), then the same two rows. The ratio b/a is the
result; absolute rates on a shared machine say little.

    TEST_DATABASE_URL=postgresql+asyncpg://npc:npc@127.0.0.1:5433/platform_test \\
    KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 uv run python services/cases/bench_numbers.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from datetime import UTC, date, datetime

import asyncpg

from cases.bootstrap import migrate
from cases.testing.harness import settings_for
from kit.testing import fresh_database, unique

CASE = (
    "INSERT INTO cases (case_id, kind, township, state, category, title, submitter, received_on,"
    " key_chase, solved, doc, version, created_at, updated_at, number_county, number_year,"
    " number_seq) VALUES ($1, 'suggestion', '990101001', 'received', '交通出行', '道路', 'dep-1',"
    " $2, false, false, $3, 1, $4, $4, $5, $6, $7)"
)
EVENT = (
    "INSERT INTO outbox (event_id, event_type, topic, key, headers, payload, created_at)"
    " VALUES ($1, 'cases.suggestion.submitted', 'cases.events', $2, '{}', $3, $4)"
)
COUNTER = (
    "INSERT INTO case_counters (county, year, kind, last) VALUES ('990101', 2026, 'suggestion', 1)"
    " ON CONFLICT (county, year, kind) DO UPDATE SET last = case_counters.last + 1 RETURNING last"
)
DOC = json.dumps({"title": "道路", "content": "青石村至镇区道路狭窄" * 5}, ensure_ascii=False)


async def _file(pool: asyncpg.Pool, numbered: bool, seq: list[int]) -> None:
    case_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    async with pool.acquire() as conn, conn.transaction():
        if numbered:
            number = int(await conn.fetchval(COUNTER))
        else:
            seq[0] += 1
            number = seq[0] + 10_000_000  # a separate run: no collision with counted numbers
        await conn.execute(CASE, case_id, date(2026, 11, 30), DOC, now, "990101", 2026, number)
        await conn.execute(EVENT, str(uuid.uuid4()), case_id, DOC, now)


async def _window(
    pool: asyncpg.Pool, workers: int, seconds: float, numbered: bool, seq: list[int]
) -> float:
    done = 0
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < stop:
            await _file(pool, numbered, seq)
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return done / (time.perf_counter() - started)


async def main(args: argparse.Namespace) -> None:
    """Alternate the two variants in rounds; print each round's rates and the median ratio."""
    async with fresh_database() as url:
        await migrate(settings_for(url, unique("bench") + "."))
        dsn = url.replace("postgresql+asyncpg://", "postgresql://")
        pool = await asyncpg.create_pool(dsn, min_size=args.concurrency, max_size=args.concurrency)
        try:
            ratios, seq = [], [0]
            for round_ in range(args.rounds):
                plain = await _window(pool, args.concurrency, args.seconds, numbered=False, seq=seq)
                counted = await _window(
                    pool, args.concurrency, args.seconds, numbered=True, seq=seq
                )
                ratios.append(counted / plain)
                print(
                    f"round {round_ + 1}: without counter {plain:.0f}/s, "
                    f"with counter {counted:.0f}/s, ratio {counted / plain:.2f}"
                )
            async with pool.acquire() as conn:
                numbers = await conn.fetch(
                    "SELECT number_seq FROM cases WHERE number_seq < 10000000 ORDER BY number_seq"
                )
            seqs = [r[0] for r in numbers]
            assert seqs == list(range(1, len(seqs) + 1)), "a gap or a repeat"
            print(
                f"{args.concurrency} connections: median ratio with/without the counter "
                f"{statistics.median(ratios):.2f}; {len(seqs)} numbered filings, 1..{len(seqs)}"
                " without a gap"
            )
        finally:
            await pool.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
