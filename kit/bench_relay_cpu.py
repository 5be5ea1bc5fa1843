"""Bench of the outbox relay's CPU per event: a staged backlog drained by the kit's relay.

One process, a fresh PostgreSQL database, the real broker (3 partitions). ``--events`` rows of
the bench workload (a catalog event, ~0.9 kB payload, 8 headers, keys over a thousand
aggregates) are committed to the outbox first, untimed; then the kit's relay runs as a service
runs it (leader by advisory lock, its own aiokafka producer) until every row is published and
marked. Printed per event: this process's CPU (the relay and its producer; nothing else runs
in it meanwhile) and the CPU of the database backends connected to the bench's database
(PostgreSQL on this machine: read from ``/proc``), with the load average.

``--rounds`` repeats stage-and-drain on the same database and topic (the first round warms
the caches; the median of the others is reported). Runs against whatever ``kit`` is importable,
so the same script measures another checkout with its sources first on ``PYTHONPATH``.

Run: ``PYTHONPATH=. .venv/bin/python kit/bench_relay_cpu.py [--events 20000] [--rounds 4]``
with ``TEST_DATABASE_URL`` and ``KAFKA_BOOTSTRAP_SERVERS``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.workload import envelope
from kit.db import create_all, kit_tables, make_metadata
from kit.metrics import make_metrics
from kit.relay import OutboxRelay
from kit.runtime import ServiceRuntime, build_runtime
from kit.settings import ServiceSettings
from kit.testing import (
    bootstrap_servers,
    delete_topics,
    emit_results,
    fresh_database,
    unique,
    unpublished,
)


def cpu_s(pid: int) -> float:
    """Return a process's CPU seconds so far, user and system (Linux; 0 when gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def backends_cpu(engine: AsyncEngine) -> dict[int, float]:
    """Return the CPU seconds so far of each backend connected to the bench's database."""
    async with engine.connect() as conn:
        found = await conn.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        )
        pids = list(found.scalars())
    return {pid: cpu_s(pid) for pid in pids}


async def stage(runtime: ServiceRuntime, n: int, first: int) -> None:
    """Commit n events to the outbox in transactions of 500 (untimed)."""
    for start in range(first, first + n, 500):
        async with runtime.uow() as uow:
            uow.stage(*(envelope(i) for i in range(start, min(start + 500, first + n))))
            await uow.commit()


async def drain(runtime: ServiceRuntime, n: int) -> dict[str, float]:
    """Run a fresh relay until n rows are published and marked; return its CPU per event."""
    relay = OutboxRelay(
        engine=runtime.engine,
        outbox=runtime.outbox,
        publisher=runtime.publisher,
        metrics=make_metrics(CollectorRegistry()),
        batch_size=runtime.settings.relay_batch_size,
        poll_seconds=0.05,
    )
    before = await backends_cpu(runtime.engine)
    stop = asyncio.Event()
    wall0, cpu0 = time.monotonic(), time.process_time()
    task = asyncio.create_task(relay.run(stop))
    while await unpublished(runtime.engine, runtime.outbox.table):  # noqa: ASYNC110
        await asyncio.sleep(0.05)  # polled: the end is the last mark, not an event
    wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
    after = await backends_cpu(runtime.engine)  # the relay's connection still open
    stop.set()
    await task
    backends = sum(after[p] - before.get(p, 0.0) for p in after)
    return {
        "process_cpu_us_per_event": 1e6 * cpu / n,
        "backends_cpu_us_per_event": 1e6 * backends / n,
        "events_per_s": n / wall,
        "load_average": os.getloadavg()[0],
    }


async def run(n: int, rounds: int) -> dict[str, Any]:
    """Stage and drain ``rounds`` times; return every round and the medians after the first."""
    prefix = unique("relaycpu") + "."
    metadata = make_metadata()
    kit_tables(metadata)
    results: list[dict[str, float]] = []
    try:
        async with fresh_database() as url:
            settings = ServiceSettings.for_service(
                "bench",
                database_url=url,
                kafka_bootstrap_servers=bootstrap_servers(),
                kafka_topic_prefix=prefix,
                kafka_topic_partitions=3,
            )
            runtime = build_runtime(settings, metadata=metadata, subscriptions=[])
            await create_all(runtime.engine, metadata)
            await runtime.start(relay=False, consumers=False, jobs=False)
            try:
                for r in range(rounds):
                    await stage(runtime, n, r * n)
                    results.append(await drain(runtime, n))
                    print(json.dumps(results[-1]), file=sys.stderr)
            finally:
                await runtime.stop()
    finally:
        await delete_topics({prefix})
    timed = results[1:] or results
    return {
        "events": n,
        "rounds": results,
        "median": {k: statistics.median(r[k] for r in timed) for k in timed[0]},
    }


def main() -> None:
    """Parse arguments, run, print and emit the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    results = asyncio.run(run(args.events, args.rounds))
    print(json.dumps(results["median"], indent=2))
    emit_results(results)


if __name__ == "__main__":
    main()
