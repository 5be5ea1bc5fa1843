"""The Kafka broker of a service: FastStream with its Prometheus middleware, and topic set-up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.producer.message_accumulator import BatchBuilder
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry

from kit import tracing
from kit.settings import ServiceSettings

log = logging.getLogger(__name__)

#: Domain event topics are the record that replays and new subscribers read from offset 0.
KEEP_FOREVER = "-1"
_DYNAMIC_TOPIC_CONFIG = 1  # DescribeConfigs config_source: set on the topic itself
#: The relay producer's batch size: a 500-row round of 1 kB events fits a batch per partition,
#: well under the broker's 1 MB ``message.max.bytes``.
MAX_BATCH_BYTES = 512 * 1024
#: Keys whose partition the relay's publisher remembers per topic (then it starts afresh).
MAX_REMEMBERED_KEYS = 65_536


class RateLimitFilter(logging.Filter):
    """Let a logger's lines through at most once per message per ``interval`` and ``burst`` per logger.

    aiokafka logs every failed reconnect (thousands of ERROR lines in a minute of broker outage);
    the kit logs the broker's state changes itself, so repeats carry no news. A line let through
    after suppressed ones says how many were dropped.
    """

    def __init__(self, *, interval: float = 60.0, burst: int = 3) -> None:
        super().__init__()
        self.interval = interval
        self.burst = burst
        self._last: dict[tuple[str, str], float] = {}
        self._window: dict[str, tuple[float, int]] = {}
        self._suppressed: dict[str, int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        """Tell whether the record is news (first of its kind in this interval)."""
        if record.levelno >= logging.CRITICAL:
            return True
        now = time.monotonic()
        key = (record.name, str(record.msg))
        started, seen = self._window.get(record.name, (now, 0))
        if now - started >= self.interval:
            started, seen = now, 0
        last = self._last.get(key)
        if (last is not None and now - last < self.interval) or seen >= self.burst:
            self._suppressed[record.name] = self._suppressed.get(record.name, 0) + 1
            return False
        self._last[key] = now
        self._window[record.name] = (started, seen + 1)
        dropped = self._suppressed.pop(record.name, 0)
        if dropped:
            record.msg = f"{record.msg} [{dropped} similar line(s) suppressed]"
        return True


_KAFKA_LOG_FILTER = RateLimitFilter()


def quiet_kafka_logs() -> None:
    """Rate-limit every aiokafka logger (a filter on each: loggers do not inherit filters)."""
    for name in list(logging.Logger.manager.loggerDict):
        if name == "aiokafka" or name.startswith("aiokafka."):
            logger = logging.getLogger(name)
            if _KAFKA_LOG_FILTER not in logger.filters:
                logger.addFilter(_KAFKA_LOG_FILTER)


def make_broker(settings: ServiceSettings, registry: CollectorRegistry) -> KafkaBroker:
    """Create the service's broker: idempotent producer (acks=all), metrics on its registry."""
    quiet_kafka_logs()
    middlewares: tuple[Any, ...] = (
        KafkaPrometheusMiddleware(registry=registry, app_name=settings.service_name),
    )
    if tracing.enabled():  # FastStream's batch span (links to each record's traceparent)
        middlewares = (KafkaTelemetryMiddleware(), *middlewares)
    return KafkaBroker(
        # FastStream wraps a string in a list, so "a:9092,b:9092" would be one host to aiokafka
        [s.strip() for s in settings.kafka_bootstrap_servers.split(",") if s.strip()],
        client_id=settings.service_name,
        enable_idempotence=True,
        linger_ms=5,
        # aiokafka resets a consumer's position (a partition with no committed offset) at the
        # leader its metadata names and, on NotLeaderForPartition there, retries without asking
        # for new metadata: after a broker restart it was stuck until the next refresh (5 min by
        # default). Refreshed every 15 s, a moved leader is found within that.
        metadata_max_age_ms=15_000,
        graceful_timeout=15.0,
        logger=logging.getLogger("kit.broker.faststream"),  # the service's JSON lines, not stdout
        log_level=logging.DEBUG,  # per-batch "Received"/"Processed" lines are debug detail
        middlewares=middlewares,
    )


class Outgoing(NamedTuple):
    """A record to publish: its topic, key, value and headers."""

    topic: str
    key: str
    value: bytes
    headers: Mapping[str, str]


Handed = tuple[Awaitable[Any], list[int]]
"""A delivery future and the indexes (in the records given) of the records it acknowledges."""


class Publisher(Protocol):
    """Sends records; the returned awaitables resolve when the broker has them (acks=all)."""

    async def send(
        self, topic: str, *, key: str, value: bytes, headers: Mapping[str, str]
    ) -> Awaitable[Any]:
        """Enqueue a record in order and return its delivery future."""
        ...

    def send_many(self, records: Sequence[Outgoing]) -> AsyncIterator[Handed]:
        """Enqueue records, order kept per key; yield each future as soon as it is handed over."""
        ...


async def send_each(publisher: Publisher, records: Sequence[Outgoing]) -> AsyncIterator[Handed]:
    """``send_many`` by one ``send`` per record, in the order given."""
    for i, record in enumerate(records):
        sent = await publisher.send(
            record.topic, key=record.key, value=record.value, headers=record.headers
        )
        yield sent, [i]


class BrokerPublisher:
    """Publisher over a connected FastStream broker; sends are enqueued in call order."""

    def __init__(self, broker: KafkaBroker) -> None:
        self.broker = broker

    async def send(
        self, topic: str, *, key: str, value: bytes, headers: Mapping[str, str]
    ) -> Awaitable[Any]:
        """Enqueue a record and return its delivery future."""
        future: asyncio.Future[Any] = await self.broker.publish(
            value,
            topic,
            key=key.encode(),
            headers=dict(headers),
            correlation_id=headers.get("correlation_id"),
            no_confirm=True,
        )
        return future

    def send_many(self, records: Sequence[Outgoing]) -> AsyncIterator[Handed]:
        """Enqueue records one by one, in the order given."""
        return send_each(self, records)


class ProducerPublisher:
    """Publisher over its own idempotent aiokafka producer (acks=all): the relay's fast path.

    FastStream's ``publish`` costs about 2.3 times a raw ``send`` per message on these machines,
    so the outbox relay and dead letters use this by default (``KAFKA_PUBLISHER=faststream``
    switches to ``BrokerPublisher``). ``send_many`` hands records over as whole batches, one
    future per batch instead of per record.
    """

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self._producer: AIOKafkaProducer | None = None
        self._chosen: dict[str, tuple[set[int], dict[bytes, int]]] = {}

    @property
    def producer(self) -> AIOKafkaProducer:
        """The started producer (created in ``start``, inside the running loop)."""
        if self._producer is None:
            raise RuntimeError("the publisher is not started")
        return self._producer

    async def start(self) -> None:
        """Create and connect the producer."""
        quiet_kafka_logs()
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            client_id=f"{self.settings.service_name}-outbox",
            enable_idempotence=True,
            # the relay hands a whole round's rows over before the sender runs: they share
            # batches without a linger, which would only delay the acknowledgement
            linger_ms=0,
            # one request is in flight per broker: a round's rows in a few large batches take
            # one or two round trips instead of one per 16 kB
            max_batch_size=MAX_BATCH_BYTES,
        )
        await self._producer.start()

    async def stop(self) -> None:
        """Flush and close the producer."""
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def send(
        self, topic: str, *, key: str, value: bytes, headers: Mapping[str, str]
    ) -> Awaitable[Any]:
        """Enqueue a record and return its delivery future."""
        future: asyncio.Future[Any] = await self.producer.send(
            topic, value, key=key.encode(), headers=[(k, v.encode()) for k, v in headers.items()]
        )
        return future

    async def send_many(self, records: Sequence[Outgoing]) -> AsyncIterator[Handed]:
        """Enqueue records as batches, one or more per partition, each in the order given.

        Every record goes to the partition ``send`` would choose for its key (the producer's
        partitioner over the topic's partitions in its metadata), so order per key and the
        consumers' assignments are the same. The partitions' first batches are handed over
        first, then their second ones: the sender takes one batch per partition per request.
        """
        producer = self.producer
        choosers = {topic: await self._chooser(topic) for topic in {r.topic for r in records}}
        parts: dict[tuple[str, int], list[tuple[int, bytes, Outgoing]]] = {}
        for i, record in enumerate(records):
            key = record.key.encode()
            target = (record.topic, choosers[record.topic](key))
            parts.setdefault(target, []).append((i, key, record))
        queues = [_batches(producer, rows) for rows in parts.values()]
        targets = list(parts)
        while queues:
            for (topic, partition), queue in zip(targets, queues, strict=True):
                batch, indexes = queue.pop(0)
                yield await producer.send_batch(batch, topic, partition=partition), indexes
            kept = [at for at, queue in enumerate(queues) if queue]
            queues, targets = [queues[at] for at in kept], [targets[at] for at in kept]

    async def _chooser(self, topic: str) -> Callable[[bytes], int]:
        """Return the partition ``send`` would choose for a key of ``topic``, remembered per key.

        The producer's partitioner is aiokafka's default: murmur2 of the key over the topic's
        partitions, a pure function of the two (pure Python, ~2.5 µs a key). The remembered
        choices are dropped when the topic's partitions change.
        """
        producer = self.producer
        partitions = await producer.partitions_for(topic)  # waits for metadata, as `send` does
        known = self._chosen.get(topic)
        if known is None or known[0] != partitions or len(known[1]) > MAX_REMEMBERED_KEYS:
            known = self._chosen[topic] = (set(partitions), {})
        chosen = known[1]

        def choose(key: bytes) -> int:
            partition = chosen.get(key)
            if partition is None:  # the very choice ``send`` makes
                partition = chosen[key] = producer._partition(topic, None, key, None, key, None)
            return partition

        return choose


def _batches(
    producer: AIOKafkaProducer, rows: list[tuple[int, bytes, Outgoing]]
) -> list[tuple[BatchBuilder, list[int]]]:
    """Fill the producer's batch builders with one partition's records, in order."""
    batches: list[tuple[BatchBuilder, list[int]]] = []
    batch, indexes = producer.create_batch(), list[int]()
    for i, key, record in rows:
        headers = [(k, v.encode()) for k, v in record.headers.items()]
        if batch.append(key=key, value=record.value, timestamp=None, headers=headers) is None:
            batches.append((batch, indexes))  # full (an empty batch takes any first record)
            batch, indexes = producer.create_batch(), list[int]()
            batch.append(key=key, value=record.value, timestamp=None, headers=headers)
        indexes.append(i)
    if indexes:
        batches.append((batch, indexes))
    return batches


def topic_configs(settings: ServiceSettings, name: str) -> dict[str, str]:
    """Return the configs a platform topic must have: events kept forever, dead letters 30+ days."""
    dead = ".dlq." in name
    days = settings.kafka_dead_letter_retention_days
    return {
        "retention.ms": str(days * 86_400_000) if dead else KEEP_FOREVER,
        "min.insync.replicas": str(settings.kafka_min_insync_replicas),
    }


async def ensure_platform_topics(settings: ServiceSettings, names: Iterable[str]) -> None:
    """Create or correct the service's topics with the settings' partitions, replicas and configs."""
    names = list(names)
    await ensure_topics(
        settings.kafka_bootstrap_servers,
        names,
        partitions=settings.kafka_topic_partitions,
        replication=settings.kafka_replication_factor,
        configs={n: topic_configs(settings, n) for n in names},
    )


async def ensure_topics(
    bootstrap_servers: str,
    names: Iterable[str],
    *,
    partitions: int,
    replication: int = 1,
    configs: Mapping[str, Mapping[str, str]] | None = None,
) -> None:
    """Create missing topics with their configs; set configs that differ on existing ones.

    Existing topics keep their partitions and replicas (changing those is an operator's
    reassignment) and other configs set on them; only the given keys are corrected.
    """
    configs = configs or {}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        names = list(dict.fromkeys(names))
        missing = [n for n in names if n not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [
                        NewTopic(
                            n,
                            num_partitions=partitions,
                            replication_factor=replication,
                            topic_configs=dict(configs.get(n, {})),
                        )
                        for n in missing
                    ]
                )
        present = [n for n in names if n in existing and configs.get(n)]
        if present:
            await _correct_configs(admin, {n: configs[n] for n in present})
    finally:
        await admin.close()


async def _correct_configs(
    admin: AIOKafkaAdminClient, wanted: Mapping[str, Mapping[str, str]]
) -> None:
    """Alter the topics whose configs differ from ``wanted`` (keeping their other overrides)."""
    described = await admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, n) for n in wanted]
    )
    changes: list[ConfigResource] = []
    for response in described:
        for resource in response.to_object()["resources"]:
            name = resource["resource_name"]
            entries = {e["config_names"]: e for e in resource["config_entries"]}
            current = {k: e["config_value"] for k, e in entries.items()}
            if all(current.get(k) == v for k, v in wanted[name].items()):
                continue
            # AlterConfigs replaces the topic's overrides: send the kept ones with the new values
            kept = {
                k: e["config_value"]
                for k, e in entries.items()
                if e["config_source"] == _DYNAMIC_TOPIC_CONFIG
            }
            log.info("topic %s: setting %s", name, dict(wanted[name]))
            changes.append(
                ConfigResource(ConfigResourceType.TOPIC, name, configs={**kept, **wanted[name]})
            )
    if changes:
        await admin.alter_configs(changes)


async def topic_partitions(bootstrap_servers: str, topic: str, *, wait: float = 10.0) -> list[int]:
    """Return a topic's partition numbers, waiting up to ``wait`` s for new topics to show them."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        deadline = asyncio.get_running_loop().time() + wait
        while True:
            described = await admin.describe_topics([topic])
            partitions = sorted(
                p["partition"] for d in described if d["error_code"] == 0 for p in d["partitions"]
            )
            if partitions or asyncio.get_running_loop().time() > deadline:
                return partitions
            await asyncio.sleep(0.2)
    finally:
        await admin.close()
