"""Replay throughput: a generated backlog on fresh topics, rebuilt by ``python -m scoring replay --all``.

Run: ``.venv/bin/python services/scoring/bench_replay.py [events] [--keep] [--topics PREFIX]``
(KAFKA_BOOTSTRAP_SERVERS and TEST_DATABASE_URL set; ``--help`` lists the options). Generates a county's year of mixed deputies and cases events (20
townships of 30 deputies; activities, corrections, cancellations, suggestions, replies, 重点督办,
feedback, closings; 3 % redelivered) onto a fresh topic prefix (6 partitions each), migrates a
fresh database, then runs the replay command as its own process (its progress lines go to stderr,
its summary with time, events/s and peak RSS to stdout) and deletes the topics unless ``--keep``
(which prints their prefix). ``--topics PREFIX`` replays topics kept by an earlier run instead of
producing new ones (and keeps them); ``--profile FILE`` runs the replay under ``py-spy record``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import sys
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from contracts import topics
from kit.broker import ensure_topics
from kit.testing import bootstrap_servers, fresh_database, unique
from scoring.bootstrap import migrate
from scoring.testing.harness import settings_for
from scoring.testing.replay_history import county_year

PARTITIONS = 6
FETCH_BYTES = 1024 * 1024
BATCH = 5000


async def fill(prefix: str, count: int) -> int:
    """Produce ``count`` generated events (plus the roster, some twice); return how many."""
    servers = bootstrap_servers()
    names = {
        "deputies": prefix + topics.DEPUTIES,
        "cases": prefix + topics.CASES,
    }
    await ensure_topics(servers, list(names.values()), partitions=PARTITIONS)
    producer = AIOKafkaProducer(
        bootstrap_servers=servers, linger_ms=20, max_batch_size=512 * 1024, acks=1
    )
    await producer.start()
    rng = random.Random(11)  # noqa: S311 - bench data
    sent, started, pending = 0, time.perf_counter(), []
    try:
        for e in county_year(rng, count, towns=20, deputies=30):
            value = e.model_dump_json().encode()
            topic = names[e.type.split(".")[0]]
            headers = [(k, v.encode()) for k, v in e.headers().items()]
            copies = 2 if rng.random() < 0.03 else 1
            for _ in range(copies):
                pending.append(
                    await producer.send(topic, value, key=e.subject.encode(), headers=headers)
                )
                sent += 1
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
                rate = sent / (time.perf_counter() - started)
                print(f"produced {sent:,} ({rate:,.0f}/s)", file=sys.stderr, flush=True)
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return sent


async def raw_read(prefix: str) -> tuple[int, float]:
    """Read both topics whole with plain aiokafka (no parsing); return records and seconds."""
    servers = bootstrap_servers()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=servers,
        enable_auto_commit=False,
        max_partition_fetch_bytes=FETCH_BYTES,
        fetch_max_bytes=16 * FETCH_BYTES,
    )
    await consumer.start()
    try:
        parts = [
            TopicPartition(prefix + topic, p)
            for topic in (topics.DEPUTIES, topics.CASES)
            for p in range(PARTITIONS)
        ]
        ends = await consumer.end_offsets(parts)
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        started, read, left = time.perf_counter(), 0, {tp for tp, end in ends.items() if end}
        while left:
            fetched = await consumer.getmany(timeout_ms=1000, max_records=BATCH)
            for tp, records in fetched.items():
                read += len(records)
                if records and records[-1].offset + 1 >= ends[tp]:
                    left.discard(tp)
        return read, time.perf_counter() - started
    finally:
        await consumer.stop()


async def drop_topics(prefix: str) -> None:
    """Delete the bench topics."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers())
    await admin.start()
    try:
        await admin.delete_topics([prefix + topics.DEPUTIES, prefix + topics.CASES])
    finally:
        await admin.close()


async def main(
    count: int, keep: bool, reuse: str | None, profile: str | None, *, produce_only: bool = False
) -> None:
    """Produce the backlog (or reuse kept topics), replay it in a process of its own, print its summary."""
    prefix = reuse or unique("bench-replay") + "."
    if keep or reuse or produce_only:
        print(f"topics kept: --topics {prefix}", flush=True)
    produced = await fill(prefix, count) if reuse is None else 0
    if produce_only:
        return
    try:
        async with fresh_database() as url:
            settings = settings_for(url, prefix)
            await migrate(settings)
            env = {
                **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
                "SCORING_DATABASE_URL": url,
                "KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers(),
                "KAFKA_TOPIC_PREFIX": prefix,
                "DEV_MODE": "true",
                "LOG_FORMAT": "text",
            }
            raw, raw_seconds = await raw_read(prefix)
            produced = produced or raw
            print(
                f"raw aiokafka: {raw:,} records in {raw_seconds:.1f} s "
                f"({raw / raw_seconds:,.0f} records/s)",
                flush=True,
            )
            started = time.perf_counter()
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            command = [sys.executable, "-m", "scoring", "replay", "--all"]
            if profile is not None:
                form = ["--format", "raw"] if profile.endswith(".txt") else []  # collapsed stacks
                spy = ["py-spy", "record", "--subprocesses", "--rate", "50", *form, "-o", profile]
                spy.append("--")
                command = [*spy, *command]
            process = await asyncio.create_subprocess_exec(*command, env=env)
            if await process.wait():
                raise SystemExit(f"replay failed with status {process.returncode}")
            elapsed = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
            print(
                f"{produced:,} records replayed in {elapsed:.1f} s wall "
                f"({produced / elapsed:,.0f} records/s, process start included); "
                f"raw aiokafka read them at {raw / raw_seconds:,.0f} records/s: "
                f"replay / raw = {(produced / elapsed) / (raw / raw_seconds):.2f}; "
                f"the replay process used {cpu:.1f} s CPU ({produced / cpu:,.0f} records/CPU s)"
            )
    finally:
        if not (keep or reuse):
            await drop_topics(prefix)


def arguments() -> argparse.Namespace:
    """Return the bench's command-line arguments."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("events", type=int, nargs="?", default=200_000, help="events to generate")
    p.add_argument("--keep", action="store_true", help="keep the topics (prints their prefix)")
    p.add_argument("--topics", metavar="PREFIX", help="replay kept topics instead of producing")
    p.add_argument(
        "--produce-only", action="store_true", help="produce and keep the topics, no replay"
    )
    p.add_argument(
        "--profile",
        metavar="FILE",
        help="run the replay under py-spy record (SVG; FILE.txt: collapsed stacks)",
    )
    return p.parse_args()


if __name__ == "__main__":
    a = arguments()
    asyncio.run(main(a.events, a.keep, a.topics, a.profile, produce_only=a.produce_only))
