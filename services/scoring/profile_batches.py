"""Profile the consumer's batch path in-process: apply_events over a generated history.

Run: ``PYTHONPATH=. uv run --frozen python services/scoring/profile_batches.py [events] --size N
[--profile --out scoring.prof]`` (TEST_DATABASE_URL set). Prints the statements per batch, the
rows of the main tables at the end (two versions of the code must write the same), events/s and
the batch time p50/max, this process's CPU time per event and its database backends' (what a
loaded machine disturbs least); with ``--profile`` the cProfile of the timed batches (the first
batch, roster and seed adoption, is not timed). The collector is settled as the service settles
it (``--default-collector``: not; the generated history is frozen with it, so the difference is
larger here than in the service).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from contracts.envelope import Envelope, RawEnvelope
from kit.testing import fresh_database, unique
from kit.uow import UnitOfWork
from scoring.adapters.store import BatchStore
from scoring.bootstrap import settle_collector
from scoring.handlers import consume
from scoring.testing.harness import running_app, settings_for
from scoring.testing.history import mixed_history


def _timed(owner: Any, name: str) -> list[float]:
    """Wrap an async method so each call's wall time is appended to the returned list."""
    took: list[float] = []
    original = getattr(owner, name)

    async def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return await original(*args, **kwargs)
        finally:
            took.append(time.perf_counter() - t0)

    setattr(owner, name, timed)
    return took


async def _server_cpu(engine: Any) -> dict[int, float]:
    """Return the CPU seconds used so far by each server backend connected to this database
    (Linux, a server on this machine; none where /proc does not show them)."""
    async with engine.connect() as conn:
        pids = (
            await conn.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            )
        ).scalars()
        return {pid: used for pid in pids if (used := _cpu_of(pid)) is not None}


def _cpu_of(pid: int) -> float | None:
    """Return a process's CPU seconds so far (user and system), None when /proc has none."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _raw(e: Envelope[Any]) -> RawEnvelope:
    return RawEnvelope.model_validate(e.model_dump(mode="json"))


async def main(
    count: int,
    size: int,
    profile: bool,
    out: str,
    explain: bool = False,
    default_collector: bool = False,
) -> None:
    """Feed the history in batches of ``size`` to a fresh database; print what it measured."""
    history = mixed_history(2026, count, towns=4, deputies=50, redeliveries=0.01)
    if not default_collector:
        settle_collector()  # as the service does once built (the history is frozen with it)
    seen: set[str] = set()
    events = []
    for e in history.events:
        if str(e.id) not in seen:
            seen.add(str(e.id))
            events.append(_raw(e))
    async with fresh_database() as url:
        settings = settings_for(url, unique("prof") + ".")
        async with running_app(settings, relay=False) as (service, _):
            svc = service.services
            # warm-up: the roster and the seed adoption
            head = events[:size]
            first = time.perf_counter()
            async with svc.uow() as uow:
                await consume.apply_events(svc, uow, head)
                await uow.commit()
            first = time.perf_counter() - first
            rest = events[size:]
            statements: dict[str, int] = defaultdict(int)
            spent: dict[str, float] = defaultdict(float)
            begun: list[float] = []

            last_state: list[Any] = []

            def before(_c: Any, _cur: Any, sql: str, params: Any, *_: Any) -> None:
                statements[" ".join(sql.split())[:90]] += 1
                begun.append(time.perf_counter())
                if sql.lstrip().startswith("WITH towns AS"):
                    last_state[:] = [sql, params]

            def after(_c: Any, _cur: Any, sql: str, *_: Any) -> None:
                spent[" ".join(sql.split())[:90]] += time.perf_counter() - begun.pop()

            engine = service.runtime.engine.sync_engine
            event.listen(engine, "before_cursor_execute", before)
            event.listen(engine, "after_cursor_execute", after)
            copy, commit = _timed(BatchStore, "_copy_records"), _timed(UnitOfWork, "commit")
            prof = cProfile.Profile() if profile else None
            times: list[float] = []
            server = await _server_cpu(service.runtime.engine)
            started, cpu = time.perf_counter(), time.process_time()
            if prof:
                prof.enable()
            for i in range(0, len(rest), size):
                t0 = time.perf_counter()
                async with svc.uow() as uow:
                    await consume.apply_events(svc, uow, rest[i : i + size])
                    await uow.commit()
                times.append(time.perf_counter() - t0)
            if prof:
                prof.disable()
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu
            server_after = await _server_cpu(service.runtime.engine)
            spent_server = sum(v - server.get(pid, 0.0) for pid, v in server_after.items())
            async with service.runtime.engine.connect() as conn:
                counted = {
                    t: (await conn.execute(text(f"SELECT count(*) FROM {t}"))).scalar()  # noqa: S608
                    for t in ("facts", "entries", "deputy_totals", "outbox", "parked")
                }
            print(counted)
            if explain and last_state:  # the last batch's read, planned with its values
                async with service.runtime.engine.connect() as conn:
                    raw: Any = (await conn.get_raw_connection()).driver_connection
                    await raw.execute("SET plan_cache_mode = force_custom_plan")
                    plan = await raw.fetch(
                        "EXPLAIN (ANALYZE, BUFFERS) " + last_state[0], *last_state[1]
                    )
                    print("\n".join(r[0] for r in plan))
    batches = len(times)
    for sql, n in sorted(statements.items(), key=lambda x: -x[1]):
        print(f"{n / batches:6.2f} per batch {spent[sql] / batches * 1000:8.1f} ms  {sql}")
    for name, took in (("COPY (facts, entries)", copy), ("UnitOfWork.commit", commit)):
        print(f"{len(took) / batches:6.2f} per batch {sum(took) / batches * 1000:8.1f} ms  {name}")
    times.sort()
    print(f"the first batch (roster, the seed adopted, not timed below): {first * 1000:.0f} ms")
    print(
        f"{len(rest)} events in batches of {size}: {elapsed:.1f} s, {len(rest) / elapsed:.0f} events/s;"
        f" batch p50 {times[len(times) // 2] * 1000:.0f} ms max {times[-1] * 1000:.0f} ms;"
        f" this process's CPU {cpu:.1f} s, {cpu / len(rest) * 1e6:.0f} µs per event;"
        f" the database server's (its backends for this database) {spent_server:.1f} s,"
        f" {spent_server / len(rest) * 1e6:.0f} µs per event"
    )
    if prof:
        prof.dump_stats(out)
        pstats.Stats(out).sort_stats("cumulative").print_stats(60)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("events", type=int, nargs="?", default=10_000)
    p.add_argument("--size", type=int, default=2000)
    p.add_argument("--profile", action="store_true")
    p.add_argument("--out", default="scoring.prof")
    p.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the last batch's read")
    p.add_argument(
        "--default-collector",
        action="store_true",
        help="keep Python's collector as it is (the service settles it once built)",
    )
    a = p.parse_args()
    asyncio.run(main(a.events, a.size, a.profile, a.out, a.explain, a.default_collector))
