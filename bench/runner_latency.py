"""`python -m bench.runner_latency`: a record's timestamp to the runner's handler at a low rate.

Events are produced open loop at ``--rate`` per second; a raw aiokafka consumer (its own group,
``getmany`` waiting) reads the same topic beside the platform's runner. Each latency is from the
record's Kafka timestamp (the producer's clock, the same machine): for raw aiokafka to ``getmany``
returning; for the runner from the event's ``time`` (stamped as it is sent) to its batch handler
being called (after FastStream's dispatch, validation, BEGIN and the inbox claim) and to its
batch being done. ``--apply-ms`` makes each batch's handler wait that long (a transaction's round
trips to PostgreSQL: no CPU), which is what shows a batch's duration in the latency (the
settings, ``CONSUMER_OVERLAP``, ``CONSUMER_OVERLAP_MIN_RECORDS``, ``CONSUMER_READ_AHEAD``,
``CONSUMER_PREFETCH_BACKOFF_MS`` and ``CONSUMER_COMMIT_BEHIND``, come from the environment: the
runner before its read-ahead is ``CONSUMER_READ_AHEAD=false CONSUMER_PREFETCH_BACKOFF_MS=100
CONSUMER_COMMIT_BEHIND=false``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.__main__ import percentile
from bench.workload import envelope
from contracts import topics
from kit.db import create_all, kit_tables, make_metadata
from kit.runner import Delivery, Subscription
from kit.runtime import build_runtime, settle_heap
from kit.settings import ServiceSettings
from kit.testing import bootstrap_servers, delete_topics, emit_results, fresh_database, unique
from kit.uow import UnitOfWork

EVENT_TYPE = "deputies.township.registered"


async def produce(topic: str, n: int, rate: int) -> None:
    """Send n events at ``rate`` per second, each stamped as it is sent."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers(), linger_ms=0)
    await producer.start()
    try:
        started = time.perf_counter()
        for i in range(n):
            e = envelope(i)
            headers = [(k, v.encode()) for k, v in e.headers().items()]
            await producer.send(
                topic, e.model_dump_json().encode(), key=e.subject.encode(), headers=headers
            )
            delay = started + (i + 1) / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        await producer.flush()
    finally:
        await producer.stop()


async def raw_latencies(topic: str, out: list[float], ready: asyncio.Event) -> None:
    """Read the topic with raw aiokafka (``getmany`` waiting up to 1 s) until cancelled."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers(),
        group_id=unique("bench-latency-raw-"),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        while not consumer.assignment():
            await asyncio.sleep(0.05)
        ready.set()
        while True:
            fetched = await consumer.getmany(timeout_ms=1000)
            now = time.time()
            out.extend(now - r.timestamp / 1000 for rs in fetched.values() for r in rs)
    finally:
        await consumer.stop()


def summary(values: list[float]) -> dict[str, Any]:
    """Return count and p50/p95/p99 in milliseconds."""
    if len(values) < 2:
        return {"samples": len(values)}
    return {"samples": len(values)} | {
        f"p{q}": round(percentile(values, q) * 1000, 1) for q in (50, 95, 99)
    }


async def run(rate: int, seconds: int, apply_ms: float = 0.0) -> dict[str, Any]:
    """Run the runner and raw aiokafka side by side on one topic; return their latencies."""
    prefix = unique("benchlat") + "."
    topic = prefix + topics.DEPUTIES
    metadata = make_metadata()
    kit_tables(metadata)
    called: list[float] = []
    applied: list[float] = []
    raw: list[float] = []

    async def apply(deliveries: Sequence[Delivery], uow: UnitOfWork) -> None:
        now = time.time()
        called.extend(now - d.envelope.time.timestamp() for d in deliveries)
        if apply_ms:
            await asyncio.sleep(apply_ms / 1000)
        now = time.time()
        applied.extend(now - d.envelope.time.timestamp() for d in deliveries)

    async with fresh_database() as url:
        settings = ServiceSettings.for_service(
            "bench",
            database_url=url,
            kafka_bootstrap_servers=bootstrap_servers(),
            kafka_topic_prefix=prefix,
            kafka_topic_partitions=3,
        )
        subscription = Subscription(
            "bench.latency", (topics.DEPUTIES,), batch_handlers={EVENT_TYPE: apply}
        )
        runtime = build_runtime(settings, metadata=metadata, subscriptions=[subscription])
        await create_all(runtime.engine, metadata)
        await runtime.start(relay=False)
        settle_heap()
        ready = asyncio.Event()
        reader = asyncio.create_task(raw_latencies(topic, raw, ready))
        try:
            await runtime.runners[0].assigned.event.wait()
            await ready.wait()
            await produce(topic, rate * seconds, rate)
            deadline = time.perf_counter() + 10
            while (
                len(called) < rate * seconds or len(raw) < rate * seconds
            ) and time.perf_counter() < deadline:
                await asyncio.sleep(0.05)
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            await runtime.stop()
            await delete_topics({prefix})  # a crowded broker slows every client
    return {
        "rate_per_s": rate,
        "seconds": seconds,
        "raw_aiokafka_getmany_ms": summary(raw),
        "runner_handler_called_ms": summary(called),
        "apply_ms": apply_ms,
        "runner_handler_done_ms": summary(applied),
        "overlap": settings.consumer_overlap,
        "read_ahead": settings.consumer_read_ahead,
        "prefetch_backoff_ms": settings.consumer_prefetch_backoff_ms,
        "commit_behind": settings.consumer_commit_behind,
    }


def main() -> None:
    """Parse arguments, run, print the results."""
    parser = argparse.ArgumentParser(prog="python -m bench.runner_latency", description=__doc__)
    parser.add_argument("--rate", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument(
        "--apply-ms", type=float, default=0.0, help="how long each batch's handler waits"
    )
    args = parser.parse_args()
    results = asyncio.run(run(args.rate, args.seconds, args.apply_ms))
    print(json.dumps(results, indent=2))
    emit_results(results)


if __name__ == "__main__":
    main()
