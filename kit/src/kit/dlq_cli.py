"""`kit-dlq`: list dead letters and replay them to the topic they came from."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from kit.broker import topic_partitions
from kit.dead_letter import DLQ_HEADERS, HEADER_TOPIC

REPLAYED_FROM = "dlq_replayed_from"


def _headers(record: ConsumerRecord[bytes, bytes]) -> dict[str, str]:
    return {k: v.decode("utf-8", "replace") for k, v in record.headers}


async def _read_all(
    servers: str, topic: str, group: str | None
) -> tuple[AIOKafkaConsumer, list[ConsumerRecord[bytes, bytes]]]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=servers,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    tps = [TopicPartition(topic, p) for p in await topic_partitions(servers, topic, wait=2.0)]
    consumer.assign(tps)
    ends = await consumer.end_offsets(tps) if tps else {}
    records: list[ConsumerRecord[bytes, bytes]] = []
    for tp in tps:
        if group is None:
            consumer.seek(tp, 0)
        while await consumer.position(tp) < ends[tp]:
            batch = await consumer.getmany(tp, timeout_ms=1000)
            records.extend(batch.get(tp, []))
    return consumer, records


async def list_dead_letters(servers: str, topic: str, limit: int) -> int:
    """Print one line per dead letter: where it came from, why, and which event."""
    consumer, records = await _read_all(servers, topic, None)
    await consumer.stop()
    for record in records[-limit:]:
        h = _headers(record)
        print(
            f"{record.partition}:{record.offset}  {h.get('dlq_reason', '?'):<17} "
            f"{h.get('ce_type', '?')}  id={h.get('ce_id', '?')}  key={(record.key or b'').decode()}  "
            f"from={h.get(HEADER_TOPIC, '?')}[{h.get('dlq_original_partition', '?')}]@"
            f"{h.get('dlq_original_offset', '?')}  attempts={h.get('dlq_attempts', '?')}  "
            f"first={h.get('dlq_first_failure_time', '?')}\n    {h.get('dlq_error', '')}"
        )
    print(f"{len(records)} dead letter(s) in {topic}", file=sys.stderr)
    return 0


async def replay(servers: str, topic: str, event_ids: Sequence[str]) -> int:
    """Republish dead letters not replayed before to their original topic; consumers' inboxes dedupe."""
    group = f"{topic}.replayer"
    consumer, records = await _read_all(servers, topic, group)
    producer = AIOKafkaProducer(bootstrap_servers=servers, enable_idempotence=True)
    await producer.start()
    replayed = 0
    try:
        for record in records:
            h = _headers(record)
            if event_ids and h.get("ce_id") not in event_ids:
                continue
            original = h.get(HEADER_TOPIC)
            if not original:
                print(f"skipped {record.partition}:{record.offset}: no original topic header")
                continue
            headers = [(k, v.encode()) for k, v in h.items() if k not in DLQ_HEADERS]
            headers.append((REPLAYED_FROM, f"{topic}:{record.partition}:{record.offset}".encode()))
            await producer.send_and_wait(original, record.value, key=record.key, headers=headers)
            replayed += 1
            print(f"replayed {h.get('ce_type', '?')} id={h.get('ce_id', '?')} -> {original}")
        if records and not event_ids:
            last: dict[TopicPartition, int] = {}
            for record in records:
                last[TopicPartition(record.topic, record.partition)] = record.offset + 1
            await consumer.commit(last)
    finally:
        await producer.stop()
        await consumer.stop()
    print(f"{replayed} dead letter(s) replayed from {topic}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `kit-dlq`."""
    parser = argparse.ArgumentParser(prog="kit-dlq", description=__doc__)
    parser.add_argument(
        "--bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    )
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("list", help="print the dead letters of a topic")
    show.add_argument("--topic", required=True, help="e.g. cases.events.dlq.scoring.points")
    show.add_argument("--limit", type=int, default=100)
    again = sub.add_parser("replay", help="republish dead letters to their original topic")
    again.add_argument("--topic", required=True)
    again.add_argument("--event-id", action="append", default=[], help="only these events")
    args = parser.parse_args(argv)
    if args.command == "list":
        return asyncio.run(list_dead_letters(args.bootstrap_servers, args.topic, args.limit))
    return asyncio.run(replay(args.bootstrap_servers, args.topic, args.event_id))


if __name__ == "__main__":
    raise SystemExit(main())
