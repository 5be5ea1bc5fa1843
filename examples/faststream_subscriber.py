"""Subscribe to the platform's deputies and cases events with FastStream, using only the `contracts` wheel.

    KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 python faststream_subscriber.py

One FastStream Kafka subscriber on both topics, in its own consumer group, with manual
acknowledgement: each record is validated and applied once per event id (see projection.py), and
acknowledged only after that, so its offset is committed only when the effect is stored. A record
that fails for another reason (the disk is full, a bug) is not acknowledged: it is sought back and
delivered again. SIGINT or SIGTERM stops it cleanly. One JSON line per record on stdout.

Settings (environment): KAFKA_BOOTSTRAP_SERVERS (127.0.0.1:9092), KAFKA_TOPIC_PREFIX (empty),
SUBSCRIBER_GROUP (example.faststream), SUBSCRIBER_DB (faststream-subscriber.db).
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass

from faststream import AckPolicy, FastStream
from faststream.kafka import KafkaBroker, Topic
from faststream.kafka.annotations import KafkaMessage
from projection import Projection, Record, report

from contracts import topics

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
            group=os.environ.get("SUBSCRIBER_GROUP", "example.faststream"),
            database=os.environ.get("SUBSCRIBER_DB", "faststream-subscriber.db"),
        )


def build(settings: Settings, projection: Projection) -> FastStream:
    """Wire the broker, the subscriber and the application."""
    logger = logging.getLogger("faststream_subscriber")  # warnings and errors (see main)
    broker = KafkaBroker(settings.bootstrap_servers, logger=logger)
    names = [settings.topic_prefix + topic for topic in (topics.DEPUTIES, topics.CASES)]

    @broker.subscriber(
        *(Topic(name, declare=False) for name in names),  # the platform owns its topics
        group_id=settings.group,
        auto_offset_reset="earliest",  # a new group reads the topics from their beginning
        ack_policy=AckPolicy.MANUAL,
    )
    async def on_event(message: KafkaMessage) -> None:
        record = message.raw_message
        assert not isinstance(record, tuple)  # one record per call (not a batch subscriber)
        try:
            result = projection.handle(message.body)
        except Exception:  # not the record's fault (invalid records are results): try it again
            await asyncio.sleep(RETRY_SECONDS)
            await message.nack()  # seeks back to this record: it is delivered again
            raise  # FastStream logs it
        report(Record(record.topic, record.partition, record.offset), result, client="faststream")
        await message.ack()  # commits this record's offset (+1): after the effect is stored

    return FastStream(broker, logger=logger)


async def main() -> None:
    """Run until SIGINT or SIGTERM."""
    settings = Settings.from_env()
    projection = Projection(settings.database)
    try:
        await build(settings, projection).run()
    finally:
        projection.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main())
