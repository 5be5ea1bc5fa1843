"""Bench of the outbox relay's latency: committed → handed to the producer → on the topic.

One process, a fresh PostgreSQL database, the real broker. Transactions commit at a fixed
offered rate (open loop, ``--per-commit`` events each, as a group-committed batch of filings
does) while the kit's relay runs as a service runs it (leader by advisory lock, woken in
process after each commit). A raw aiokafka consumer reads the topic. For every event:

- **sent**: the record's Kafka timestamp (aiokafka stamps it when the relay calls ``send``)
  minus the moment ``commit`` returned: what issue 12's end-to-end bench calls "accepted → on
  cases.events";
- **received**: when the consumer got it, minus the same moment.

``--relay-linger-ms`` and ``--producer-linger-ms`` override the relay's and its producer's
lingers (default: the kit's). Runs against whatever ``kit`` is importable, so the same script
measures another checkout with its sources first on ``PYTHONPATH``.

Run: ``PYTHONPATH=. .venv/bin/python kit/bench_relay_latency.py [--rate 100] [--seconds 20] [--per-commit 1]``
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
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.workload import envelope
from contracts import topics
from kit.broker import Handed, Outgoing, send_each
from kit.db import create_all, kit_tables, make_metadata
from kit.relay import OutboxRelay
from kit.runtime import build_runtime
from kit.settings import ServiceSettings
from kit.testing import bootstrap_servers, emit_results, fresh_database, unique


class LingeringPublisher:
    """The relay's publisher with a producer linger of the bench's choosing."""

    def __init__(self, linger_ms: int) -> None:
        self.linger_ms = linger_ms
        self.producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        """Create and connect the producer."""
        self.producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers(), enable_idempotence=True, linger_ms=self.linger_ms
        )
        await self.producer.start()

    async def stop(self) -> None:
        """Flush and close the producer."""
        if self.producer is not None:
            await self.producer.stop()

    async def send(self, topic: str, *, key: str, value: bytes, headers: Mapping[str, str]) -> Any:
        """Enqueue a record and return its delivery future."""
        assert self.producer is not None
        return await self.producer.send(
            topic, value, key=key.encode(), headers=[(k, v.encode()) for k, v in headers.items()]
        )

    def send_many(self, records: Sequence[Outgoing]) -> AsyncIterator[Handed]:
        """Enqueue records one by one (the producer's own batching, with its linger)."""
        return send_each(self, records)


def _spread(values: list[float]) -> dict[str, float | None]:
    if len(values) < 2:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "max": max(values)}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Commit at the offered rate while the relay runs; return the latency spreads in ms."""
    prefix = unique("relaylat") + "."
    topic = prefix + topics.DEPUTIES
    metadata = make_metadata()
    kit_tables(metadata)
    committed: dict[str, float] = {}
    sent: dict[str, float] = {}
    received: dict[str, float] = {}
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
        publisher: Any = runtime.publisher
        own: LingeringPublisher | None = None
        if args.producer_linger_ms is not None:
            own = LingeringPublisher(args.producer_linger_ms)
            await own.start()
            publisher = own
        relay_args: dict[str, Any] = {}
        if args.relay_linger_ms is not None:
            relay_args["linger_seconds"] = args.relay_linger_ms / 1000
        relay = OutboxRelay(
            engine=runtime.engine,
            outbox=runtime.outbox,
            publisher=publisher,
            metrics=runtime.metrics,
            poll_seconds=settings.relay_poll_seconds,
            **relay_args,
        )
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=bootstrap_servers(), auto_offset_reset="earliest"
        )
        await consumer.start()
        stop = asyncio.Event()
        relaying = asyncio.create_task(relay.run(stop))

        async def consume() -> None:
            while not stop.is_set():
                batches = await consumer.getmany(timeout_ms=100)
                now = time.time()
                for records in batches.values():
                    for record in records:
                        event_id = dict(record.headers)["ce_id"].decode()
                        sent.setdefault(event_id, record.timestamp / 1000)
                        received.setdefault(event_id, now)

        consuming = asyncio.create_task(consume())
        try:
            await asyncio.sleep(2.0)  # the consumer has its partitions, the relay its lock
            commits = int(args.rate * args.seconds / args.per_commit)
            started = time.time()
            cpu0 = time.process_time()
            for i in range(commits):
                await asyncio.sleep(
                    max(0.0, started + i * args.per_commit / args.rate - time.time())
                )
                envelopes = [envelope(i * args.per_commit + j) for j in range(args.per_commit)]
                async with runtime.uow() as uow:
                    uow.stage(*envelopes)
                    await uow.commit()
                now = time.time()
                for e in envelopes:
                    committed[str(e.id)] = now
            offered = time.time() - started
            cpu = time.process_time() - cpu0
            deadline = time.time() + 30
            while len(received) < len(committed) and time.time() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)  # the tail: at most 30 s more
        finally:
            stop.set()
            await relaying
            await consuming
            await consumer.stop()
            if own is not None:
                await own.stop()
            await runtime.stop()
    to_sent = [1000 * (sent[e] - t) for e, t in committed.items() if e in sent]
    to_received = [1000 * (received[e] - t) for e, t in committed.items() if e in received]
    return {
        "rate_per_s": args.rate,
        "per_commit": args.per_commit,
        "events": len(committed),
        "lost": len(committed) - len(to_received),
        "offered_s": offered,
        "process_cpu_ms_per_event": 1000 * cpu / max(1, len(committed)),
        "relay_linger_ms": args.relay_linger_ms,
        "producer_linger_ms": args.producer_linger_ms,
        "committed_to_sent_ms": _spread(to_sent),
        "committed_to_received_ms": _spread(to_received),
        "load_average": os.getloadavg()[0],
    }


def main() -> None:
    """Parse arguments, run, print and emit the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0, help="events offered per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--per-commit", type=int, default=1, help="events per transaction")
    parser.add_argument("--relay-linger-ms", type=float, default=None)
    parser.add_argument("--producer-linger-ms", type=int, default=None)
    results = asyncio.run(run(parser.parse_args()))
    print(json.dumps(results, indent=2), file=sys.stderr)
    emit_results(results)


if __name__ == "__main__":
    main()
