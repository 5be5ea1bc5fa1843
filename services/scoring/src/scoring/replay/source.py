"""Read both topics from the beginning up to fixed offsets, merged into one stream in event order.

Each partition is read in offset order (the order per key); partitions are merged by the
envelope's ``time`` (then topic, partition, offset), so two replays of the same log apply the
same events in the same order. Records of types scoring does not read are skipped unparsed, by
their ``ce_type`` header. Memory stays bounded: a partition whose buffer is full is paused.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import ValidationError

from contracts import topics
from contracts.catalog import parse
from contracts.envelope import HEADER_TYPE, RawEnvelope
from kit.broker import topic_partitions
from scoring.domain import facts as f
from scoring.domain.translate import READ_TYPES, fact_of

log = logging.getLogger(__name__)

HIGH_WATER = 200
"""Records buffered per partition before its fetching is paused (parsed: 500 held ~30 MB more
at 12 partitions)."""
BATCH = 5000
"""Records taken from the consumer's fetched data at a time."""
FETCH_BYTES = 256 * 1024
"""The most a fetch brings per partition: the fold, not the broker, sets the pace, and what is
fetched waits in memory (a partition ahead in event time waits for the others). ~250 records of
~1 KB, more than ``HIGH_WATER``."""
FETCH_MAX_BYTES = 4 * 1024 * 1024
"""The most one fetch response brings: it is read whole into the connection's buffer and copied
once (a 16 MB response held ~40 MB at once; the fold reads ~4,000 records a CPU second)."""


class ReplayStalledError(Exception):
    """The topics gave no record for too long before the replay's stop offsets."""


@dataclass(frozen=True)
class Plan:
    """The partitions read, where the replay stops in each, and the group's offsets at start."""

    ends: dict[TopicPartition, int]
    committed: dict[TopicPartition, int]

    @property
    def total(self) -> int:
        """Return how many records the replay reads (up to the stop offsets)."""
        return sum(self.ends.values())


@dataclass
class Read:
    """Counts of what was read, per partition and in total (the progress output reads these)."""

    positions: dict[TopicPartition, int] = field(default_factory=dict)
    records: int = 0
    skipped: int = 0
    invalid: int = 0


async def partitions(servers: str, prefix: str) -> list[TopicPartition]:
    """Return the partitions of the two topics scoring reads."""
    return [
        TopicPartition(prefix + topic, p)
        for topic in (topics.DEPUTIES, topics.CASES)
        for p in await topic_partitions(servers, prefix + topic, wait=0)
    ]


async def group_state(servers: str, group_id: str) -> tuple[str, int]:
    """Return a consumer group's state (``Empty``, ``Stable``, …) and how many members it has."""
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    try:
        for response in await admin.describe_consumer_groups([group_id]):
            for group in response.groups:
                _error, name, state, _protocol_type, _protocol, members, *_ = group
                if name == group_id:
                    return str(state), len(members)
        return "Dead", 0
    finally:
        await admin.close()


async def committed_offsets(
    servers: str, group_id: str, parts: Iterable[TopicPartition]
) -> dict[TopicPartition, int]:
    """Return a group's committed offset per partition (0 where it has none)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    try:
        found = await admin.list_consumer_group_offsets(group_id, partitions=list(parts))
    finally:
        await admin.close()
    return {tp: max(0, found[tp].offset) if tp in found else 0 for tp in parts}


async def end_offsets(servers: str, parts: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
    """Return the end offset of each partition now."""
    consumer = AIOKafkaConsumer(bootstrap_servers=servers, enable_auto_commit=False)
    await consumer.start()
    try:
        return dict(await consumer.end_offsets(list(parts)))
    finally:
        await consumer.stop()


async def commit(servers: str, group_id: str, offsets: Mapping[TopicPartition, int]) -> None:
    """Commit offsets for a group from outside it (the broker refuses while it has members)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=servers, group_id=group_id, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit(dict(offsets))
    finally:
        await consumer.stop()


def _header(headers: Iterable[tuple[str, bytes]], name: str) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode()
    return None


class Source:
    """The records of the plan's partitions, merged in event order (``async for`` over
    ``batches``)."""

    def __init__(
        self, servers: str, plan: Plan, *, batch: int = BATCH, stall_seconds: float = 120.0
    ) -> None:
        self.servers = servers
        self.plan = plan
        self.batch = batch
        self.stall_seconds = stall_seconds
        self._moved = time.monotonic()
        self.read = Read(positions=dict.fromkeys(plan.ends, 0))
        self._order = {tp: i for i, tp in enumerate(sorted(plan.ends))}

    def _parse(
        self, value: bytes | None, headers: Iterable[tuple[str, bytes]]
    ) -> tuple[RawEnvelope, f.Fact] | None:
        """Return the envelope and fact of a record scoring reads; None for other types or bad ones.

        Validated once, as the consumer does: the envelope from the JSON, then its payload.
        """
        kind = _header(headers, HEADER_TYPE)
        if kind is not None and kind not in READ_TYPES:
            self.read.skipped += 1
            return None
        try:
            envelope = parse(value or b"")
            if envelope.type not in READ_TYPES:
                self.read.skipped += 1
                return None
            fact = fact_of(envelope)
        except (ValidationError, ValueError, LookupError):
            self.read.invalid += 1  # the consumer dead-letters it; the replay counts and skips it
            return None
        if fact is None:
            self.read.skipped += 1
            return None
        return envelope, fact

    async def batches(self) -> AsyncIterator[list[tuple[RawEnvelope, f.Fact]]]:
        """Yield the envelopes scoring reads, in event order, up to the plan's stop offsets: in
        runs that need no fetch (a run ends where a partition's buffer runs out), so the caller
        loops over each without a switch per record."""
        wanted = {tp: end for tp, end in self.plan.ends.items() if end > 0}
        if not wanted:
            return
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.servers,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=FETCH_BYTES,
            fetch_max_bytes=FETCH_MAX_BYTES,
        )
        await consumer.start()
        try:
            consumer.assign(list(wanted))
            await consumer.seek_to_beginning(*wanted)
            buffers: dict[
                TopicPartition, deque[tuple[datetime, int, tuple[RawEnvelope, f.Fact]]]
            ] = {tp: deque() for tp in wanted}
            done: set[TopicPartition] = set()
            heap: list[tuple[datetime, int, int, TopicPartition]] = []
            queued: set[TopicPartition] = set()
            order = self._order
            run: list[tuple[RawEnvelope, f.Fact]] = []
            fill = True  # a partition not done may have no head in the heap
            while len(done) < len(wanted) or heap:
                if fill:
                    if run:
                        yield run
                        run = []
                    # Fill until every partition not finished has a head in the heap.
                    while len(done | queued) < len(wanted):  # a partition not done has no head
                        await self._fetch(consumer, wanted, buffers, done)
                        for tp, buffer in buffers.items():
                            if tp not in queued and buffer:
                                stamp, offset, _ = buffer[0]
                                heapq.heappush(heap, (stamp, order[tp], offset, tp))
                                queued.add(tp)
                    fill = False
                if not heap:
                    break
                _, _, _, tp = heapq.heappop(heap)
                buffer = buffers[tp]
                _, _, item = buffer.popleft()
                if buffer:
                    stamp, offset, _ = buffer[0]
                    heapq.heappush(heap, (stamp, order[tp], offset, tp))
                else:  # its head is gone: only its next fetch gives it one
                    queued.discard(tp)
                    if tp not in done:
                        consumer.resume(tp)
                        fill = True
                run.append(item)
            if run:
                yield run
        finally:
            await consumer.stop()

    async def _fetch(
        self,
        consumer: AIOKafkaConsumer,
        wanted: dict[TopicPartition, int],
        buffers: dict[TopicPartition, deque[tuple[datetime, int, tuple[RawEnvelope, f.Fact]]]],
        done: set[TopicPartition],
    ) -> None:
        """Fetch once; buffer the parsed envelopes below each partition's stop offset."""
        for tp, buffer in buffers.items():
            if len(buffer) < HIGH_WATER and tp not in done:
                consumer.resume(tp)
        fetched = await consumer.getmany(timeout_ms=1000, max_records=self.batch)
        if any(fetched.values()):
            self._moved = time.monotonic()
        elif time.monotonic() - self._moved > self.stall_seconds:
            raise ReplayStalledError(
                f"no record read for {self.stall_seconds:.0f} s before the stop offsets "
                "(is the broker reachable?): nothing was switched"
            )
        for tp, records in fetched.items():
            end = wanted[tp]
            buffer = buffers[tp]
            for record in records:
                if record.offset >= end:
                    break
                self.read.records += 1
                item = self._parse(record.value, record.headers)
                if item is not None:
                    buffer.append((item[0].time, record.offset, item))
            last = records[-1].offset if records else -1
            self.read.positions[tp] = min(end, max(self.read.positions[tp], last + 1))
            if self.read.positions[tp] >= end:
                done.add(tp)
                consumer.pause(tp)
            elif len(buffer) >= HIGH_WATER:
                consumer.pause(tp)
        for tp in wanted:  # an empty fetch of a partition at its end (compacted or skipped tail)
            if tp not in done and self.read.positions[tp] >= wanted[tp]:
                done.add(tp)
                consumer.pause(tp)
