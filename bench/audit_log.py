"""`python -m bench.audit_log`: a page of the audit log (kit reader) on a large log, keyset vs OFFSET.

One fresh PostgreSQL database, ``--rows`` audit entries over 20 townships; each query is timed
``--repeat`` times and the median reported. The ratio that matters is a deep keyset page against
the same page reached with OFFSET (what page/page_size paging would run), on the same table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from kit.audit import EXPORT_COLUMNS, AuditFilter, AuditReader, AuditScope, entry
from kit.db import create_all, kit_tables, make_engine, make_metadata, make_sessionmaker
from kit.testing import fresh_database
from kit.web.audit_log import EXPORT_MAX_ROWS, _text, csv_bytes

ACTIONS = ("update", "create", "read_restricted", "refuse", "correct")


def _rows(count: int) -> list[dict[str, Any]]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        {
            "at": start + timedelta(seconds=n),
            "actor": f"user-{n % 50}",
            "roles": "township_staff",
            "action": ACTIONS[n % len(ACTIONS)],
            "resource_type": "deputy",
            "resource_id": f"d-{n % 5000}",
            "township": f"990101{n % 20 + 1:03d}",
            "outcome": "ok",
            "correlation_id": None,
            "detail": {
                "changed": ["phone"],
                "changes": {"phone": {"before": "138****5678", "after": "139****1111"}},
            },
        }
        for n in range(count)
    ]


async def _median(repeat: int, run: Callable[[], Awaitable[object]]) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        await run()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


async def bench(rows: int, repeat: int) -> dict[str, Any]:
    """Fill a fresh log and time the reader's queries; return the medians in milliseconds."""
    async with fresh_database() as url:
        engine = make_engine(url)
        metadata = make_metadata()
        table = kit_tables(metadata).audit_log
        await create_all(engine, metadata)
        async with engine.begin() as conn:
            batch = _rows(rows)
            for at in range(0, rows, 10_000):
                await conn.execute(insert(table), batch[at : at + 10_000])
        async with engine.begin() as conn:
            await conn.exec_driver_sql("ANALYZE audit_log")
        sessions = make_sessionmaker(engine)
        reader = AuditReader(table)
        everything = AuditScope("990101", unplaced=True)
        deep = int(rows * 0.95)
        async with sessions() as session:
            ids = (
                await session.execute(
                    select(table.c.id).order_by(table.c.id.desc()).offset(deep).limit(1)
                )
            ).scalar_one()
            cursor = int(ids) + 1

            async def first() -> object:
                return await reader.page(session, everything, AuditFilter(), limit=100)

            async def keyset() -> object:
                return await reader.page(
                    session, everything, AuditFilter(), limit=100, before_id=cursor
                )

            async def offset() -> object:
                query = select(table).order_by(table.c.id.desc()).offset(deep).limit(100)
                return [entry(r) for r in (await session.execute(query)).mappings().all()]

            async def filtered() -> object:
                wanted = AuditFilter(action="update", township="990101007")
                return await reader.page(session, everything, wanted, limit=100)

            async def town() -> object:
                return await reader.page(
                    session, AuditScope("990101007", unplaced=False), AuditFilter(), limit=100
                )

            async def export() -> object:
                items, _ = await reader.page(
                    session, everything, AuditFilter(), limit=EXPORT_MAX_ROWS
                )
                return csv_bytes([[_text(i[c]) for c in EXPORT_COLUMNS] for i in items])

            got_keyset, got_offset = await keyset(), await offset()
            assert isinstance(got_keyset, tuple)
            assert got_keyset[0] == got_offset, "the keyset page and the OFFSET page differ"
            result = {
                "rows": rows,
                "first_page_ms": await _median(repeat, first),
                "deep_keyset_page_ms": await _median(repeat, keyset),
                "deep_offset_page_ms": await _median(repeat, offset),
                "filtered_page_ms": await _median(repeat, filtered),
                "township_staff_page_ms": await _median(repeat, town),
                "export_50k_csv_ms": await _median(max(1, repeat // 5), export),
            }
        await engine.dispose()
    result["offset_over_keyset"] = result["deep_offset_page_ms"] / result["deep_keyset_page_ms"]
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()}


def main() -> None:
    """Parse the arguments, run once and print the medians as JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.audit_log", description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(bench(args.rows, args.repeat)), indent=2))


if __name__ == "__main__":
    main()
