"""Bench of the outbox relay's CPU per event: a staged backlog drained by the kit's relay.

One process, a fresh PostgreSQL database, the real broker (3 partitions). ``--events`` rows of
the bench workload (a catalog event, ~0.9 kB payload, 8 headers, keys over a thousand
aggregates) are committed to the outbox first, untimed; then the kit's relay runs as a service
runs it (leader by advisory lock, its own aiokafka producer) until every row is published and
marked. Printed per event: this process's CPU (the relay and its producer; nothing else runs
in it meanwhile) and the CPU of the database backends connected to the bench's database
(PostgreSQL on this machine: read from ``/proc``), with the load average.

``--rounds`` repeats stage-and-drain on the same database and topic (the first round warms
the caches; the median of the others is reported). ``--trickle RATE`` measures small rounds
instead: a child process commits ``--per-commit`` events at RATE events/s (open loop) while the
relay publishes them as they come, woken by NOTIFY; the CPU is counted from the first commit
until the last row is marked. ``--max-batch-bytes`` overrides the relay producer's batch size.
Runs against whatever ``kit`` is importable, so the same script measures another checkout with
its sources first on ``PYTHONPATH``.

Run: ``PYTHONPATH=. .venv/bin/python kit/bench_relay_cpu.py [--events 20000] [--rounds 4]
[--trickle 500 --per-commit 5]`` with ``TEST_DATABASE_URL`` and ``KAFKA_BOOTSTRAP_SERVERS``.
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

import kit.broker
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


async def trickle(settings: ServiceSettings, first: int, n: int, rate: float, per: int) -> None:
    """Commit n events, ``per`` a transaction, at ``rate`` events/s (the child process)."""
    metadata = make_metadata()
    kit_tables(metadata)
    runtime = build_runtime(settings, metadata=metadata, subscriptions=[])
    started = time.monotonic()
    try:
        for done in range(0, n, per):
            await asyncio.sleep(max(0.0, started + done / rate - time.monotonic()))
            async with runtime.uow() as uow:
                uow.stage(*(envelope(first + i) for i in range(done, min(done + per, n))))
                await uow.commit()
    finally:
        await runtime.engine.dispose()


async def drain(
    runtime: ServiceRuntime, n: int, child: list[str] | None = None
) -> dict[str, float]:
    """Run a fresh relay until n rows are published and marked; return its CPU per event.

    With ``child`` (a command line) the rows are committed by that process meanwhile.
    """
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
    wall0, cpu0 = time.monotonic(), os.times()
    task = asyncio.create_task(relay.run(stop))
    if child is not None:
        await asyncio.sleep(1.0)  # the relay is the leader, listening
        wall0, cpu0 = time.monotonic(), os.times()
        staging = await asyncio.create_subprocess_exec(*child)
        await staging.wait()
        assert staging.returncode == 0, "the committing process failed"
    while await unpublished(runtime.engine, runtime.outbox.table):  # noqa: ASYNC110
        await asyncio.sleep(0.05)  # polled: the end is the last mark, not an event
    wall, cpu1 = time.monotonic() - wall0, os.times()
    user, system = cpu1.user - cpu0.user, cpu1.system - cpu0.system
    after = await backends_cpu(runtime.engine)  # the relay's connection still open
    stop.set()
    await task
    backends = sum(after[p] - before.get(p, 0.0) for p in after)
    return {
        "process_cpu_us_per_event": 1e6 * (user + system) / n,
        "of_which_system_us": 1e6 * system / n,
        "backends_cpu_us_per_event": 1e6 * backends / n,
        "events_per_s": n / wall,
        "load_average": os.getloadavg()[0],
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Stage and drain ``rounds`` times; return every round and the medians after the first."""
    n, rounds = args.events, args.rounds
    if args.max_batch_bytes:
        kit.broker.MAX_BATCH_BYTES = args.max_batch_bytes  # read when the producer starts
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
                    if args.trickle:
                        child = [sys.executable, __file__, "--child", url, "--prefix", prefix]
                        child += [f"--first={r * n}", f"--events={n}", f"--trickle={args.trickle}"]
                        child += [f"--per-commit={args.per_commit}"]
                        results.append(await drain(runtime, n, child))
                    else:
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
        "trickle_per_s": args.trickle,
        "per_commit": args.per_commit,
        "max_batch_bytes": args.max_batch_bytes,
        "rounds": results,
        "median": {k: statistics.median(r[k] for r in timed) for k in timed[0]},
    }


def main() -> None:
    """Parse arguments, run, print and emit the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--trickle", type=float, default=0.0, help="events/s committed meanwhile")
    parser.add_argument("--per-commit", type=int, default=5)
    parser.add_argument("--max-batch-bytes", type=int, default=0)
    parser.add_argument("--child", help=argparse.SUPPRESS)  # the committing process: its URL
    parser.add_argument("--prefix", help=argparse.SUPPRESS)
    parser.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        settings = ServiceSettings.for_service(
            "bench", database_url=args.child, kafka_topic_prefix=args.prefix
        )
        asyncio.run(trickle(settings, args.first, args.events, args.trickle, args.per_commit))
        return
    results = asyncio.run(run(args))
    print(json.dumps(results["median"], indent=2))
    emit_results(results)


if __name__ == "__main__":
    main()
