"""Bench a unit's day: bulk assignment against single assignments, and the to-do list's read.

Both halves run in one process on one fresh database (the app in-process over ASGI, relay off),
so the ratio says what the bulk route saves per case on the same machine and load:

    TEST_DATABASE_URL=postgresql+asyncpg://npc:npc@127.0.0.1:5433/platform_test \\
    KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 .venv/bin/python services/cases/bench_unit_day.py
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import httpx

from cases.testing import bodies
from cases.testing.harness import COUNTY, headers, running_app, settings_for
from kit.testing import fresh_database, unique


async def _accepted(
    client: httpx.AsyncClient, auth: dict[str, str], n: int
) -> list[dict[str, Any]]:
    """File and accept ``n`` suggestions; return them as read."""
    cases = []
    for i in range(n):
        body = bodies.suggestion(f"dep-{1 + i % 8}", title=f"关于第{i}号村道修缮的建议")
        filed = (await client.post("/api/v1/suggestions", json=body, headers=auth)).json()
        accepted = await client.post(
            f"/api/v1/cases/{filed['case_id']}/accept",
            json={},
            headers={**auth, "If-Match": f'"{filed["version"]}"'},
        )
        cases.append(accepted.json())
    return cases


async def _singles(
    client: httpx.AsyncClient, auth: dict[str, str], cases: list[dict[str, Any]]
) -> None:
    """Assign each case with its own request."""
    for case in cases:
        done = await client.post(
            f"/api/v1/cases/{case['case_id']}/assign",
            json={"lead_unit_id": "traffic", "co_unit_ids": ["water"]},
            headers={**auth, "If-Match": f'"{case["version"]}"'},
        )
        assert done.status_code == 200, done.text


async def _bulk(
    client: httpx.AsyncClient, auth: dict[str, str], cases: list[dict[str, Any]]
) -> None:
    """Assign every case in one bulk request."""
    items = [
        {
            "case_id": c["case_id"],
            "version": c["version"],
            "lead_unit_id": "traffic",
            "co_unit_ids": ["water"],
        }
        for c in cases
    ]
    done = await client.post("/api/v1/cases/bulk-assign", json={"items": items}, headers=auth)
    assert done.status_code == 207
    assert done.json()["succeeded"] == len(cases), done.text


async def main(n: int, todo_reads: int) -> None:
    """Run both measurements and print the results."""
    async with fresh_database() as url:
        settings = settings_for(url, unique("bench") + ".")
        admin = headers(settings, "county_admin", COUNTY)
        unit = headers(settings, "handling_unit", COUNTY, unit_id="traffic")
        async with running_app(settings, relay=False) as (_, client):
            for unit_id, name in bodies.UNITS:
                await client.post("/api/v1/units", json=bodies.unit(unit_id, name), headers=admin)
            # ABBA on the shared machine: singles, bulk, bulk, singles (n cases each)
            wall = {"single": 0.0, "bulk": 0.0}
            cpu = {"single": 0.0, "bulk": 0.0}
            for kind in ("single", "bulk", "bulk", "single"):
                cases = await _accepted(client, admin, n)
                started, used = time.perf_counter(), time.process_time()
                await (_singles if kind == "single" else _bulk)(client, admin, cases)
                wall[kind] += time.perf_counter() - started
                cpu[kind] += time.process_time() - used

            timings, cpus = [], []
            for _ in range(todo_reads):
                started, used = time.perf_counter(), time.process_time()
                page = await client.get("/api/v1/todo?page_size=50", headers=unit)
                timings.append(time.perf_counter() - started)
                cpus.append(time.process_time() - used)
                assert page.json()["total"] == 4 * n  # every case, assigned to traffic
    for kind, what in (
        ("single", "POST /assign per case"),
        ("bulk", f"POST /cases/bulk-assign of {n}"),
    ):
        per_wall, per_cpu = 1000 * wall[kind] / (2 * n), 1000 * cpu[kind] / (2 * n)
        print(f"{what}: {per_wall:.1f} ms wall, {per_cpu:.1f} ms CPU a case ({2 * n} cases)")
    print(
        f"bulk / single: wall {wall['bulk'] / wall['single']:.2f}, CPU {cpu['bulk'] / cpu['single']:.2f}"
    )
    p50, cpu50 = statistics.median(timings), statistics.median(cpus)
    print(
        f"GET /todo?page_size=50 over {4 * n} open cases of one unit: "
        f"p50 {1000 * p50:.0f} ms wall, {1000 * cpu50:.0f} ms CPU"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=75, help="cases per round (4 rounds)")
    parser.add_argument("--todo-reads", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.cases, args.todo_reads))
