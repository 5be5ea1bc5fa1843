"""Settings shared by every service, read from the environment (pydantic-settings)."""

from __future__ import annotations

import os
from typing import Any, Literal, Self

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from kit.auth.tokens import DEV_SECRET


class ServiceSettings(BaseSettings):
    """Everything a service needs to reach its database, the broker and its callers.

    Each variable can be given per service with the service name as prefix
    (``CASES_DATABASE_URL``) or for all services at once (``DATABASE_URL``).
    """

    model_config = SettingsConfigDict(extra="ignore", env_file=os.getenv("ENV_FILE", ".env"))

    service_name: str = Field(
        default="service", description="Name used in metrics, logs and events"
    )
    database_url: str = Field(
        default="sqlite+aiosqlite:///.local/{service}.db",
        description="SQLAlchemy async URL; SQLite for a local run, PostgreSQL (asyncpg) otherwise",
    )
    database_pool_size: int = Field(default=10, ge=1)
    kafka_bootstrap_servers: str = Field(default="127.0.0.1:9092")
    kafka_topic_partitions: int = Field(default=6, ge=1, description="Partitions of created topics")
    kafka_replication_factor: int = Field(
        default=1, ge=1, description="Replicas of created topics (3 in production)"
    )
    kafka_min_insync_replicas: int = Field(
        default=1,
        ge=1,
        description="min.insync.replicas of the platform's topics (2 in production, below replicas)",
    )
    kafka_dead_letter_retention_days: int = Field(
        default=30, ge=30, description="How long dead-letter topics keep a message"
    )
    kafka_publisher: Literal["aiokafka", "faststream"] = Field(
        default="aiokafka", description="What the relay publishes with (aiokafka is ~2x faster)"
    )
    kafka_topic_prefix: str = Field(
        default="",
        description="Prefix of every topic name, e.g. to share a cluster between counties",
    )
    kafka_group_prefix: str | None = Field(
        default=None,
        description="Prefix of every consumer group id; unset: the topic prefix",
    )
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    http_workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Worker processes of one instance (each runs the app; one relay leads)",
    )
    jwt_secret: SecretStr = Field(
        default=SecretStr(DEV_SECRET),
        description="HS256 secret; the built-in default is refused unless dev_mode is on",
    )
    jwt_issuer: str = "npc-platform"
    jwt_audience: str = "npc-platform"
    dev_mode: bool = Field(
        default=False,
        description="Development mode (DEV_MODE=true, set by ./dev run): allows the dev secret",
    )
    dev_played_clock_seconds: float = Field(
        default=0.0,
        ge=0,
        description="Development mode only: while a request pinned X-Dev-Clock in the last N "
        "seconds, scheduled jobs read the latest instant played (./dev run's demo year); 0: off",
    )
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"
    relay_batch_size: int = Field(default=500, ge=1, description="Outbox rows published per round")
    relay_poll_seconds: float = Field(default=1.0, gt=0, description="Outbox poll when not woken")
    relay_in_process: bool = Field(
        default=True,
        description="Relay the outbox from the HTTP process; false: `python -m <service> relay` "
        "relays it in a process of its own (the HTTP process still reads the outbox gauges)",
    )
    relay_linger_seconds: float = Field(
        default=0.0,
        ge=0,
        description="Wait after a wake-up so that more commits share a relay round (latency)",
    )
    relay_send_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Wait for the broker's acknowledgement of a relay batch"
    )
    outbox_gauge_seconds: float = Field(
        default=5.0, gt=0, description="Period of reading the outbox backlog gauges"
    )
    job_interval_seconds: float = Field(default=60.0, gt=0, description="Scheduled jobs' period")
    job_lease_seconds: float = Field(default=120.0, gt=0, description="Scheduled jobs' lease")
    consumer_max_records: int = Field(default=500, ge=1, description="Messages per consumed batch")
    consumer_session_timeout_ms: int = Field(
        default=10_000,
        ge=1_000,
        description="Group session: a consumer silent this long (killed) loses its partitions",
    )
    consumer_heartbeat_interval_ms: int = Field(
        default=1_000, ge=100, description="Heartbeats to the group (well below the session)"
    )
    consumer_poll_ms: int = Field(
        default=200,
        ge=1,
        le=5_000,
        description="How long an idle consumer's fetch waits for records (it returns as soon as "
        "any arrive, so this bounds idle wake-ups, not latency)",
    )
    consumer_overlap: bool = Field(
        default=True,
        description="Fetch and validate a consumer's next batch while the current one's "
        "transaction and offset commit run (batches still take effect and commit in order)",
    )
    consumer_overlap_min_records: int = Field(
        default=100,
        ge=1,
        description="Overlap only batches of at least this many records (a backlog); a smaller "
        "batch is done before the next fetch, so what arrives meanwhile is in the very next "
        "batch, not the one after it (overlapping a steady trickle added a batch's time)",
    )
    consumer_read_ahead: bool = Field(
        default=True,
        description="While a batch is applied (not overlapped), keep reading what arrives into "
        "the next batch, so a record waits for the batch in hand only, never for a fetch too",
    )
    consumer_prefetch_backoff_ms: int = Field(
        default=100,
        ge=0,
        le=1_000,
        description="aiokafka's prefetch backoff (aiokafka's 100 ms kept): while one partition's "
        "fetched records wait to be consumed, how long the other partitions of its broker are "
        "not fetched; 0 fetches them at once, as the Java client does",
    )
    consumer_commit_behind: bool = Field(
        default=True,
        description="Commit a batch's offsets in a task of its own after its transaction "
        "(offset commits still in batch order), while the next batch is applied",
    )
    consumer_retry_attempts: int = Field(default=5, ge=1, description="Tries before dead letter")
    consumer_retry_backoff_seconds: float = Field(default=0.2, ge=0)
    consumer_retry_backoff_max_seconds: float = Field(default=5.0, ge=0)

    @classmethod
    def for_service(cls, name: str, **overrides: Any) -> Self:
        """Build settings for one service: ``<NAME>_X`` wins over ``X``, explicit overrides win."""
        prefix = f"{name.upper()}_"
        specific = {
            field: os.environ[prefix + field.upper()]
            for field in cls.model_fields
            if prefix + field.upper() in os.environ
        }
        settings = cls(**{"service_name": name, **specific, **overrides})
        settings.database_url = settings.database_url.replace("{service}", name)
        return settings

    def consumer_group_id(self, group: str) -> str:
        """Return the Kafka group id of a subscription's group (prefixed like the topics)."""
        prefix = (
            self.kafka_topic_prefix if self.kafka_group_prefix is None else self.kafka_group_prefix
        )
        return prefix + group

    @property
    def is_sqlite(self) -> bool:
        """Tell whether the store is the embedded SQLite database."""
        return self.database_url.startswith("sqlite")
