"""A three-broker KRaft cluster loses a broker under load, as Kafka's own system tests do it.

deploy/kafka/kafka.sh's cluster mode starts three nodes (replication 3, min.insync.replicas 2) on
free ports in a private directory. The kit's runtime publishes through its outbox relay (idempotent
producer, acks=all) while a subscription of the kit consumes the topic into an effects table through
its inbox. Events are committed to the outbox all along; one broker is SIGKILLed in the middle and
started again. Every event accepted (committed) must be applied exactly once, in order per key.
Bounded: the whole test must finish within 3 minutes (pytest-timeout).
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Iterator

import pytest
from reliability_harness import PrivateKafka, write_report
from sqlalchemy import Column, Integer, String, Table, select

from contracts import topics
from contracts.catalog import new_envelope
from contracts.deputies import TownshipRegistered
from kit.db import create_all, kit_tables, make_metadata
from kit.runner import Delivery, Subscription
from kit.runtime import build_runtime
from kit.settings import ServiceSettings
from kit.testing import drained, fresh_database, unique, wait_until
from kit.uow import UnitOfWork

pytestmark = [pytest.mark.integration, pytest.mark.reliability, pytest.mark.timeout(180)]

EVENTS = 1200
KEYS = 24
PER_COMMIT = 20


@pytest.fixture
def cluster() -> Iterator[PrivateKafka]:
    """Three nodes of the test's own, thrown away afterwards."""
    kafka = PrivateKafka(cluster=True)
    try:
        began = time.monotonic()
        kafka.start()
        print(f"three brokers: cluster started in {time.monotonic() - began:.1f} s", flush=True)
        yield kafka
    finally:
        kafka.close()


async def test_a_broker_killed_under_load_loses_and_doubles_nothing(cluster: PrivateKafka) -> None:
    metadata = make_metadata()
    tables = kit_tables(metadata)
    effects = Table(
        "effects",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False),
        Column("subject", String(120), nullable=False),
        Column("n", Integer, nullable=False),
    )

    async def record(delivery: Delivery, uow: UnitOfWork) -> None:
        await uow.session.execute(
            effects.insert().values(
                event_id=str(delivery.envelope.id),
                subject=delivery.envelope.subject,
                n=int(str(delivery.envelope.data["name"]).split("-")[1]),
            )
        )

    subscription = Subscription(
        "reliability.cluster", (topics.DEPUTIES,), {TownshipRegistered.EVENT_TYPE: record}
    )
    async with fresh_database() as url:
        settings = ServiceSettings.for_service(
            "reltest",
            database_url=url,
            kafka_bootstrap_servers=cluster.servers,
            kafka_topic_prefix=unique("relc") + ".",
            kafka_topic_partitions=3,
            kafka_replication_factor=3,
            kafka_min_insync_replicas=2,
            relay_poll_seconds=0.1,
            relay_send_timeout_seconds=5.0,
            consumer_session_timeout_ms=6000,
            jwt_secret="reliability-cluster-secret-of-32-bytes",
        )
        runtime = build_runtime(settings, metadata=metadata, subscriptions=[subscription])
        await create_all(runtime.engine, metadata)
        await runtime.start(relay=True, consumers=True)
        staged: dict[str, list[int]] = defaultdict(list)
        started = time.monotonic()
        moments: dict[str, float] = {}

        async def stage(first: int, last: int) -> None:
            """Commit events ``first``..``last - 1`` to the outbox, a few per transaction."""
            for low in range(first, last, PER_COMMIT):
                async with runtime.uow() as uow:
                    for n in range(low, min(low + PER_COMMIT, last)):
                        data = TownshipRegistered(
                            township=f"990101{n % KEYS:03d}",
                            county="990101",
                            name=f"n-{n}",
                            kind="town",
                        )
                        envelope = new_envelope(data, source="/reltest", correlationid="rel")
                        uow.stage(envelope)
                        staged[envelope.subject].append(n)
                    await uow.commit()  # accepted: the event is the platform's from here on
                await asyncio.sleep(0.05)

        def mark(moment: str) -> None:
            moments[moment] = round(time.monotonic() - started, 1)
            print(f"three brokers: {moment} = {moments[moment]}", flush=True)

        quarter = EVENTS // 4
        try:
            await stage(0, quarter)
            await asyncio.to_thread(cluster.kill9, 2)
            mark("broker_2_killed_s")
            await stage(quarter, 2 * quarter)  # two brokers left: still min.insync.replicas
            restart = asyncio.create_task(asyncio.to_thread(cluster.start, 2))
            await stage(2 * quarter, 3 * quarter)  # while it starts again
            await restart
            mark("broker_2_answering_again_s")
            await stage(3 * quarter, EVENTS)
            mark("all_committed_s")
            await drained(runtime.engine, tables.outbox, within=90)

            async def all_applied() -> bool:
                async with runtime.engine.connect() as conn:
                    return len((await conn.execute(select(effects.c.seq))).all()) >= EVENTS

            await wait_until(all_applied, within=90, interval=0.3)
            async with runtime.engine.connect() as conn:
                rows = (
                    await conn.execute(
                        select(effects.c.event_id, effects.c.subject, effects.c.n).order_by(
                            effects.c.seq
                        )
                    )
                ).all()
        finally:
            await runtime.stop()
    applied: dict[str, list[int]] = defaultdict(list)
    for _, subject, n in rows:
        applied[subject].append(n)
    assert len({r[0] for r in rows}) == len(rows) == EVENTS  # each accepted event once
    assert applied == staged  # none lost, per key in the order committed
    write_report(
        "three-brokers",
        {
            "events": EVENTS,
            "applied": len(rows),
            **moments,
            "all_applied_at_s": round(time.monotonic() - started, 1),
        },
    )
