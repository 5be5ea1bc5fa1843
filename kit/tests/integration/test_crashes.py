"""Processes killed with SIGKILL mid-stream: nothing lost, nothing applied twice, order kept."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from kit_harness import Schema, effect_rows, event, make_schema, settings_for, start_runtime

from contracts import topics
from kit.broker import topic_partitions
from kit.runtime import ServiceRuntime
from kit.testing import bootstrap_servers, drained, read_all, read_topic, unique, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

WORKER = Path(__file__).with_name("crash_worker.py")


_spawned: list[asyncio.subprocess.Process] = []


@pytest.fixture(autouse=True)
async def _no_worker_outlives_its_test() -> AsyncIterator[None]:
    yield
    while _spawned:
        process = _spawned.pop()
        if process.returncode is None:
            process.kill()
            await process.wait()


async def spawn(*args: str) -> asyncio.subprocess.Process:
    """Start the crash worker and wait until it says it started."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER), *args, stdout=asyncio.subprocess.PIPE
    )
    _spawned.append(process)
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
    assert line.strip() == b"started", line
    return process


async def committed_offsets(group: str, topic: str) -> int:
    """Return the sum of a group's committed offsets over a topic's partitions."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers(), group_id=group)
    await consumer.start()
    try:
        partitions = await topic_partitions(bootstrap_servers(), topic)
        total = 0
        for p in partitions:
            total += await consumer.committed(TopicPartition(topic, p)) or 0
        return total
    finally:
        await consumer.stop()


async def stage(runtime: ServiceRuntime, names: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Commit one event per (label, name); return the event ids per aggregate in order."""
    staged: dict[str, list[str]] = defaultdict(list)
    async with runtime.uow() as uow:
        for label, name in names:
            envelope = event(label, name)
            staged[envelope.subject].append(str(envelope.id))
            uow.stage(envelope)
        await uow.commit()
    return staged


async def test_consumer_killed_after_its_effect_but_before_the_offset_commit_applies_once(
    database_url: str, topic_prefix: str
) -> None:
    schema: Schema = make_schema()
    group = unique("kittest.crash.")
    topic = topic_prefix + topics.DEPUTIES
    runtime = await start_runtime(settings_for(database_url, topic_prefix), schema, [], relay=True)
    try:
        await stage(runtime, [("deputy-1", "only once")])
        assert len(await read_topic(topic, expected=1)) == 1

        doomed = await spawn(
            "consume",
            "--db",
            database_url,
            "--prefix",
            topic_prefix,
            "--group",
            group,
            "--die-before-offset-commit",
        )
        assert await asyncio.wait_for(doomed.wait(), timeout=60) == -signal.SIGKILL
        assert [r[2] for r in await effect_rows(runtime.engine, schema)] == ["only once"]
        assert await committed_offsets(topic_prefix + group, topic) == 0

        survivor = await spawn(
            "consume", "--db", database_url, "--prefix", topic_prefix, "--group", group
        )
        try:

            async def offset_committed() -> bool:
                return await committed_offsets(topic_prefix + group, topic) == 1

            await wait_until(offset_committed, within=60)
        finally:
            survivor.send_signal(signal.SIGTERM)
            await asyncio.wait_for(survivor.wait(), timeout=30)
        assert [r[2] for r in await effect_rows(runtime.engine, schema)] == ["only once"]
    finally:
        await runtime.stop()


async def test_relay_stopped_before_publishing_publishes_after_restart_in_order(
    database_url: str, topic_prefix: str
) -> None:
    schema = make_schema()
    topic = topic_prefix + topics.DEPUTIES
    runtime = await start_runtime(settings_for(database_url, topic_prefix), schema, [], relay=False)
    try:
        staged = await stage(runtime, [(f"deputy-{i % 5}", f"n{i}") for i in range(1000)])
        assert await read_all(topic) == []  # no relay yet: nothing on the topic

        relay = await spawn("relay", "--db", database_url, "--prefix", topic_prefix)
        seen_some = await read_topic(topic, expected=100, within=30)
        assert seen_some, "the relay published nothing"
        relay.kill()  # SIGKILL mid-stream: some rows published but not yet marked
        await relay.wait()

        relay = await spawn("relay", "--db", database_url, "--prefix", topic_prefix)
        try:
            await drained(runtime.engine, runtime.tables.outbox, within=90)
            records = await read_all(topic)  # the 1,000 events and the copies of the kill
        finally:
            relay.send_signal(signal.SIGTERM)
            await asyncio.wait_for(relay.wait(), timeout=30)

        first_seen: dict[str, list[str]] = defaultdict(list)
        seen: set[str] = set()
        for r in sorted(records, key=lambda r: (r.partition, r.offset)):
            event_id = dict(r.headers)["ce_id"].decode()
            if event_id not in seen:
                seen.add(event_id)
                first_seen[r.key.decode()].append(event_id)
        assert first_seen == staged  # nothing lost, and per key the first copies are in order
    finally:
        await runtime.stop()
