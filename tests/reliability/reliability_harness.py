"""Shared helpers of the reliability suite: services as processes, private brokers and databases.

Every scenario drives the services the way operators run them (``python -m <service>``) against
the real broker and PostgreSQL; what a scenario needs that must be stopped or killed (a broker, a
database server) is started here in a temporary directory by the project's own scripts
(deploy/kafka/kafka.sh, deploy/postgres/postgres.sh), never the shared ones.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment
from sqlalchemy import text

from cases.handlers.roster import GROUP as CASES_GROUP
from contracts import topics
from contracts.catalog import to_bytes
from contracts.envelope import Envelope
from kit.auth import AuthConfig, Principal, Role
from kit.broker import ensure_topics, topic_partitions
from kit.db import make_engine
from kit.testing import (
    bootstrap_servers,
    free_port,
    fresh_database,
    kill_hard,
    start_process,
    stop_process,
    unique,
    wait_ready,
)
from notify.handlers.consumers import GROUP as NOTIFY_GROUP
from scoring.handlers.consume import GROUP as SCORING_GROUP

ROOT = Path(__file__).resolve().parents[2]
KAFKA_SH = ROOT / "deploy" / "kafka" / "kafka.sh"
POSTGRES_SH = ROOT / "deploy" / "postgres" / "postgres.sh"
LOGS = ROOT / ".local" / "reliability"
SECRET = "reliability-suite-hs256-secret-32-bytes!"
SERVICES = ("deputies", "cases", "scoring", "notify")
PARTITIONS = 4
"""Partitions of every topic the suite creates (scale-out needs more partitions than instances)."""

CONSUMED: Mapping[str, tuple[str, ...]] = {
    "cases": (topics.DEPUTIES,),
    "scoring": (topics.DEPUTIES, topics.CASES),
    "notify": (topics.DEPUTIES, topics.CASES, topics.SCORING),
}
"""The topics each consuming service reads (deputies consumes nothing)."""

GROUPS: Mapping[str, str] = {"cases": CASES_GROUP, "scoring": SCORING_GROUP, "notify": NOTIFY_GROUP}
"""Each consuming service's consumer group (unprefixed), as its subscription names it."""


def bearer(role: Role = Role.county_admin, scope: str = "990101") -> dict[str, str]:
    """Return the Authorization header of a user with one role over a scope."""
    principal = Principal(
        subject=f"reliability-{role}", roles=frozenset({role}), scope=scope, name="可靠性测试"
    )
    return {"Authorization": f"Bearer {AuthConfig(secret=SECRET).issue(principal)}"}


def write_report(name: str, values: Mapping[str, Any]) -> Path:
    """Write a measurement as JSON under .local/reliability/ and print it; return the path."""
    LOGS.mkdir(parents=True, exist_ok=True)
    path = LOGS / f"{name}.json"
    path.write_text(json.dumps(values, indent=2, ensure_ascii=False, default=str) + "\n")
    print(f"{name}: {json.dumps(values, ensure_ascii=False, default=str)} -> {path}")
    return path


# ------------------------------------------------------------------------------ service processes


@dataclass
class Instance:
    """One ``python -m <service>`` process of a platform; it can be killed and started again."""

    name: str
    env: dict[str, str]
    log: Path
    port: int = 0
    process: asyncio.subprocess.Process | None = None

    @property
    def base(self) -> str:
        """The instance's base URL."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self, *, ready_within: float = 480.0) -> None:
        """Start the process on a free port and wait until /readyz answers 200."""
        self.port = free_port()
        env = {**self.env, f"{self.name.upper()}_HTTP_PORT": str(self.port)}
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = await start_process(self.name, env, log=log)
        await self.ready(within=ready_within)

    async def ready(self, *, within: float) -> None:
        """Wait until /readyz answers 200 (fails the test if the process died meanwhile)."""
        await wait_ready(self.base, self.process, within=within, name=f"{self.name} ({self.log})")

    async def status(self, path: str, *, headers: Mapping[str, str] | None = None) -> int:
        """Return the status of a GET (0 when nothing answers)."""
        try:
            async with httpx.AsyncClient(base_url=self.base, timeout=10) as client:
                return (await client.get(path, headers=dict(headers or {}))).status_code
        except httpx.TransportError:
            return 0

    async def kill9(self) -> None:
        """SIGKILL the process: no clean-up of any kind."""
        assert self.process is not None
        assert await kill_hard(self.process) == -signal.SIGKILL

    async def stop(self) -> None:
        """SIGTERM the process and wait for it (SIGKILL after 40 s)."""
        if self.process is not None:
            await stop_process(self.process)


@dataclass
class Platform:
    """Services sharing one topic prefix and broker, each with a fresh database of its own."""

    prefix: str
    servers: str
    databases: dict[str, str]
    label: str
    extra_env: dict[str, str] = field(default_factory=dict)
    instances: list[Instance] = field(default_factory=list)

    def env(self, name: str, **extra: str) -> dict[str, str]:
        """Return the environment of an instance of ``name``."""
        return {
            f"{name.upper()}_DATABASE_URL": self.databases[name],
            "KAFKA_BOOTSTRAP_SERVERS": self.servers,
            "KAFKA_TOPIC_PREFIX": self.prefix,
            "KAFKA_TOPIC_PARTITIONS": str(PARTITIONS),
            "JWT_SECRET": SECRET,
            "RELAY_POLL_SECONDS": "0.2",
            "LOG_FORMAT": "json",
            **self.extra_env,
            **extra,
        }

    async def start(self, name: str, **extra: str) -> Instance:
        """Start one more instance of a service and wait until it is ready."""
        n = sum(1 for i in self.instances if i.name == name) + 1
        instance = Instance(name, self.env(name, **extra), LOGS / self.label / f"{name}-{n}.log")
        self.instances.append(instance)
        await instance.start()
        return instance

    async def scalar(self, name: str, sql: str, /, **params: Any) -> int:
        """Run one counting query on a service's database."""
        engine = make_engine(self.databases[name])
        try:
            async with engine.connect() as conn:
                return int(await conn.scalar(text(sql), params) or 0)
        finally:
            await engine.dispose()

    async def execute(self, name: str, sql: str, /, **params: Any) -> None:
        """Run one statement on a service's database and commit it."""
        engine = make_engine(self.databases[name])
        try:
            async with engine.begin() as conn:
                await conn.execute(text(sql), params)
        finally:
            await engine.dispose()

    def topic(self, name: str) -> str:
        """The prefixed name of a topic."""
        return self.prefix + name

    def group(self, service: str) -> str:
        """The prefixed consumer group of a consuming service."""
        return self.prefix + GROUPS[service]


@asynccontextmanager
async def platform(
    label: str,
    names: Iterable[str] = SERVICES,
    *,
    servers: str | None = None,
    database_url: str | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> AsyncIterator[Platform]:
    """Fresh databases for ``names`` and a fresh topic prefix; every instance stopped at the end."""
    label = f"{label}-{time.strftime('%H%M%S')}"
    wanted = list(names)
    async with _databases(wanted, database_url) as urls:
        running = Platform(
            unique("rel") + ".",
            servers or bootstrap_servers(),
            urls,
            label,
            dict(extra_env or {}),
        )
        try:
            yield running
        finally:
            await asyncio.gather(*(i.stop() for i in running.instances))


@asynccontextmanager
async def _databases(names: list[str], base: str | None) -> AsyncIterator[dict[str, str]]:
    if not names:
        yield {}
        return
    async with fresh_database(base) as url, _databases(names[1:], base) as rest:
        yield {names[0]: url, **rest}


# ------------------------------------------------------------------------------ Kafka helpers


async def assignments(servers: str, group: str) -> list[list[TopicPartition]] | None:
    """Return the partitions of each member of a stable group (None while it rebalances)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    described = response.to_object()["groups"][0]
    if described["state"] != "Stable":
        return None
    return [
        ConsumerProtocolMemberAssignment.decode(m["member_assignment"]).partitions()
        for m in described["members"]
    ]


async def committed(
    servers: str, group: str, partitions: Iterable[TopicPartition]
) -> dict[TopicPartition, int]:
    """Return a group's committed offset of each partition (0 where nothing is committed)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=servers, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        return {tp: await consumer.committed(tp) or 0 for tp in partitions}
    finally:
        await consumer.stop()


async def end_offsets(servers: str, topic_names: Iterable[str]) -> dict[TopicPartition, int]:
    """Return the end offset of every partition of the topics."""
    parts = [TopicPartition(t, p) for t in topic_names for p in await topic_partitions(servers, t)]
    consumer = AIOKafkaConsumer(bootstrap_servers=servers, enable_auto_commit=False)
    await consumer.start()
    try:
        return dict(await consumer.end_offsets(parts)) if parts else {}
    finally:
        await consumer.stop()


async def caught_up(servers: str, group: str, topic_names: Iterable[str]) -> bool:
    """Tell whether a group has committed every record of the topics as of now."""
    ends = await end_offsets(servers, topic_names)
    done = await committed(servers, group, ends)
    return bool(ends) and all(done[tp] >= end for tp, end in ends.items())


async def produce(
    servers: str, prefix: str, envelopes: Iterable[Envelope[Any]], *, partitions: int = PARTITIONS
) -> int:
    """Put envelopes on their producers' prefixed topics, keyed by subject, as a relay does."""
    listed = list(envelopes)
    names = sorted({prefix + topics.for_event_type(e.type) for e in listed})
    await ensure_topics(servers, names, partitions=partitions)
    producer = AIOKafkaProducer(bootstrap_servers=servers, enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        futures = [
            await producer.send(
                prefix + topics.for_event_type(e.type),
                to_bytes(e),
                key=e.subject.encode(),
                headers=[(k, v.encode()) for k, v in e.headers().items()],
            )
            for e in listed
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return len(listed)


# ------------------------------------------------------------------------------ private servers


def _run(script: Path, env: Mapping[str, str], *args: str, timeout: float = 180) -> str:
    done = subprocess.run(
        ["bash", str(script), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"{script.name} {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def _exported(stdout: str, key: str) -> str:
    for line in stdout.splitlines():
        if line.startswith(key + "="):
            return line.split("=", 1)[1]
    raise AssertionError(f"no {key}= line in {stdout!r}")


class PrivateKafka:
    """A broker (or a three-node cluster) of the test's own, by deploy/kafka/kafka.sh."""

    def __init__(self, *, cluster: bool = False) -> None:
        self.cluster = cluster
        self.home = Path(tempfile.mkdtemp(prefix="rel-kafka-"))
        inherited = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
        self.env = {
            **inherited,
            "KAFKA_HOME_DIR": str(self.home),
            "KAFKA_LIBS_DIR": os.environ.get(
                "KAFKA_LIBS_DIR", str(ROOT / ".local" / "kafka" / "libs")
            ),
            "KAFKA_HEAP_OPTS": "-Xms128m -Xmx256m",
        }
        if not cluster:
            self.env |= {"KAFKA_PORT": str(free_port()), "KAFKA_CONTROLLER_PORT": str(free_port())}
        self.servers = ""

    def _kafka(self, *args: str) -> str:
        prefix = ("cluster",) if self.cluster else ()
        return _run(KAFKA_SH, self.env, *prefix, *args)

    def start(self, node: int | None = None) -> None:
        """Start the broker (every node, or one node of the cluster) and wait until it answers."""
        out = self._kafka("start", *([str(node)] if node else []))
        self.servers = _exported(out, "KAFKA_BOOTSTRAP_SERVERS")

    def kill9(self, node: int | None = None) -> None:
        """SIGKILL the broker (or one node of the cluster)."""
        self._kafka("kill9", *([str(node)] if node else []))

    def pids(self) -> list[int]:
        """Process ids of the broker's JVMs that still run."""
        files = self.home.glob("node-*/kafka.pid") if self.cluster else [self.home / "kafka.pid"]
        found = []
        for f in files:
            try:
                pid = int(f.read_text().strip())
                os.kill(pid, 0)
                found.append(pid)
            except (OSError, ValueError):
                continue
        return found

    def close(self) -> None:
        """Kill what still runs (abruptly: it is thrown away) and delete the data."""
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                continue
        shutil.rmtree(self.home, ignore_errors=True)


class PrivatePostgres:
    """A PostgreSQL server of the test's own (deploy/postgres/postgres.sh): stopped and started."""

    def __init__(self) -> None:
        # as root the server runs as "postgres", which must be able to enter the folder
        self.home = Path(tempfile.mkdtemp(prefix="rel-pg-", dir="/var/tmp"))
        self.home.chmod(0o755)
        # DATABASE_URL emptied: with it set (./dev test exports the shared server's) the script
        # would reuse that server instead of starting this one, and the test would stop nothing
        self.env = {
            "PG_HOME_DIR": str(self.home),
            "PGPORT_NPC": str(free_port()),
            "DATABASE_URL": "",
        }
        self.url = ""

    def start(self) -> None:
        """Start the server (creating the cluster the first time) and wait until it answers."""
        self.url = _exported(_run(POSTGRES_SH, self.env, "start"), "DATABASE_URL")

    def stop(self) -> None:
        """Stop the server (every connection is cut)."""
        _run(POSTGRES_SH, self.env, "stop")

    def close(self) -> None:
        """Stop the server if it runs and delete its data."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.home, ignore_errors=True)
