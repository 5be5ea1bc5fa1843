"""Bench of the deputies service on real PostgreSQL (and Kafka for the relay).

1. Import 10,000 roster rows from one XLSX file (target < 10 s), with progress output.
2. Deputy list latency with 10,000 deputies on the roster (target p99 < 50 ms), over HTTP
   (in-process ASGI client: routing, auth, query, masking, serialisation; no network).

Run: ``uv run python services/deputies/bench_deputies.py [--rows 10000] [--requests 1000]``
with ``TEST_DATABASE_URL`` (a fresh database is created next to it) and ``KAFKA_BOOTSTRAP_SERVERS``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time

from deputies.roster_io.importing import ImportRequest, import_roster
from deputies.testing import bodies
from deputies.testing.actors import county_admin
from deputies.testing.api import headers, running_app
from deputies.testing.harness import count, settings_for
from deputies.testing.sheets import roster_rows, xlsx
from kit.testing import fresh_database, unique, wait_until

TOWN = "990101001"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _progress(stage: str, done: int, total: int) -> None:
    print(f"  {stage:<6} {done:>6}/{total}", file=sys.stderr, flush=True)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def bench(rows: int, requests: int) -> dict[str, float]:
    """Run both measurements against a fresh database; return the numbers."""
    results: dict[str, float] = {}
    async with fresh_database() as url:
        settings = settings_for(url, unique("bench") + ".")
        async with running_app(settings) as (service, client):
            admin = headers(settings, "county_admin", "990101")
            await client.post("/api/v1/townships", json=bodies.township(TOWN), headers=admin)
            started = time.perf_counter()
            content = xlsx(roster_rows(rows, seed=42))
            results["generate_s"] = time.perf_counter() - started
            print(
                f"generated {rows} rows ({len(content) / 1e6:.1f} MB) in {results['generate_s']:.1f} s"
            )
            started = time.perf_counter()
            report = await import_roster(
                service.services,
                county_admin(),
                ImportRequest(township=TOWN, content=content, content_type=XLSX),
                progress=_progress,
            )
            results["import_s"] = time.perf_counter() - started
            assert report.created == rows, report.errors[:5]
            print(f"imported {report.created} rows in {results['import_s']:.2f} s (target < 10 s)")
            started = time.perf_counter()
            outbox = service.runtime.tables.outbox

            async def drained() -> bool:
                unsent = outbox.c.published_at.is_(None)
                return await count(service.runtime.engine, outbox, unsent) == 0

            await wait_until(drained, within=300, interval=0.2)
            results["relay_drain_s"] = time.perf_counter() - started
            print(
                f"relay published the {rows} events {results['relay_drain_s']:.1f} s after the import"
            )

            for role, scope in (("county_leader", "990101"), ("township_staff", TOWN)):
                auth = headers(settings, role, scope)
                latencies: list[float] = []
                for n in range(-20, requests):  # 20 warm-up requests are not counted
                    params: dict[str, str | int] = {"page": 1 + abs(n) % 200, "page_size": 50}
                    if n % 4 == 1:
                        params["township"] = TOWN
                    if n % 4 == 2:
                        params["deputy_group"] = f"第{n % 900 + 1}代表小组"
                    if n % 4 == 3:
                        params["level"] = "county"
                    t0 = time.perf_counter()
                    response = await client.get("/api/v1/deputies", params=params, headers=auth)
                    if n >= 0:
                        latencies.append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 200, response.text
                p50 = statistics.median(latencies)
                p99 = _percentile(latencies, 99)
                results[f"list_{role}_p50_ms"] = p50
                results[f"list_{role}_p99_ms"] = p99
                print(
                    f"deputy list as {role}: p50 {p50:.1f} ms, p99 {p99:.1f} ms over {requests} requests (target p99 < 50 ms)"
                )
    return results


def main() -> None:
    """Parse arguments and run the bench."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=1_000)
    args = parser.parse_args()
    asyncio.run(bench(args.rows, args.requests))


if __name__ == "__main__":
    main()
