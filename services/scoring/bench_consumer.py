"""The ledger consumer against raw aiokafka on the same broker and backlog, in one run.

Run: ``uv run --frozen python services/scoring/bench_consumer.py [events] [--rate 100] [--timed 1500]``
(KAFKA_BOOTSTRAP_SERVERS and TEST_DATABASE_URL set). Phases, each with progress on stderr:

1. a generated year of ``events`` mixed deputies and cases events (parking, corrections, own
   marks, suggestions, replies, redeliveries) produced to fresh topics;
2. raw aiokafka reading both topics to the end (a fresh group, nothing decoded);
3. ``python -m scoring`` (a real process: relay, API, consumer) consuming the backlog: events/s,
   entries/s, the ratio to raw, and its resident memory sampled every second; the rate both from
   the process's start and from the first facts visible (start-up excluded: imports, with no
   bytecode cache under PYTHONDONTWRITEBYTECODE ~10 s of a loaded machine, migration, group join);
4. the same process fed ``--timed`` activities at ``--rate`` events/s: published → the entry and
   the deputy's total visible to a reader (what the score card reads), p50/p99; and, for a
   sample, the HTTP score card showing the new total. The relay shares the process: with
   ``--settle`` the timed events start once it has published the backlog's events.

Besides the rates, the CPU per event once consuming: ``python -m scoring`` and its database
backends (read from /proc: a server on this machine) against raw aiokafka's process, what a loaded
machine disturbs least (raw aiokafka reads a 50,000-event backlog in 1.6-3.8 s here, so its rate
and every wall-clock ratio swing 2-3x between runs). ``--relay-process`` runs the outbox relay as
``python -m scoring relay`` beside (its CPU printed apart); ``--profile FILE`` samples the service
with py-spy (raw stacks) while it consumes the backlog.

The service starts with the third-party packages' bytecode compiled, as in the image
(deploy/Dockerfile: ``UV_COMPILE_BYTECODE=1``; the workspace's own packages are compiled from
source at each start there too): this environment sets ``PYTHONDONTWRITEBYTECODE=1``, so the
virtualenv has no bytecode and every start compiled FastAPI, SQLAlchemy, Alembic, pydantic …
(~3.5 s of CPU). The bench compiles them once into ``.local/bench-pycache``
(``PYTHONPYCACHEPREFIX``); ``--cold`` starts without it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import sysconfig
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import func, select, text

from bench.progress import Progress
from contracts import topics
from contracts.envelope import Envelope
from contracts.vocabulary import ActivityType, Attendance
from kit.broker import ensure_topics
from kit.testing import emit_results, free_port, fresh_database, service_process, unique
from scoring.bootstrap import migrate
from scoring.testing import events as ev
from scoring.testing.harness import SECRET, envelope, headers, settings_for
from scoring.testing.history import mixed_history
from scoring.wiring import wire

COUNTY = "990101"
TOWN = f"{COUNTY}001"


def _topic(prefix: str, e: Envelope[Any]) -> str:
    return prefix + (topics.DEPUTIES if e.type.startswith("deputies.") else topics.CASES)


async def produce_all(servers: str, prefix: str, events: list[Envelope[Any]]) -> None:
    """Produce the backlog keyed by subject, a thousand in flight at a time."""
    named = [prefix + topics.DEPUTIES, prefix + topics.CASES]
    await ensure_topics(servers, named, partitions=3)
    producer = AIOKafkaProducer(bootstrap_servers=servers, linger_ms=20, max_batch_size=262144)
    await producer.start()
    shown = Progress("produce", len(events))
    try:
        pending: list[asyncio.Future[Any]] = []
        for i, e in enumerate(events, 1):
            pending.append(
                await producer.send(
                    _topic(prefix, e),
                    e.model_dump_json().encode(),
                    key=e.subject.encode(),
                    headers=[(k, v.encode()) for k, v in e.headers().items()],
                )
            )
            if len(pending) >= 1000:
                await asyncio.gather(*pending)
                pending.clear()
                shown.update(i)
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    shown.finish()


async def raw_consume(servers: str, prefix: str, total: int) -> float:
    """Read both topics to the end with a fresh group; return the seconds taken."""
    consumer = AIOKafkaConsumer(
        prefix + topics.DEPUTIES,
        prefix + topics.CASES,
        bootstrap_servers=servers,
        group_id=unique("bench-raw"),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=500,
    )
    await consumer.start()
    shown = Progress("raw aiokafka", total)
    done = 0
    try:
        while done < total:
            batches = await consumer.getmany(timeout_ms=500, max_records=500)
            done += sum(len(records) for records in batches.values())
            shown.update(done)
            if batches:
                await consumer.commit()
    finally:
        await consumer.stop()
    return shown.finish()


def compiled_dependencies() -> dict[str, str]:
    """Compile the virtualenv's packages into a bytecode cache; return the env that reads it."""
    cache = Path(".local/bench-pycache").resolve()
    env = {"PYTHONPYCACHEPREFIX": str(cache)}
    print("compiling the dependencies' bytecode (once) …", file=sys.stderr)
    subprocess.run(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-m", "compileall", "-q", "-j", "0", sysconfig.get_paths()["purelib"]],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return env


def cpu_s(pid: int) -> float:
    """Return a process's CPU seconds so far, user and system (Linux; 0 when gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def backends_cpu(engine: Any) -> dict[int, float]:
    """Return the CPU seconds so far of each database server backend connected to the bench's
    database (a server on this machine: /proc shows it; none otherwise)."""
    async with engine.connect() as conn:
        found = await conn.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        )
        pids = list(found.scalars())
    return {pid: cpu_s(pid) for pid in pids}


def rss_mb(pid: int) -> float:
    """Return a process's resident memory in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def main(
    count: int,
    rate: float,
    timed: int,
    settle: bool = False,
    cold: bool = False,
    relay_process: bool = False,
    profile: str | None = None,
) -> dict[str, Any]:
    """Produce, consume raw, consume with scoring, then time single events; print the results."""
    bytecode = {} if cold else compiled_dependencies()
    print(f"generating {count:,} events …", file=sys.stderr)
    history = mixed_history(2026, count, towns=4, deputies=50, redeliveries=0.01)
    events = history.events
    async with fresh_database() as url:
        prefix = unique("bench") + "."
        settings = settings_for(url, prefix)
        servers = settings.kafka_bootstrap_servers
        await produce_all(servers, prefix, events)
        raw_cpu = time.process_time()
        raw = await raw_consume(servers, prefix, len(events))
        raw_cpu = time.process_time() - raw_cpu  # this process did nothing else meanwhile
        await migrate(settings)
        core = wire(settings)
        engine, tables = core.runtime.engine, core.services.tables
        port = free_port()
        env = {
            "SCORING_DATABASE_URL": url,
            "KAFKA_BOOTSTRAP_SERVERS": servers,
            "KAFKA_TOPIC_PREFIX": prefix,
            "SCORING_HTTP_PORT": str(port),
            "JWT_SECRET": SECRET,
            "LOG_LEVEL": "WARNING",
            **bytecode,
        }
        if relay_process:  # `python -m scoring relay` beside (kit: RELAY_IN_PROCESS=false)
            env["SCORING_RELAY_IN_PROCESS"] = "false"

        async def facts() -> int:
            async with engine.connect() as conn:
                return int(await conn.scalar(select(func.count()).select_from(tables.facts)) or 0)

        try:
            async with service_process("scoring", env) as process:
                launched = time.perf_counter()
                relay = None
                if relay_process:
                    relay = await asyncio.create_subprocess_exec(
                        sys.executable,
                        "-m",
                        "scoring",
                        "relay",
                        env={**os.environ, **env, "SCORING_HTTP_PORT": str(free_port())},
                        stdout=asyncio.subprocess.DEVNULL,
                        stderr=asyncio.subprocess.DEVNULL,
                    )
                spy = None
                if profile is not None:  # py-spy on the service while it consumes the backlog
                    spy = await asyncio.create_subprocess_exec(
                        "py-spy", "record", "--pid", str(process.pid), "--rate", "200",
                        "--format", "raw", "-o", profile,
                        stdout=asyncio.subprocess.DEVNULL,
                    )  # fmt: skip
                shown = Progress("scoring", history.distinct)
                peak = 0.0
                done = 0
                first: tuple[float, int] | None = None  # when the first facts were visible
                while done < history.distinct:
                    await asyncio.sleep(1.0 if first else 0.1)
                    assert process.returncode is None, "python -m scoring exited"
                    done = await facts()
                    if first is None and done:
                        first = (time.perf_counter(), done)
                        service_cpu = cpu_s(process.pid)
                        relay_cpu = 0.0 if relay is None else cpu_s(relay.pid)
                        server_cpu = await backends_cpu(engine)
                    peak = max(peak, rss_mb(process.pid))
                    shown.update(done)
                ended = time.perf_counter()
                service_cpu = cpu_s(process.pid) - service_cpu
                relay_cpu = 0.0 if relay is None else cpu_s(relay.pid) - relay_cpu
                server_after = await backends_cpu(engine)
                database_cpu = sum(v - server_cpu.get(k, 0.0) for k, v in server_after.items())
                elapsed = shown.finish()
                if spy is not None:
                    spy.send_signal(signal.SIGINT)  # py-spy writes what it sampled
                    await spy.wait()
                assert first is not None
                steady = (history.distinct - first[1]) / (ended - first[0])  # distinct events/s
                first_count = first[1]
                startup = first[0] - launched
                outbox = core.runtime.tables.outbox
                unrelayed = select(func.count()).where(outbox.c.published_at.is_(None))
                lagging = int(await _scalar(engine, unrelayed.select_from(outbox)) or 0)
                settled = time.perf_counter()
                for _ in range(1200 if settle else 0):  # up to ten minutes
                    if not int(await _scalar(engine, unrelayed.select_from(outbox)) or 0):
                        break
                    await asyncio.sleep(0.5)
                settled = time.perf_counter() - settled
                async with engine.connect() as conn:
                    written = int(
                        await conn.scalar(select(func.count()).select_from(tables.entries)) or 0
                    )
                latencies, card = await timed_events(settings, port, engine, tables, rate, timed)
                peak = max(peak, rss_mb(process.pid))
                if relay is not None:
                    relay.kill()
                    await relay.wait()
        finally:
            await core.runtime.stop()
    ours = len(events) / elapsed
    print(
        f"backlog: {len(events):,} events ({history.distinct:,} distinct), 4 townships, 200 deputies"
    )
    print(f"raw aiokafka: {len(events) / raw:,.0f} events/s ({raw:.1f} s)")
    print(
        f"scoring: {ours:,.0f} events/s, {written / elapsed:,.0f} entries/s ({written:,} entries, "
        f"{elapsed:.1f} s, polled every 1 s); ratio to raw {ours / (len(events) / raw):.3f}"
    )
    raw_distinct = history.distinct / raw
    print(
        f"scoring once consuming (from the first facts visible, start-up excluded: imports,"
        f" migration, group join): {steady:,.0f} distinct events/s; ratio to raw"
        f" {steady / raw_distinct:.3f}"
    )
    print(f"start-up: the first facts visible {startup:.1f} s after the process started")
    steady_events = history.distinct - first_count
    per_event = (service_cpu + database_cpu) / steady_events * 1e6
    raw_per_event = raw_cpu / len(events) * 1e6
    print(
        f"CPU per event once consuming: python -m scoring {service_cpu / steady_events * 1e6:.0f}"
        f" µs + its database backends {database_cpu / steady_events * 1e6:.0f} µs ="
        f" {per_event:.0f} µs; raw aiokafka {raw_per_event:.0f} µs; CPU ratio"
        f" {raw_per_event / per_event:.3f} (what a loaded machine disturbs least)"
    )
    if relay_process:
        print(f"the relay's process meanwhile: {relay_cpu / steady_events * 1e6:.0f} µs per event")
    print(f"resident memory of python -m scoring: peak {peak:.0f} MB")
    print(
        "started "
        + ("cold (no bytecode at all)" if cold else "with the dependencies' bytecode, as the image")
        + (", the relay in a process of its own" if relay_process else ", the relay in process")
    )
    print(f"outbox rows not yet relayed when the backlog was consumed: {lagging:,}")
    if settle:
        print(f"waited {settled:.1f} s for the relay to publish them before the timed events")
    ordered = sorted(latencies)
    p50, p99 = ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.99) - 1]
    print(
        f"published -> entry and total visible at {rate:.0f} events/s: p50 {p50 * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms ({len(ordered)} events)"
    )
    if card:
        print(
            f"HTTP score card showing the new line (sample of {len(card)}): "
            f"median {sorted(card)[len(card) // 2] * 1000:.0f} ms, max {max(card) * 1000:.0f} ms"
        )
    raw_per_s = len(events) / raw
    return {
        "events": len(events),
        "distinct": history.distinct,
        "raw_aiokafka_per_s": raw_per_s,
        "scoring_per_s": ours,
        "entries_per_s": written / elapsed,
        "ratio_to_raw": ours / raw_per_s,
        "steady_per_s": steady,
        "steady_ratio_to_raw": steady / raw_distinct,
        "rss_mb": peak,
        "service_cpu_us_per_event": service_cpu / steady_events * 1e6,
        "database_cpu_us_per_event": database_cpu / steady_events * 1e6,
        "raw_cpu_us_per_event": raw_per_event,
        "relay_cpu_us_per_event": relay_cpu / steady_events * 1e6,
        "cpu_ratio_to_raw": raw_per_event / per_event,
        "cold_start": cold,
        "relay_process": relay_process,
        "startup_s": startup,
        "timed_rate_per_s": rate,
        "timed_events": len(ordered),
        "timed_sent": timed,
        "visible_p50_ms": p50 * 1000,
        "visible_p99_ms": p99 * 1000,
        "card_median_ms": sorted(card)[len(card) // 2] * 1000 if card else None,
    }


async def timed_events(
    settings: Any, port: int, engine: Any, tables: Any, rate: float, timed: int
) -> tuple[list[float], list[float]]:
    """Publish activities at a steady rate; return publish → visible latencies and card ones."""
    deputy = "d001-0"  # on the roster from the start
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}
    e = tables.entries
    last = int((await _scalar(engine, select(func.coalesce(func.max(e.c.seq), 0)))) or 0)
    stop = asyncio.Event()

    async def watch() -> None:
        nonlocal last
        while not stop.is_set() or len(seen) < len(sent):
            async with engine.connect() as conn:
                rows = list(
                    await conn.execute(select(e.c.seq, e.c.source_event_id).where(e.c.seq > last))
                )
                now = time.perf_counter()
            for seq, source in rows:
                last = max(last, seq)
                if source in sent and source not in seen:
                    seen[source] = now
            await asyncio.sleep(0.005)

    watcher = asyncio.create_task(watch())
    shown = Progress(f"timed at {rate:.0f}/s", timed)
    started = time.perf_counter()
    try:
        for n in range(timed):
            record = ev.logged(
                f"timed{n}",
                TOWN,
                ActivityType.inspection,
                date(2026, 6, 1),
                {deputy: Attendance.present},
            )
            out = envelope(record)
            due = started + n / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            await producer.send(
                _topic(settings.kafka_topic_prefix, out),
                out.model_dump_json().encode(),
                key=out.subject.encode(),
                headers=[(k, v.encode()) for k, v in out.headers().items()],
            )
            sent[str(out.id)] = time.perf_counter()
            shown.update(n + 1)
        shown.finish()
        stop.set()
        await asyncio.wait_for(watcher, timeout=120)
    finally:
        stop.set()
        watcher.cancel()
        await producer.stop()
    latencies = [seen[k] - sent[k] for k in sent if k in seen]
    return latencies, await card_latency(settings, port, deputy)


async def card_latency(settings: Any, port: int, deputy: str, samples: int = 5) -> list[float]:
    """Publish one activity at a time; return how long until the HTTP card shows its line."""
    auth = headers(settings, "county_admin", COUNTY)
    url = f"http://127.0.0.1:{port}/api/v1/deputies/{deputy}/score-card?year=2026"
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    out: list[float] = []
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            for n in range(samples):
                before = len((await client.get(url, headers=auth)).json()["lines"])
                record = ev.logged(
                    f"card{n}", TOWN, ActivityType.research, date(2026, 7, 1),
                    {deputy: Attendance.present},
                )  # fmt: skip
                e = envelope(record)
                started = time.perf_counter()
                await producer.send_and_wait(
                    _topic(settings.kafka_topic_prefix, e),
                    e.model_dump_json().encode(),
                    key=e.subject.encode(),
                    headers=[(k, v.encode()) for k, v in e.headers().items()],
                )
                while len((await client.get(url, headers=auth)).json()["lines"]) == before:
                    if time.perf_counter() - started > 60:
                        break
                out.append(time.perf_counter() - started)
    finally:
        await producer.stop()
    return out


async def _scalar(engine: Any, statement: Any) -> Any:
    async with engine.connect() as conn:
        return await conn.scalar(statement)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", type=int, nargs="?", default=200_000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--timed", type=int, default=1500)
    parser.add_argument(
        "--settle", action="store_true", help="let the relay publish the backlog's events first"
    )
    parser.add_argument(
        "--cold", action="store_true", help="start without the dependencies' bytecode"
    )
    parser.add_argument(
        "--relay-process",
        action="store_true",
        help="run the outbox relay as `python -m scoring relay` beside the service",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="sample the service with py-spy while it consumes the backlog (raw stacks to FILE)",
    )
    args = parser.parse_args()
    emit_results(
        asyncio.run(
            main(
                args.events,
                args.rate,
                args.timed,
                args.settle,
                args.cold,
                args.relay_process,
                args.profile,
            )
        )
    )
