"""`python -m bench`: relay publish rate and consumer rate against raw aiokafka, as ratios."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from prometheus_client import CollectorRegistry
from sqlalchemy import Column, Float, Integer, String, Table

from bench.progress import Progress
from bench.workload import TIMED_FROM, envelope, sequence
from contracts import topics
from kit.broker import BrokerPublisher, Publisher
from kit.db import create_all, kit_tables, make_metadata
from kit.metrics import make_metrics
from kit.relay import OutboxRelay
from kit.runner import Delivery, Subscription
from kit.runtime import ServiceRuntime, build_runtime, settle_heap
from kit.settings import ServiceSettings
from kit.testing import bootstrap_servers, delete_topics, emit_results, fresh_database, unique
from kit.uow import UnitOfWork

EVENT_TYPE = "deputies.township.registered"


async def raw_produce(topic: str, n: int) -> float:
    """Publish n events with a raw idempotent aiokafka producer; return events/s."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers(), enable_idempotence=True, linger_ms=5
    )
    await producer.start()
    messages = []
    for i in range(n):  # built before the clock starts, as the relay's rows are
        e = envelope(i)
        headers = [(k, v.encode()) for k, v in e.headers().items()]
        messages.append((e.model_dump_json().encode(), e.subject.encode(), headers))
    progress = Progress("raw aiokafka producer", n)
    try:
        futures = []
        for i, (value, key, headers) in enumerate(messages):
            futures.append(await producer.send(topic, value, key=key, headers=headers))
            if i % 1000 == 0:
                progress.update(i)
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return n / progress.finish()


async def stage_outbox(runtime: ServiceRuntime, n: int, first: int) -> None:
    """Commit n events to the outbox in transactions of 500 (not timed)."""
    progress = Progress("staging outbox rows", n)
    for start in range(first, first + n, 500):
        async with runtime.uow() as uow:
            uow.stage(*(envelope(i) for i in range(start, min(start + 500, first + n))))
            await uow.commit()
        progress.update(min(start + 500, first + n) - first)
    progress.finish()


def counter(runtime: ServiceRuntime, name: str, labels: dict[str, str]) -> float:
    """Read a counter of the runtime's registry (0 when absent)."""
    return runtime.registry.get_sample_value(name, labels) or 0.0


@dataclass(frozen=True)
class Relayed:
    """A relay phase: events/s and the process's CPU per event (µs), the relay alone running."""

    per_s: float
    cpu_us: float


async def relay_publish(
    runtime: ServiceRuntime, publisher: Publisher, label: str, n: int
) -> Relayed:
    """Run an outbox relay with a publisher over n staged rows; return its rate and CPU."""
    registry = CollectorRegistry()
    relay = OutboxRelay(
        engine=runtime.engine,
        outbox=runtime.outbox,
        publisher=publisher,
        metrics=make_metrics(registry),
        batch_size=runtime.settings.relay_batch_size,
        poll_seconds=0.05,
    )
    stop = asyncio.Event()
    cpu = time.process_time()
    task = asyncio.create_task(relay.run(stop))
    progress = Progress(label, n)
    while (done := sum_counter(registry, "kit_relay_published_total")) < n:
        progress.update(int(done))
        await asyncio.sleep(0.02)
    rate = n / progress.finish()
    cpu = time.process_time() - cpu
    stop.set()
    await task
    return Relayed(rate, 1e6 * cpu / n)


def sum_counter(registry: CollectorRegistry, name: str) -> float:
    """Sum a counter over all its labels."""
    return sum(
        sample.value
        for metric in registry.collect()
        for sample in metric.samples
        if sample.name == name
    )


@dataclass(frozen=True)
class Consumed:
    """A consume phase: events/s and the process's CPU per event (µs) from its first event."""

    per_s: float
    cpu_us: float


async def raw_consume(topic: str, n: int) -> Consumed:
    """Consume n events with raw aiokafka: getmany, json.loads, one commit per batch."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers(),
        group_id=unique("bench-raw-"),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        seen = 0
        progress: Progress | None = None
        cpu = 0.0
        while seen < n:
            batches = await consumer.getmany(timeout_ms=500, max_records=500)
            if progress is None and batches:
                progress = Progress("raw aiokafka consumer", n)
                cpu = time.process_time()
            for records in batches.values():
                for record in records:
                    json.loads(record.value or b"")
                seen += len(records)
            if batches:
                await consumer.commit()
                assert progress is not None
                progress.update(seen)
        assert progress is not None
        cpu = time.process_time() - cpu
        return Consumed(n / progress.finish(), cpu / n * 1e6)
    finally:
        await consumer.stop()


async def runner_consume(runtime: ServiceRuntime, group: str, n: int) -> Consumed:
    """Run the platform's consumer runner (inbox + one effect row per event); return events/s."""
    runner = next(r for r in runtime.runners if r.subscription.group == group)
    task = asyncio.create_task(runner.run(runtime.stop_event))
    runtime.tasks.append(task)
    labels = {"service": "bench", "group": group, "outcome": "ok"}
    while counter(runtime, "kit_consumer_processed_total", labels) == 0:
        await asyncio.sleep(0.01)
    progress = Progress("platform consumer runner (inbox + batch insert)", n)
    cpu, first = time.process_time(), counter(runtime, "kit_consumer_processed_total", labels)
    while (done := counter(runtime, "kit_consumer_processed_total", labels)) < n:
        progress.update(int(done))
        await asyncio.sleep(0.02)
    cpu = time.process_time() - cpu
    return Consumed(n / progress.finish(), cpu / (n - first) * 1e6)


async def end_to_end(
    runtime: ServiceRuntime, latencies: list[float], rate: int, seconds: int
) -> None:
    """Commit events at a steady rate while relay and runner run; latencies fill in the handler."""
    total = rate * seconds
    progress = Progress(f"end-to-end at {rate}/s", total)
    started = time.perf_counter()
    for i in range(total):
        async with runtime.uow() as uow:
            uow.stage(envelope(TIMED_FROM + i))
            await uow.commit()
        progress.update(i + 1)
        delay = started + (i + 1) / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
    deadline = time.perf_counter() + 30
    while len(latencies) < total and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    progress.finish()


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0-100) of values."""
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def consume_only(runtime: ServiceRuntime, topic: str, n: int) -> dict[str, Any]:
    """Produce n events with raw aiokafka, then read them with raw aiokafka and the runner."""
    await raw_produce(topic, n)
    raw_con = await raw_consume(topic, n)
    runner_con = await runner_consume(runtime, "bench.throughput", n)
    return {
        "events": n,
        "consume": {
            "raw_aiokafka_per_s": raw_con.per_s,
            "runner_per_s": runner_con.per_s,
            "ratio": runner_con.per_s / raw_con.per_s,
            "raw_aiokafka_cpu_us_per_event": raw_con.cpu_us,
            "runner_cpu_us_per_event": runner_con.cpu_us,
        },
    }


async def run(n: int, rate: int, seconds: int, *, consume: bool = False) -> dict[str, Any]:
    """Run every phase on one broker and one fresh database; return the results.

    With ``consume`` only the consume phases run, over 2n events a raw producer wrote.
    """
    prefix = unique("bench") + "."
    topic = prefix + topics.DEPUTIES
    raw_topic = prefix + "raw.events"
    latencies: list[float] = []
    metadata = make_metadata()
    kit_tables(metadata)
    effects = Table(
        "bench_effects",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False),
        Column("seq", Integer, nullable=False),
        Column("latency", Float, nullable=True),
    )

    async def apply(deliveries: Sequence[Delivery], uow: UnitOfWork) -> None:
        rows = []
        for delivery in deliveries:
            seq = sequence(delivery.envelope)
            latency = None
            if seq >= TIMED_FROM:
                latency = time.time() - delivery.envelope.time.timestamp()
                latencies.append(latency)
            rows.append({"event_id": str(delivery.envelope.id), "seq": seq, "latency": latency})
        uow.add_all(effects, rows)  # queued: one statement at commit, as the services write

    async with fresh_database() as url:
        settings = ServiceSettings.for_service(
            "bench",
            database_url=url,
            kafka_bootstrap_servers=bootstrap_servers(),
            kafka_topic_prefix=prefix,
            kafka_topic_partitions=3,
            relay_poll_seconds=0.05,
        )
        subscriptions = [
            Subscription(
                "bench.throughput", (topics.DEPUTIES,), batch_handlers={EVENT_TYPE: apply}
            ),
        ]
        runtime = build_runtime(settings, metadata=metadata, subscriptions=subscriptions)
        await create_all(runtime.engine, metadata)
        await runtime.start(relay=False, consumers=False)
        settle_heap()  # as a service's lifespan does: the start-up heap out of the collector's way
        try:
            print(f"benchmark: {n:,} events, broker {bootstrap_servers()}", file=sys.stderr)
            if consume:
                results = await consume_only(runtime, topic, 2 * n)
                print(json.dumps(results, indent=2))
                return results
            raw_pub = await raw_produce(raw_topic, n)
            await stage_outbox(runtime, n, 0)
            relay_pub = await relay_publish(
                runtime, runtime.publisher, "outbox relay (aiokafka producer)", n
            )
            await stage_outbox(runtime, n, n)
            relay_fs = await relay_publish(
                runtime, BrokerPublisher(runtime.broker), "outbox relay (FastStream publish)", n
            )
            raw_con = await raw_consume(topic, 2 * n)
            runner_con = await runner_consume(runtime, "bench.throughput", 2 * n)
            runtime.tasks.append(asyncio.create_task(runtime.relay.run(runtime.stop_event)))
            await end_to_end(runtime, latencies, rate, seconds)
        finally:
            await runtime.stop()
            await delete_topics({prefix})  # a crowded broker slows every client
    results = {
        "events": n,
        "publish": {
            "raw_aiokafka_per_s": raw_pub,
            "relay_per_s": relay_pub.per_s,
            "ratio": relay_pub.per_s / raw_pub,
            "relay_cpu_us_per_event": relay_pub.cpu_us,
            "relay_faststream_per_s": relay_fs.per_s,
            "ratio_faststream": relay_fs.per_s / raw_pub,
            "relay_faststream_cpu_us_per_event": relay_fs.cpu_us,
        },
        "consume": {
            "raw_aiokafka_per_s": raw_con.per_s,
            "runner_per_s": runner_con.per_s,
            "ratio": runner_con.per_s / raw_con.per_s,
            "raw_aiokafka_cpu_us_per_event": raw_con.cpu_us,
            "runner_cpu_us_per_event": runner_con.cpu_us,
        },
        "end_to_end_ms": {
            "rate_per_s": rate,
            "samples": len(latencies),
            "p50": percentile(latencies, 50) * 1000 if len(latencies) > 1 else None,
            "p95": percentile(latencies, 95) * 1000 if len(latencies) > 1 else None,
            "p99": percentile(latencies, 99) * 1000 if len(latencies) > 1 else None,
        },
    }
    print(json.dumps(results, indent=2))
    return results


def main() -> None:
    """Parse arguments and run the benchmark."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rate", type=int, default=200, help="end-to-end phase: events/s")
    parser.add_argument("--seconds", type=int, default=10, help="end-to-end phase: duration")
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    parser.add_argument(
        "--consume-only", action="store_true", help="only raw aiokafka and the runner consuming"
    )
    args = parser.parse_args()
    results = asyncio.run(run(args.events, args.rate, args.seconds, consume=args.consume_only))
    emit_results(results)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
