"""The runner's acknowledgement commits exactly its batch, not every consumed position."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from faststream.kafka.message import KafkaAckableMessage

from kit.broker import ensure_topics
from kit.runner import BatchMessage
from kit.testing import bootstrap_servers, unique

pytestmark = pytest.mark.integration


def _message(
    cls: type[KafkaAckableMessage], records: tuple[object, ...], consumer: object
) -> KafkaAckableMessage:
    return cls(body=[], headers={}, batch_headers=[], raw_message=records, consumer=consumer)


@pytest.mark.parametrize(("cls", "committed"), [(BatchMessage, 2), (KafkaAckableMessage, 4)])
async def test_acknowledging_a_batch_commits_its_own_offsets_after_a_later_fetch(
    topic_prefix: str, cls: type[KafkaAckableMessage], committed: int
) -> None:
    """FastStream's ack commits the position (4) past the unprocessed second fetch; ours does not."""
    topic = topic_prefix + "ack.events"
    await ensure_topics(bootstrap_servers(), [topic], partitions=1)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers())
    await producer.start()
    try:
        for i in range(4):
            await producer.send_and_wait(topic, f"m{i}".encode(), partition=0)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers(),
        group_id=unique("ack-"),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        fetched: list[object] = []
        while len(fetched) < 4:
            for records in (await consumer.getmany(timeout_ms=1000, max_records=2)).values():
                fetched.extend(records)
        first = _message(cls, tuple(fetched[:2]), consumer)
        await first.ack()
        assert await consumer.committed(TopicPartition(topic, 0)) == committed
    finally:
        await consumer.stop()
