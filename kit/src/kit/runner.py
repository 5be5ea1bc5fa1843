"""Consumer runner on a FastStream batch subscriber: inbox-guarded effects, one commit, then the offsets.

Each subscription is a FastStream Kafka subscriber (``batch=True``, ``AckPolicy.MANUAL``, the kit's
prefixed group, ``auto_offset_reset="earliest"``); its one handler applies a fetched batch in one
transaction and then acknowledges it. The acknowledgement commits exactly that batch's offsets
through the subscriber's aiokafka consumer (``BatchMessage.ack``), not FastStream's ``commit()``
of every consumed position; a batch left unfinished (stop, unexpected error) is not acknowledged
and its partitions are rewound, so no later acknowledgement passes over it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from typing import Annotated, Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.message import FAKE_CONSUMER, KafkaAckableMessage
from faststream.kafka.schemas import Topic
from faststream.kafka.subscriber.usecase import BatchSubscriber
from faststream.message import AckStatus, StreamMessage
from opentelemetry.trace import SpanKind
from pydantic import BaseModel, ValidationError, WithJsonSchema
from pydantic.json_schema import models_json_schema

from contracts import envelope as ce
from contracts.catalog import (
    SPECS,
    WIRE_REQUIRED,
    EventSpec,
    UnknownEventType,
    UnknownEventVersion,
    parse,
    version_of,
)
from contracts.envelope import RawEnvelope
from contracts.topics import dead_letter
from kit import tracing
from kit.broker import Publisher, ensure_platform_topics, quiet_kafka_logs
from kit.dead_letter import Failure, describe, send_to_dead_letter, utcnow
from kit.inbox import Inbox
from kit.logging import correlation_id
from kit.metrics import KitMetrics
from kit.settings import ServiceSettings
from kit.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

FETCH_WAIT_MS = 10
"""FastStream's own batch loop: how long a fetch waits for records, and its pause after an empty
one (it sleeps the same again). Kept for reference; the runner replaces that loop's fetch with
``_poll`` (see ``ServiceSettings.consumer_poll_ms``), which never pauses."""


class PermanentError(Exception):
    """A failure that retrying cannot fix: the message goes to the dead letter at once."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One consumed event, validated against the contract, with where it came from."""

    envelope: RawEnvelope
    data: BaseModel
    topic: str
    partition: int
    offset: int


Handler = Callable[[Delivery, UnitOfWork], Awaitable[None]]
BatchHandler = Callable[[Sequence[Delivery], UnitOfWork], Awaitable[None]]
Upcaster = Callable[[Any], BaseModel]
"""Turns the payload model of one version into the model a subscription's handler takes."""
_Fetched = dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]


def as_parsed(data: BaseModel) -> BaseModel:
    """The upcaster of the version a handler's model is: the payload as validated."""
    return data


V1_ONLY: Mapping[int, Upcaster] = {1: as_parsed}


@dataclass(frozen=True)
class Subscription:
    """A consumer group, the topics it reads and a handler per event type (others are ignored).

    A batch handler gets each run of consecutive new events of its type in one call, so it can
    write their effects with one statement; a failing run is retried one event at a time. With
    ``runs_across_types`` a run is every consecutive new event whose type has the same batch
    handler (events seen before are skipped, not a break): a handler registered for all the
    types of a mixed stream gets each fetch's new events in one call, in order.

    ``versions`` says, per event type, which major versions the subscription reads and how each
    becomes the model its handler takes (``{1: as_parsed, 2: v2_to_mine}``); a type not listed
    is read in version 1 only. An event in a version the subscription does not read goes to the
    dead letter with reason ``unsupported_version`` (replay it after the upgrade). ``specs`` is
    the catalog to validate against (the platform's; tests bring their own versions).
    """

    group: str
    topics: tuple[str, ...]
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    batch_handlers: Mapping[str, BatchHandler] = field(default_factory=dict)
    runs_across_types: bool = False
    versions: Mapping[str, Mapping[int, Upcaster]] = field(default_factory=dict)
    specs: Mapping[tuple[str, int], EventSpec] = field(default_factory=lambda: SPECS)

    def handles(self, event_type: str) -> bool:
        """Tell whether this subscription has a handler for an event type."""
        return event_type in self.handlers or event_type in self.batch_handlers

    def reads(self, event_type: str) -> Mapping[int, Upcaster]:
        """Return the versions of a type this subscription reads, each with its upcaster."""
        return self.versions.get(event_type, V1_ONLY)


@dataclass(slots=True)
class _Item:
    """A record accepted for its handler; its headers are decoded only to dead-letter it."""

    record: ConsumerRecord[bytes, bytes]
    delivery: Delivery
    event_id: str
    event_type: str

    @property
    def headers(self) -> Mapping[str, str]:
        """The record's headers as text (checked to decode when it was accepted)."""
        return _decoded(self.record) or {}


@dataclass(frozen=True, slots=True)
class _Reader:
    """How a subscription reads one event type: per major version, its payload validator
    (the contract model's, bound once) and its upcaster."""

    event_type: str
    versions: Mapping[int, tuple[Callable[[Any], BaseModel], Upcaster]]


@dataclass(slots=True)
class _Rejected:
    """A record refused before any transaction: it goes to the dead letter when its batch is applied."""

    record: ConsumerRecord[bytes, bytes]
    headers: Mapping[str, str]
    reason: str
    error: Exception


class BatchMessage(KafkaAckableMessage):
    """A fetched batch whose ``ack`` commits exactly its own offsets, whose ``nack`` rewinds them.

    FastStream's ``ack`` commits the consumed position of every assigned partition; this one
    commits ``last offset + 1`` of each partition in the batch that the consumer still owns, so
    it never passes a message that is not in the batch, whatever was fetched meanwhile. On
    FastStream's in-memory broker (no aiokafka consumer) there are no offsets to commit.
    """

    async def ack(self) -> None:
        """Commit this batch's offsets (partitions lost to a rebalance are left to their owner)."""
        consumer = self.consumer
        if not self.committed and isinstance(consumer, AIOKafkaConsumer):
            owned = consumer.assignment()
            offsets = {tp: o for tp, o in batch_offsets(self.raw_message).items() if tp in owned}
            if offsets:
                await consumer.commit(offsets)
        await StreamMessage.ack(self)

    async def nack(self) -> None:
        """Seek each owned partition of the batch back to its first record: it is read again."""
        await self.rewind()

    async def rewind(self, earlier: Mapping[TopicPartition, int] | None = None) -> None:
        """Seek the batch's owned partitions back to their first record, and the partitions of
        ``earlier`` (an unfinished batch before it, records read after it) to theirs: a partition
        goes back to the earliest of its offsets. A batch rewound once may be rewound again (its
        partitions read meanwhile go back too); an acknowledged one never."""
        consumer = self.consumer
        if self.committed is not AckStatus.ACKED and isinstance(consumer, AIOKafkaConsumer):
            owned = consumer.assignment()
            for tp, offset in earliest(batch_starts(self.raw_message), earlier or {}).items():
                if tp in owned:
                    consumer.seek(tp, offset)
        await StreamMessage.nack(self)


def batch_offsets(records: Sequence[ConsumerRecord[bytes, bytes]]) -> dict[TopicPartition, int]:
    """Return the offset to commit per partition: one past its last record in the batch."""
    last = {(r.topic, r.partition): r.offset for r in records}
    return {TopicPartition(t, p): offset + 1 for (t, p), offset in last.items()}


def batch_starts(records: Sequence[ConsumerRecord[bytes, bytes]]) -> dict[TopicPartition, int]:
    """Return the first offset of each partition in the batch."""
    first = {(r.topic, r.partition): r.offset for r in reversed(records)}
    return {TopicPartition(t, p): offset for (t, p), offset in first.items()}


def earliest(*starts: Mapping[TopicPartition, int]) -> dict[TopicPartition, int]:
    """Return, for every partition named in any of ``starts``, its smallest offset."""
    merged: dict[TopicPartition, int] = {}
    for each in starts:
        for tp, offset in each.items():
            merged[tp] = min(offset, merged.get(tp, offset))
    return merged


def set_prefetch_backoff(consumer: AIOKafkaConsumer, seconds: float) -> bool:
    """Set how long aiokafka's fetcher holds back a broker's other partitions while one
    partition's fetched records wait to be consumed (its ``prefetch_backoff``, 0.1 s, which
    ``AIOKafkaConsumer`` does not expose); return False when this aiokafka has no such knob.

    The fetcher exists once the consumer has started; the attribute is read whenever a fetch
    result is buffered, so setting it then applies to every later fetch.
    ``kit/tests/integration/test_read_ahead.py`` fails if aiokafka renames it.
    """
    fetcher = getattr(consumer, "_fetcher", None)
    if fetcher is None or not hasattr(fetcher, "_prefetch_backoff"):
        return False
    fetcher._prefetch_backoff = seconds
    return True


def _inlined(schema: Any, defs: Mapping[str, Any]) -> Any:
    """Return a JSON Schema with its local ``$ref``s replaced by their definitions."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inlined(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inlined(v, defs) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_inlined(v, defs) for v in schema]
    return schema


def _decoded(record: ConsumerRecord[bytes, bytes]) -> dict[str, str] | None:
    """Return a record's headers as text, or None when one is not UTF-8 (or has no value)."""
    try:
        return {k: v.decode("utf-8") for k, v in record.headers}
    except (UnicodeDecodeError, AttributeError):
        return None


def _failed(task: asyncio.Task[Any]) -> bool:
    """Tell whether a finished task was cancelled or raised."""
    return task.cancelled() or task.exception() is not None


def _nothing() -> None:
    """Do nothing (a listener without a hook)."""


@dataclass
class _Assigned(ConsumerRebalanceListener):  # type: ignore[misc]
    event: asyncio.Event = field(default_factory=asyncio.Event)
    revoked: Callable[[], None] = _nothing

    async def on_partitions_revoked(self, revoked: Any) -> None:
        self.event.clear()
        self.revoked()

    async def on_partitions_assigned(self, assigned: Any) -> None:
        self.event.set()


class _ItemFailedError(Exception):
    """A handler failed on the run of ``length`` items from ``index`` of the batch applied."""

    def __init__(self, index: int, error: Exception, length: int = 1) -> None:
        super().__init__(str(error))
        self.index = index
        self.error = error
        self.length = length


class _StopRequestedError(Exception):
    """Raised to leave a batch unfinished (offsets uncommitted) when the service stops."""


class ConsumerRunner:
    """Runs one subscription: at-least-once delivery, exactly-once effects through the inbox."""

    def __init__(
        self,
        *,
        subscription: Subscription,
        settings: ServiceSettings,
        uow_factory: UnitOfWorkFactory,
        inbox: Inbox,
        publisher: Publisher,
        metrics: KitMetrics,
        broker: KafkaBroker,
    ) -> None:
        self.subscription = subscription
        self.settings = settings
        self.uow_factory = uow_factory
        self.inbox = inbox
        self.publisher = publisher
        self.metrics = metrics
        self.assigned = _Assigned(revoked=self._forget_ahead)
        self._service = settings.service_name
        self._group = subscription.group
        self._failures = 0
        self._stop = asyncio.Event()
        self._inflight: asyncio.Task[tuple[bool, BatchMessage]] | None = None
        self._ahead: list[ConsumerRecord[bytes, bytes]] = []
        """Records read while a batch was applied: the start of the next batch."""
        self._reading: asyncio.Task[_Fetched] | None = None
        self._acking: asyncio.Task[None] | None = None
        self._versions: dict[tuple[str, str], int] = {}
        self._readers = self._bind_readers()
        self._ok = metrics.consumer_processed.labels(self._service, self._group, "ok")
        self._ignored = metrics.consumer_processed.labels(self._service, self._group, "ignored")
        self._duplicates = metrics.consumer_processed.labels(
            self._service, self._group, "duplicate"
        )
        self._handle_seconds = metrics.consumer_handle_seconds.labels(self._service, self._group)
        self.subscriber = self._declare(broker)

    def _bind_readers(self) -> dict[bytes, _Reader]:
        """Bind each handled type's validators and upcasters once, keyed by the type's header
        bytes (the record's ``ce_type`` picks its reader without decoding)."""
        readers: dict[bytes, _Reader] = {}
        for event_type in {*self.subscription.handlers, *self.subscription.batch_handlers}:
            versions = {
                version: (
                    self.subscription.specs[event_type, version].model.model_validate,
                    upcaster,
                )
                for version, upcaster in self.subscription.reads(event_type).items()
                if (event_type, version) in self.subscription.specs
            }
            readers[event_type.encode("utf-8")] = _Reader(event_type, versions)
        return readers

    @property
    def topics(self) -> list[str]:
        """The prefixed topics this subscription reads."""
        return [self.settings.kafka_topic_prefix + t for t in self.subscription.topics]

    def _declare(self, broker: KafkaBroker) -> BatchSubscriber:
        """Declare the FastStream subscriber (started by ``run``); its handler is the runner."""
        subscriber = broker.subscriber(
            *(Topic(t, declare=False) for t in self.topics),  # the kit creates them with configs
            group_id=self.settings.consumer_group_id(self._group),
            batch=True,
            max_records=self.settings.consumer_max_records,
            batch_timeout_ms=self.settings.consumer_poll_ms,
            session_timeout_ms=self.settings.consumer_session_timeout_ms,
            heartbeat_interval_ms=self.settings.consumer_heartbeat_interval_ms,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.MANUAL,
            listener=self.assigned,
            parser=self._parse,
            decoder=self._decode,
            title=self._group,
            description=(
                f"Consumer group {self._group}: CloudEvents 1.0 envelopes (structured mode) of "
                f"{', '.join(sorted({*self.subscription.handlers, *self.subscription.batch_handlers}))}; "
                "others are ignored. One transaction per batch with the inbox, offsets after."
            ),
        )

        async def consume(batch: Any) -> None:
            await self._consume(batch)

        consume.__annotations__ = {
            "batch": Annotated[Any, WithJsonSchema(self._payload_schema())],
            "return": None,
        }
        consume.__name__ = consume.__qualname__ = "consume_" + self._group.replace(".", "_")
        subscriber(consume)
        subscriber.get_msg = self._poll  # type: ignore[method-assign]
        return subscriber

    async def _poll(self, consumer: AIOKafkaConsumer) -> tuple[ConsumerRecord[bytes, bytes], ...]:
        """FastStream's batch fetch without its pause after an empty fetch.

        ``getmany`` returns as soon as the fetcher holds records (it never waits to fill a
        batch), so the wait only bounds an idle poll; FastStream's own ``get_msg`` then sleeps
        as long again, and a record arriving in that sleep waited for it (up to 10 ms).

        What was read while the last batch was applied (``_read_while``) comes first, whole:
        the next batch is everything that arrived until then. A read still under way is
        awaited (never a second ``getmany`` beside it); an empty return makes FastStream poll
        again.
        """
        reading = self._reading
        if reading is not None:
            if not self._ahead and not reading.done():
                await asyncio.wait((reading,), timeout=self.settings.consumer_poll_ms / 1000)
            self._fold()  # raises what the read raised (FastStream's loop handles it)
        if self._ahead or self._reading is not None:
            ahead, self._ahead = self._ahead, []
            return tuple(ahead)
        fetched = await consumer.getmany(
            timeout_ms=self.settings.consumer_poll_ms,
            max_records=self.settings.consumer_max_records,
        )
        return tuple(chain.from_iterable(fetched.values()))

    def _fold(self) -> None:
        """Move a finished read's records to the end of ``_ahead`` (raising what it raised)."""
        reading = self._reading
        if reading is not None and reading.done():
            self._reading = None
            for records in reading.result().values():
                self._ahead.extend(records)

    def _ahead_starts(self) -> dict[TopicPartition, int]:
        """Drop the records read ahead (a finished read's too) and return where each of their
        partitions starts: a batch being rewound takes them back with it."""
        with contextlib.suppress(Exception):  # a failed read: nothing was consumed
            self._fold()
        ahead, self._ahead = self._ahead, []
        return batch_starts(ahead)

    def _forget_ahead(self) -> None:
        """Drop the records read ahead when partitions are revoked: the next assignment
        starts each partition at its committed offset."""
        self._ahead = []
        reading = self._reading
        if reading is not None and reading.done() and not _failed(reading):
            self._reading = None  # a failed read stays for ``_poll`` to raise

    async def _read_while(
        self, applying: asyncio.Task[tuple[bool, BatchMessage]], consumer: AIOKafkaConsumer
    ) -> tuple[bool, BatchMessage]:
        """Await a batch being applied while reading what arrives meanwhile into ``_ahead``.

        aiokafka holds one fetched result per partition until it is consumed, and while one
        is held it does not fetch the other partitions of that broker for ``prefetch_backoff``;
        read here, every result is consumed as it comes, so the fetcher keeps fetching and the
        next batch holds everything that arrived while this one was applied (up to
        ``consumer_max_records``). Reading only moves the fetch positions: nothing is applied
        or committed before this batch is done, and should it be rewound, what was read after
        it goes back too (``_ahead_starts``).
        """
        try:
            while not applying.done():
                reading = self._reading
                if reading is None:
                    room = self.settings.consumer_max_records - len(self._ahead)
                    if room <= 0:
                        break
                    reading = self._reading = asyncio.create_task(
                        consumer.getmany(
                            timeout_ms=self.settings.consumer_poll_ms, max_records=room
                        )
                    )
                elif reading.done():
                    if _failed(reading):
                        break  # ``_poll`` raises it once the batch is done
                    self._fold()
                    continue
                await asyncio.wait((applying, reading), return_when=asyncio.FIRST_COMPLETED)
            return await applying
        except BaseException:
            applying.cancel()
            raise

    def _payload_schema(self) -> dict[str, Any]:
        """Return the JSON Schema of a batch: the contract models of the types and versions read."""
        read = [
            (event_type, version)
            for event_type in sorted(
                {*self.subscription.handlers, *self.subscription.batch_handlers}
            )
            for version in sorted(self.subscription.reads(event_type))
            if (event_type, version) in self.subscription.specs
        ]
        models = [self.subscription.specs[key].model for key in read]
        refs, top = models_json_schema([(m, "validation") for m in models])
        defs = top.get("$defs", {})
        items = [
            {**_inlined(refs[(m, "validation")], defs), "title": f"{event_type} v{version}"}
            for (event_type, version), m in zip(read, models, strict=True)
        ]
        return {"type": "array", "items": {"oneOf": items}}

    async def _parse(self, records: tuple[ConsumerRecord[bytes, bytes], ...]) -> BatchMessage:
        """Wrap a fetch without decoding bodies or headers (the runner reads each record once);
        the first record's headers name the batch for FastStream's logging. With tracing on,
        every record's headers are decoded for FastStream's batch span (its links to them)."""
        first = (_decoded(records[0]) or {}) if records else {}
        linked = [_decoded(r) or {} for r in records] if tracing.enabled() else []
        return BatchMessage(
            body=[r.value or b"" for r in records],
            headers=first,
            batch_headers=linked,
            reply_to="",
            content_type=first.get(ce.HEADER_CONTENT_TYPE),
            message_id=f"{records[0].offset}-{records[-1].offset}-{records[0].timestamp}",
            correlation_id=first.get(ce.HEADER_CORRELATION),
            raw_message=records,
            consumer=self.subscriber.consumer or FAKE_CONSUMER,  # in-memory: TestKafkaBroker
        )

    async def _decode(self, message: StreamMessage[Any]) -> Any:
        """Hand the handler the message itself: records, decoded headers, acknowledgement."""
        return message

    async def run(self, stop: asyncio.Event) -> None:
        """Start the subscriber, measure lag every second until ``stop``, then stop it gracefully."""
        quiet_kafka_logs()
        self._stop = stop
        while not stop.is_set():
            try:
                await ensure_platform_topics(
                    self.settings,
                    [*self.topics, *(dead_letter(t, self._group) for t in self.topics)],
                )
                await self.subscriber.start()
                self._tune(self.subscriber.consumer)
                break
            except Exception as error:
                with contextlib.suppress(Exception):
                    await self.subscriber.stop()
                self._failures += 1
                log.log(
                    logging.WARNING if self._failures == 1 else logging.DEBUG,
                    "consumer %s cannot consume (%s); restarting in 1 s",
                    self._group,
                    describe(error),
                )
                await self._wait(1.0)
        if stop.is_set():
            return
        if self._failures:
            log.warning(
                "consumer %s consumes again after %d failed start(s)", self._group, self._failures
            )
            self._failures = 0
        try:
            while not stop.is_set():
                await self._wait(1.0)
                with contextlib.suppress(Exception):
                    await self._measure_lag()
        finally:
            self.assigned.event.clear()
            await self._drain()  # the batch being applied finishes (or rewinds) first
            with contextlib.suppress(Exception):
                await self.subscriber.stop()  # waits for the batch in hand (graceful_timeout)
            await self._drain()
            reading, self._reading, self._ahead = self._reading, None, []
            if reading is not None:  # read ahead, never applied: the next owner reads it
                reading.cancel()
                await asyncio.gather(reading, return_exceptions=True)

    def _tune(self, consumer: AIOKafkaConsumer | None) -> None:
        """Set the fetcher's prefetch backoff (``consumer_prefetch_backoff_ms``)."""
        if consumer is None:
            return
        seconds = self.settings.consumer_prefetch_backoff_ms / 1000
        if not set_prefetch_backoff(consumer, seconds):
            log.error("consumer %s: this aiokafka has no prefetch backoff to set", self._group)

    async def _wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stop.wait()

    async def _consume(self, message: BatchMessage) -> None:
        """The subscriber's handler: validate a fetched batch, then apply and acknowledge it.

        The batch is validated (no I/O) while the previous batch's transaction and offset commit
        still run; it is applied only once that batch is done, so batches take effect and commit
        their offsets one after the other, in fetch order. With ``consumer_overlap`` on a real
        consumer, for a batch of ``consumer_overlap_min_records`` or more, the handler returns
        once this batch's work has begun, and FastStream fetches the next batch meanwhile;
        should this batch fail, the next one is rewound unapplied.
        """
        message.clear_cache()  # FastStream cached the message as its own decoded body: a cycle
        if self._stop.is_set():
            await message.rewind(self._ahead_starts())
            return
        started = time.perf_counter()
        records: tuple[ConsumerRecord[bytes, bytes], ...] = message.raw_message
        unexpected: Exception | None = None
        try:
            accept = self._accept
            accepted = [checked for record in records if (checked := accept(record)) is not None]
        except Exception as error:  # an upcaster's bug, say: the batch is read again
            accepted, unexpected = [], error
        validating = time.perf_counter() - started  # not the wait for the batch in flight
        previous = self._inflight
        if previous is not None:
            done, before = await previous
            if self._inflight is previous:
                self._inflight = None
            if not done:  # rewound: this batch comes again after it
                await message.rewind(
                    earliest(batch_starts(before.raw_message), self._ahead_starts())
                )
                return
        if unexpected is not None:
            log.error(
                "consumer %s cannot validate a batch (%s); rewinding",
                self._group,
                describe(unexpected),
            )
            await message.rewind(self._ahead_starts())
            await self._wait(1.0)
            return
        if self._stop.is_set():
            await message.rewind(self._ahead_starts())
            return
        work = self._finish(message, accepted, validating)
        consumer = message.consumer
        if not isinstance(consumer, AIOKafkaConsumer):  # FastStream's in-memory broker: the
            await work  # effect is there when publish returns
        elif self._overlaps(records):
            self._inflight = asyncio.create_task(work)
        elif self.settings.consumer_read_ahead:
            done, _ = await self._read_while(asyncio.create_task(work), consumer)
            if not done:  # rewound: what was read after it goes back too
                await message.rewind(self._ahead_starts())
        else:
            await work

    def _overlaps(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> bool:
        """Tell whether a batch is applied while the next one is fetched (a backlog's batch).

        Overlapping a small batch costs latency: the next fetch, made as it starts, takes only
        what arrived so far, and what arrives while it runs waits for that next batch too. Done
        first, it lets the next fetch take everything that arrived meanwhile.
        """
        settings = self.settings
        return settings.consumer_overlap and len(records) >= settings.consumer_overlap_min_records

    async def _finish(
        self, message: BatchMessage, accepted: Sequence[_Item | _Rejected], validating: float
    ) -> tuple[bool, BatchMessage]:
        """Dead-letter the refused records, apply the rest in one transaction, then commit the
        batch's offsets; return whether it was acknowledged (else it was rewound)."""
        started = time.perf_counter()
        try:
            items: list[_Item] = []
            for checked in accepted:
                if isinstance(checked, _Rejected):
                    await self._dead_letter(
                        checked.record, checked.headers, checked.reason, checked.error, 1, utcnow()
                    )
                else:
                    items.append(checked)
            await self._apply_all(items, self._stop)
        except _StopRequestedError:
            await message.nack()  # unfinished: the partition's next owner reads it again
            return False, message
        except Exception as error:  # not a handler's failure (those are settled): read it again
            log.error(
                "consumer %s cannot process a batch (%s); rewinding", self._group, describe(error)
            )
            await message.nack()
            await self._wait(1.0)
            return False, message
        acking = self._ack(message, self._acking, started - validating)
        if self.settings.consumer_commit_behind and isinstance(message.consumer, AIOKafkaConsumer):
            self._acking = asyncio.create_task(acking)  # the next batch is applied meanwhile
        else:
            await acking
        return True, message

    async def _ack(
        self, message: BatchMessage, previous: asyncio.Task[None] | None, since: float
    ) -> None:
        """Commit a batch's offsets (its transaction has committed) once the previous batch's
        commit is done, so a partition's committed offset only moves forward; observe the
        batch's duration (``since`` on the ``perf_counter`` clock, validation included)."""
        if previous is not None:
            with contextlib.suppress(Exception):
                await previous
        try:
            await message.ack()
        except (CommitFailedError, IllegalStateError):
            log.warning("offset commit lost to a rebalance; the inbox absorbs redelivery")
        except Exception as error:  # the effect is committed: a later commit or the inbox covers it
            log.warning("offset commit failed (%s); the inbox absorbs redelivery", describe(error))
        self._handle_seconds.observe(time.perf_counter() - since)

    async def _drain(self) -> None:
        """Wait for the batch whose transaction or offset commit is still running."""
        while (inflight := self._inflight) is not None:
            with contextlib.suppress(Exception):
                await inflight
            if self._inflight is inflight:
                self._inflight = None
        while (acking := self._acking) is not None:
            with contextlib.suppress(Exception):
                await acking
            if self._acking is acking:
                self._acking = None

    def _accept(self, record: ConsumerRecord[bytes, bytes]) -> _Item | _Rejected | None:
        """Validate a record (no I/O): an item to apply, a record to dead-letter, or None when
        its type is not this subscription's.

        The common case in one pass over the record: the ``ce_type`` header's bytes pick the
        type's reader, the header values are checked to be UTF-8 in one decode, the envelope is
        validated from the value's bytes and its payload by the model bound at wiring. Anything
        unusual (a missing, repeated or undecodable header, an invalid envelope or payload, a
        version not read, an upcaster's failure) goes to ``_check``, which gives the verdict
        and its reason as it always did.
        """
        raw = record.headers
        headers = dict(raw)
        event_type = headers.get(ce.HEADER_TYPE)
        event_id = headers.get(ce.HEADER_ID)
        if event_type is None or event_id is None or len(headers) != len(raw):
            return self._check(record)
        try:  # NUL-separated: a broken sequence at any value's end or start stays broken
            b"\x00".join(headers.values()).decode("utf-8")
        except (UnicodeDecodeError, TypeError):
            return self._check(record)
        reader = self._readers.get(event_type)
        if reader is None:
            self._ignored.inc()
            return None
        try:
            envelope = RawEnvelope.model_validate_json(record.value or b"")
            if not envelope.model_fields_set.issuperset(WIRE_REQUIRED):
                return self._check(record)
            key = (envelope.dataschema, envelope.type)
            version = self._versions.get(key)
            read = None if version is None else reader.versions.get(version)
            eid = event_id.decode("utf-8")
            if read is None or envelope.type != reader.event_type or str(envelope.id) != eid:
                return self._check(record)
            validate, upcast = read
            data = upcast(validate(envelope.data))
        except Exception:  # the verdict and its reason are _check's
            return self._check(record)
        delivery = Delivery(envelope, data, record.topic, record.partition, record.offset)
        return _Item(record, delivery, eid, reader.event_type)

    def _check(self, record: ConsumerRecord[bytes, bytes]) -> _Item | _Rejected | None:
        """Validate a record step by step, naming the reason it is refused (see ``_accept``)."""
        try:
            headers = {k: v.decode("utf-8") for k, v in record.headers}
        except UnicodeDecodeError as undecodable:
            return _Rejected(record, {}, "invalid_header", undecodable)
        except AttributeError:  # a header without a value
            return _Rejected(record, {}, "invalid_header", PermanentError("header without value"))
        event_id = headers.get(ce.HEADER_ID)
        event_type = headers.get(ce.HEADER_TYPE)
        if event_id is None or event_type is None:
            missing = [h for h in (ce.HEADER_ID, ce.HEADER_TYPE) if h not in headers]
            absent = PermanentError(f"missing header(s): {', '.join(missing)}")
            return _Rejected(record, headers, "missing_header", absent)
        if not self.subscription.handles(event_type):
            self._ignored.inc()
            return None
        try:
            envelope = parse(record.value or b"")
            if envelope.type != event_type or str(envelope.id) != event_id:
                raise PermanentError("ce_id/ce_type headers disagree with the envelope")
            version = self._version(envelope)
            readers = self.subscription.reads(event_type)
            if version not in readers:
                if (event_type, version) not in self.subscription.specs:
                    raise UnknownEventVersion(f"unknown version v{version} of {event_type}")
                unread = PermanentError(
                    f"{self._group} reads {event_type} in "
                    f"{', '.join(f'v{v}' for v in sorted(readers))}, not v{version}: "
                    "deploy the upgraded consumer, then replay"
                )
                return _Rejected(record, headers, "unsupported_version", unread)
            data = readers[version](self._data(envelope, version))
        except UnknownEventVersion as error:  # a newer producer: replay after the upgrade
            return _Rejected(record, headers, "unknown_version", error)
        except (ValidationError, ValueError, UnknownEventType, PermanentError) as error:
            return _Rejected(record, headers, "invalid_envelope", error)
        delivery = Delivery(envelope, data, record.topic, record.partition, record.offset)
        return _Item(record, delivery, event_id, event_type)

    def _version(self, envelope: RawEnvelope) -> int:
        """Return the major version the envelope's ``dataschema`` names (remembered per URI)."""
        key = (envelope.dataschema, envelope.type)
        version = self._versions.get(key)
        if version is None:
            version = version_of(envelope)
            if len(self._versions) < 1000:
                self._versions[key] = version
        return version

    def _data(self, envelope: RawEnvelope, version: int) -> BaseModel:
        """Validate the payload against its catalog model (one lookup, no scan of the catalog)."""
        spec = self.subscription.specs.get((envelope.type, version))
        if spec is None:
            if not any(t == envelope.type for t, _ in self.subscription.specs):
                raise UnknownEventType(f"unknown event type {envelope.type!r}")
            raise UnknownEventVersion(f"unknown version v{version} of {envelope.type!r}")
        return spec.model.model_validate(envelope.data)

    async def _apply_all(self, items: Sequence[_Item], stop: asyncio.Event) -> None:
        """Apply items in one transaction; a failing item is settled alone, the rest go on."""
        while items:
            try:
                await self._with_infrastructure_retry(self._apply, items, stop)
                return
            except _ItemFailedError as failed:
                k, n = failed.index, failed.length
                log.warning("event %s failed: %s", items[k].event_id, describe(failed.error))
                if k:
                    await self._apply_all(items[:k], stop)
                if n == 1:
                    await self._settle(items[k], failed.error, stop)
                else:  # a batch handler failed: find the culprit one event at a time
                    for single in items[k : k + n]:
                        await self._apply_all([single], stop)
                items = items[k + n :]

    async def _apply(self, items: Sequence[_Item]) -> None:
        """Apply a batch in one transaction; events already in the inbox are skipped.

        An event fetched twice in one batch (a redelivery) is applied at its first place only.
        """
        async with self.uow_factory() as uow:
            claims = [(item.event_id, item.event_type) for item in items]
            new = await self.inbox.claim(uow.session, self._group, claims)
            every = len(new) == len(items)  # as many new ids as items: each item is new
            fresh = [True] * len(items) if every else [False] * len(items)
            if not every:
                for i, item in enumerate(items):
                    if item.event_id in new:
                        fresh[i] = True
                        new.discard(item.event_id)
            start = 0
            while start < len(items):
                end = self._run_end(items, start, fresh)
                if fresh[start]:
                    run = (
                        items[start:end]
                        if every
                        else [items[i] for i in range(start, end) if fresh[i]]
                    )
                    try:
                        await self._call(run, uow)
                    except Exception as error:
                        raise _ItemFailedError(start, error, end - start) from error
                start = end
            await uow.commit()
        applied = sum(fresh)
        self._ok.inc(applied)
        if len(items) > applied:
            self._duplicates.inc(len(items) - applied)

    def _run_end(self, items: Sequence[_Item], start: int, fresh: Sequence[bool]) -> int:
        """Return the end of the run starting at ``start`` that one handler call takes."""
        kind = items[start].event_type
        handler = self.subscription.batch_handlers.get(kind)
        if not fresh[start] or handler is None:
            return start + 1
        across = self.subscription.runs_across_types
        end = start + 1
        while end < len(items):
            if not fresh[end]:
                if not across:
                    break
            elif across:
                if self.subscription.batch_handlers.get(items[end].event_type) is not handler:
                    break
            elif items[end].event_type != kind:
                break
            end += 1
        return end

    async def _settle(self, item: _Item, first_error: Exception, stop: asyncio.Event) -> None:
        """Retry one failed event in place with backoff; dead-letter it when permanent or exhausted."""
        error, attempt, first_failure = first_error, 1, utcnow()
        while not isinstance(error, PermanentError | ValidationError):
            if attempt >= self.settings.consumer_retry_attempts:
                await self._dead_letter(
                    item.record, item.headers, "retries_exhausted", error, attempt, first_failure
                )
                return
            await self._pause(attempt, stop)
            self._count("retried")
            attempt += 1
            try:
                await self._with_infrastructure_retry(self._apply, [item], stop)
                return
            except _ItemFailedError as failed:
                error = failed.error
                log.warning(
                    "event %s failed (attempt %d): %s", item.event_id, attempt, describe(error)
                )
        await self._dead_letter(
            item.record, item.headers, "rejected", error, attempt, first_failure
        )

    async def _with_infrastructure_retry(
        self,
        apply: Callable[[Sequence[_Item]], Awaitable[None]],
        items: Sequence[_Item],
        stop: asyncio.Event,
    ) -> None:
        """Retry while the database (not a handler) fails: nothing is dead-lettered for an outage."""
        attempt = 0
        while True:
            try:
                await apply(items)
                return
            except _ItemFailedError:
                raise
            except Exception as error:
                attempt += 1
                log.error(
                    "consumer %s cannot apply a batch (attempt %d); retrying: %s",
                    self._group,
                    attempt,
                    describe(error),
                )
                await self._pause(attempt, stop)

    async def _pause(self, attempt: int, stop: asyncio.Event) -> None:
        delay = min(
            self.settings.consumer_retry_backoff_seconds * 2 ** (attempt - 1),
            self.settings.consumer_retry_backoff_max_seconds,
        )
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await stop.wait()
        if stop.is_set():
            raise _StopRequestedError

    async def _call(self, run: Sequence[_Item], uow: UnitOfWork) -> None:
        first = run[0].delivery
        token = correlation_id.set(first.envelope.correlationid)
        links = [
            link
            for item in run[1:]
            if (link := tracing.link_to(item.delivery.envelope.traceparent))
        ]
        try:
            with tracing.tracer().start_as_current_span(
                f"{self._group} process {first.envelope.type}",
                context=tracing.context_of(first.envelope.traceparent),
                kind=SpanKind.CONSUMER,
                links=links,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.operation.type": "process",
                    "messaging.destination.name": first.topic,
                    "messaging.consumer.group.name": self._group,
                    "messaging.message.id": str(first.envelope.id),
                    "messaging.batch.message_count": len(run),
                    "correlation_id": first.envelope.correlationid,
                },
            ):
                batch = self.subscription.batch_handlers.get(first.envelope.type)
                if batch is not None:
                    await batch([item.delivery for item in run], uow)
                else:
                    await self.subscription.handlers[first.envelope.type](first, uow)
        finally:
            correlation_id.reset(token)

    async def _dead_letter(
        self,
        record: ConsumerRecord[bytes, bytes],
        headers: Mapping[str, str],
        reason: str,
        error: BaseException,
        attempts: int,
        first_failure: datetime,
    ) -> None:
        failure = Failure(
            reason=reason, error=error, attempts=attempts, first_failure=first_failure
        )
        delay = 0.5
        while True:
            try:
                target = await send_to_dead_letter(
                    self.publisher,
                    topic=record.topic,
                    partition=record.partition,
                    offset=record.offset,
                    key=record.key,
                    value=record.value,
                    headers=headers,
                    group=self._group,
                    failure=failure,
                )
                break
            except Exception:  # the offset must not pass a message that is nowhere
                log.exception("dead letter publish failed; retrying in %.1f s", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
        log.error(
            "dead-lettered %s[%d]@%d to %s: %s: %s",
            record.topic,
            record.partition,
            record.offset,
            target,
            reason,
            describe(error),
        )
        self.metrics.dead_letters.labels(self._service, self._group, record.topic, reason).inc()
        self._count("dead_lettered")

    def _count(self, outcome: str, n: int = 1) -> None:
        self.metrics.consumer_processed.labels(self._service, self._group, outcome).inc(n)

    async def _measure_lag(self) -> None:
        consumer = self.subscriber.consumer
        if consumer is None:
            return
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is None:
                continue
            position = await consumer.position(tp)
            self.metrics.consumer_lag.labels(
                self._service, self._group, tp.topic, str(tp.partition)
            ).set(max(highwater - position, 0))
