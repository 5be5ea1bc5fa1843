"""Helpers for tests against the real broker and database (used by every service's tests)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import Table, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from kit.broker import topic_partitions

DEFAULT_TEST_DATABASE_URL = "postgresql+asyncpg://npc:npc@127.0.0.1:5433/platform_test"


def test_database_url() -> str:
    """Return the PostgreSQL URL tests create their databases next to."""
    return os.environ.get("TEST_DATABASE_URL") or os.environ.get(
        "DATABASE_URL", DEFAULT_TEST_DATABASE_URL
    )


def bootstrap_servers() -> str:
    """Return the Kafka bootstrap servers of the test broker."""
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")


def unique(prefix: str) -> str:
    """Return a name no other test uses (topics, groups, databases)."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


_HANDED_OUT: set[str] = set()
"""The topic prefixes this process gave its tests (``sweep_topics`` deletes their topics)."""


def new_topic_prefix() -> str:
    """Return a topic prefix no other test uses; its topics go at the session's end."""
    prefix = unique("t") + "."
    _HANDED_OUT.add(prefix)
    return prefix


async def delete_topics(prefixes: set[str], servers: str | None = None) -> int:
    """Delete the shared broker's topics under the given prefixes; return how many went."""
    if not prefixes:
        return 0
    admin = AIOKafkaAdminClient(bootstrap_servers=servers or bootstrap_servers())
    await admin.start()
    try:
        names = [t for t in await admin.list_topics() if t.startswith(tuple(prefixes))]
        for start in range(0, len(names), 500):
            await admin.delete_topics(names[start : start + 500], timeout_ms=30_000)
        return len(names)
    finally:
        await admin.close()


def sweep_topics() -> int:
    """Delete the topics of every prefix handed out in this process (a long-lived broker
    otherwise keeps a partition directory per test); a broker that is down is left alone."""
    try:
        return asyncio.run(asyncio.wait_for(delete_topics(set(_HANDED_OUT)), 120))
    except Exception:
        return 0
    finally:
        _HANDED_OUT.clear()


@asynccontextmanager
async def fresh_database(base_url: str | None = None) -> AsyncIterator[str]:
    """Create an empty PostgreSQL database for one test and drop it afterwards."""
    url = make_url(base_url or test_database_url())
    name = unique("t_")
    admin_dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def wait_until(
    predicate: Callable[[], Awaitable[bool]], *, within: float = 30.0, interval: float = 0.1
) -> None:
    """Poll an async predicate until it is true; fail the test after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        if await predicate():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(interval)


async def read_topic(
    topic: str, *, expected: int, within: float = 30.0, servers: str | None = None
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read a topic from the beginning (no group) until ``expected`` records or ``within`` s."""
    servers = servers or bootstrap_servers()
    deadline = time.monotonic() + within
    partitions = await topic_partitions(servers, topic, wait=min(within, 10.0))
    records: list[ConsumerRecord[bytes, bytes]] = []
    if not partitions:
        return records
    consumer = AIOKafkaConsumer(
        bootstrap_servers=servers, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        while len(records) < expected and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            for batch in batches.values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()


async def read_all(
    topic: str, *, within: float = 30.0, servers: str | None = None
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read a topic from the beginning to its end as of now: an exact count, no window to wait.

    Call it after ``drained`` (every outbox row published) to assert exactly what reached Kafka.
    """
    servers = servers or bootstrap_servers()
    deadline = time.monotonic() + within
    partitions = await topic_partitions(servers, topic, wait=min(within, 10.0))
    records: list[ConsumerRecord[bytes, bytes]] = []
    if not partitions:
        return records
    consumer = AIOKafkaConsumer(
        bootstrap_servers=servers, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        assigned = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        ends = await consumer.end_offsets(assigned)
        left = {tp for tp, end in ends.items() if end > 0}
        while left:
            if time.monotonic() > deadline:
                raise AssertionError(f"{topic}: could not read to the end within {within} s")
            batches = await consumer.getmany(*left, timeout_ms=200)
            for batch in batches.values():
                records.extend(
                    r for r in batch if r.offset < ends[TopicPartition(topic, r.partition)]
                )
            left = {tp for tp in left if await consumer.position(tp) < ends[tp]}
        return records
    finally:
        await consumer.stop()


async def unpublished(engine: AsyncEngine, outbox: Table) -> int:
    """Return how many outbox rows the relay has not published yet."""
    return await count(engine, outbox, outbox.c.published_at.is_(None))


async def drained(engine: AsyncEngine, outbox: Table, *, within: float = 30.0) -> None:
    """Wait until the relay has published (and marked) every outbox row; fail after ``within``."""

    async def empty() -> bool:
        return await unpublished(engine, outbox) == 0

    await wait_until(empty, within=within)


async def count(engine: AsyncEngine, table: Table, *where: Any) -> int:
    """Return how many rows of a table match."""
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table).where(*where)) or 0)


async def outbox_types(engine: AsyncEngine, table: Table) -> list[str]:
    """Return the event types in the outbox, in order."""
    async with engine.connect() as conn:
        rows = await conn.execute(select(table.c.event_type).order_by(table.c.seq))
        return [r[0] for r in rows]


async def published(topic: str, *, expected: int, within: float = 15.0) -> list[dict[str, Any]]:
    """Read a topic; return each record's key, partition, offset and envelope, per partition."""
    return described(await read_topic(topic, expected=expected, within=within))


async def published_all(topic: str, *, within: float = 30.0) -> list[dict[str, Any]]:
    """Read a topic to its current end; each record's key, partition, offset and envelope."""
    return described(await read_all(topic, within=within))


def described(unordered: list[ConsumerRecord[bytes, bytes]]) -> list[dict[str, Any]]:
    """Return records as key, partition, offset and decoded envelope, in partition order."""
    records = sorted(unordered, key=lambda r: (r.partition, r.offset))
    return [
        {
            "key": r.key.decode() if r.key else None,
            "partition": r.partition,
            "offset": r.offset,
            "envelope": json.loads(r.value) if r.value else None,
        }
        for r in records
    ]


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_process(
    module: str, env: Mapping[str, str], *, log: Any = asyncio.subprocess.DEVNULL
) -> asyncio.subprocess.Process:
    """Start ``python -m <module>`` as operators do, with ``env`` over this environment."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, env={**os.environ, **env}, stdout=log, stderr=log
    )


async def wait_ready(
    base: str,
    process: asyncio.subprocess.Process | None = None,
    *,
    within: float = 60.0,
    name: str = "the service",
) -> None:
    """Wait until ``base``/readyz answers 200; fail at once if ``process`` exits meanwhile."""
    import httpx  # a development dependency: tests only, never a running service

    async with httpx.AsyncClient(base_url=base, timeout=10) as client:

        async def ready() -> bool:
            if process is not None and process.returncode is not None:
                raise AssertionError(f"{name} exited with {process.returncode}")
            try:
                return (await client.get("/readyz")).status_code == 200
            except httpx.TransportError:
                return False

        await wait_until(ready, within=within, interval=0.3)


async def stop_process(process: asyncio.subprocess.Process, *, within: float = 40.0) -> int:
    """SIGTERM a process and return its exit status; SIGKILL it after ``within`` seconds."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    try:
        return await asyncio.wait_for(process.wait(), timeout=within)
    except TimeoutError:
        process.kill()
        return await process.wait()


@asynccontextmanager
async def service_process(
    module: str,
    env: Mapping[str, str],
    *,
    log: Any = asyncio.subprocess.DEVNULL,
    ready_at: str | None = None,
    ready_within: float = 60.0,
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Run ``python -m <module>`` as operators do, with ``env`` over this environment.

    With ``ready_at`` (its base URL) the block starts once ``/readyz`` answers 200. Whatever is
    still running when the block ends is killed; ``stop_process`` (SIGTERM) or ``kill_hard``
    end it before that.
    """
    process = await start_process(module, env, log=log)
    try:
        if ready_at is not None:
            await wait_ready(ready_at, process, within=ready_within, name=f"python -m {module}")
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def kill_hard(process: asyncio.subprocess.Process) -> int:
    """Kill a process with SIGKILL (no clean-up of any kind) and return its exit status."""
    process.send_signal(signal.SIGKILL)
    return await asyncio.wait_for(process.wait(), timeout=30)


def emit_results(results: Mapping[str, Any]) -> None:
    """Write a bench's results as JSON where ``BENCH_OUT`` says, for `./dev bench` (else nothing)."""
    target = os.environ.get("BENCH_OUT")
    if target:
        text = json.dumps(results, indent=2, default=str) + "\n"
        Path(target).write_text(text, encoding="utf-8")
