"""Subscribe to the platform's deputies and cases events with plain aiokafka, using only the `contracts` wheel.

    KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 python aiokafka_subscriber.py

An `AIOKafkaConsumer` on both topics, in its own consumer group, auto-commit off: each fetched batch
is validated and applied record by record, once per event id (see projection.py), and then the
batch's offsets (last offset + 1 per partition) are committed, so nothing is committed before its
effect is stored. A failure that is not the record's fault stops the batch: the partitions are
sought back to the first record not applied and fetched again.

Before the typed validation, each record is also checked against the packaged JSON Schemas, found by
the `$id` that equals the envelope's `dataschema` URI: what a subscriber in another language does
with the same files (a `referencing` registry of `contracts.schema_ids()`; no file names).
SIGINT or SIGTERM stops it cleanly. One JSON line per record on stdout.

Settings (environment): KAFKA_BOOTSTRAP_SERVERS (127.0.0.1:9092), KAFKA_TOPIC_PREFIX (empty),
SUBSCRIBER_GROUP (example.aiokafka), SUBSCRIBER_DB (aiokafka-subscriber.db).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from projection import Projection, Record, Result, report
from referencing import Registry, Resource

from contracts import load_schema, schema_ids, topics
from contracts.schemas import ENVELOPE_SCHEMA_ID

RETRY_SECONDS = 1.0


@dataclass(frozen=True)
class Settings:
    """Where to read from and where to keep state."""

    bootstrap_servers: str
    topic_prefix: str
    group: str
    database: str

    @classmethod
    def from_env(cls) -> Settings:
        """Read the settings from the environment."""
        return cls(
            bootstrap_servers=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
            topic_prefix=os.environ.get("KAFKA_TOPIC_PREFIX", ""),
            group=os.environ.get("SUBSCRIBER_GROUP", "example.aiokafka"),
            database=os.environ.get("SUBSCRIBER_DB", "aiokafka-subscriber.db"),
        )


class SchemaCheck:
    """The contract's JSON Schemas in a registry keyed by `$id`: an event names its own schema."""

    def __init__(self) -> None:
        registry: Registry[Any] = Registry().with_resources(
            (uri, Resource.from_contents(load_schema(uri))) for uri in schema_ids()
        )
        self.registry = registry.crawl()

    def errors(self, value: bytes | None) -> list[str]:
        """Return what is wrong with a record value under the schemas; empty if it conforms."""
        try:
            envelope = json.loads(value or b"")
        except ValueError as error:
            return [f"not JSON: {error}"]
        checks: list[tuple[dict[str, Any], Any]] = [({"$ref": ENVELOPE_SCHEMA_ID}, envelope)]
        dataschema = envelope.get("dataschema") if isinstance(envelope, dict) else None
        if isinstance(dataschema, str) and dataschema in self.registry:
            checks.append(({"$ref": dataschema}, envelope.get("data")))
        return [
            f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
            for schema, instance in checks
            for error in Draft202012Validator(schema, registry=self.registry).iter_errors(instance)
        ]


def handle(projection: Projection, schemas: SchemaCheck, record: ConsumerRecord[Any, Any]) -> None:
    """Check, validate and apply one record, and report it; raise only on a failure to retry."""
    errors = schemas.errors(record.value)
    if errors:  # refused by the JSON Schemas: not applied
        result = Result("rejected", error="; ".join(errors)[:300])
    else:
        result = projection.handle(record.value)
    report(Record(record.topic, record.partition, record.offset), result, client="aiokafka")


async def commit(consumer: AIOKafkaConsumer, partition: TopicPartition, offset: int) -> None:
    """Commit a partition's offset; if a rebalance took the partition away, let it go."""
    try:
        await consumer.commit({partition: offset})
    except CommitFailedError:  # its new owner reads these records again: the ids dedupe them
        logging.warning("%s was reassigned before the commit: delivered again", partition)


async def consume(settings: Settings, stop: asyncio.Event) -> None:
    """Fetch, apply and commit until `stop` is set."""
    projection = Projection(settings.database)
    schemas = SchemaCheck()
    consumer = AIOKafkaConsumer(
        *(settings.topic_prefix + topic for topic in (topics.DEPUTIES, topics.CASES)),
        bootstrap_servers=settings.bootstrap_servers,
        group_id=settings.group,
        enable_auto_commit=False,  # offsets are committed after the effects, below
        auto_offset_reset="earliest",  # a new group reads the topics from their beginning
    )
    try:
        await consumer.start()
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=500, max_records=500)
            for partition, records in batches.items():
                done = 0
                try:
                    for record in records:
                        handle(projection, schemas, record)
                        done += 1
                except Exception:
                    logging.exception("not applied; it is fetched again")
                    await asyncio.sleep(RETRY_SECONDS)
                    consumer.seek(partition, records[done].offset)
                if done:  # the offset of the next record to read: after the last one applied
                    await commit(consumer, partition, records[done - 1].offset + 1)
    finally:
        await consumer.stop()  # leaves the group at once: its partitions go to the others
        projection.close()


async def main() -> None:
    """Run until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await consume(Settings.from_env(), stop)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main())
