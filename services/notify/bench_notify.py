"""Bench of the notify service on real Kafka, PostgreSQL and a local SMTP server (aiosmtpd).

1. Throughput: N ``cases.case.assigned`` events (default 10,000) published at once (by a process
   of their own, as the cases service would: the clock starts when it is told to go) → N e-mails
   received, none twice; mails/s against raw aiosmtplib sending the same N messages (rendered and
   built as notify does) to the same server over as many connections as notify's pool (``--pool``,
   the fair comparison) (issue 11 targets: >= 0.5 of raw and >= 500 mails/s).
2. Latency: events published at R per second (default 50) for S seconds → event published to
   message received, p50 / p99.
3. Resident memory of the bench process (notify, the Kafka producer and the raw client; the SMTP
   server runs in a process of its own, so its parsing costs neither side).

After each burst, where its time went (stderr, and ``…timeline`` / ``…intake_time`` in the JSON):
the intake's batches, the mails and the backlog between them per 0.5 s step (from the rows'
``created_at`` and the arrivals), the intake's SQL statements by verb and table, its handle time
and its event loop's lag. ``--intakes N`` runs N intake processes in the consumer group (with the
sender apart), ``--partitions`` the topics' partitions, ``--hand`` the sender's hand.

The bench routes ``cases.case.assigned`` to the lead unit *now* (``ROUTES`` override): the default
sends it in working hours, which would make the numbers depend on the clock.

Run: ``.venv/bin/python services/notify/bench_notify.py [--events 10000] [--rate 50]
[--seconds 10] [--pool 8]`` with ``TEST_DATABASE_URL`` and ``KAFKA_BOOTSTRAP_SERVERS``; progress
goes to stderr, the numbers to stdout as one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import itertools
import json
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import aiosmtplib
import httpx
import uvloop
from aiokafka import AIOKafkaProducer
from pydantic import SecretStr
from sqlalchemy import func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent / "tests"))

from notify_harness import running_core, settings_for

from contracts import topics
from contracts.catalog import model_for, new_envelope, to_bytes
from contracts.envelope import Envelope
from contracts.vocabulary import RecipientKind
from kit.testing import bootstrap_servers, emit_results, fresh_database, unique
from notify.adapters.base import Outgoing
from notify.adapters.email import MessageBuilder, SmtpSettings
from notify.domain.model import Channel, DeliveryKey, RecipientRef
from notify.settings import NotifySettings
from notify.templates.render import Renderer, context
from notify.templates.samples import TYPICAL
from notify.testing.servers import free_port
from notify.testing.sink_process import Received, smtp_process

UNIT = RecipientRef(RecipientKind.handling_unit, "U-bench")
ROUTES = {
    "cases.case.assigned": [
        {
            "audience": "units",
            "template": "cases.case.assigned",
            "timing": "now",
            "field": "units",
            "role": "lead",
        }
    ]
}


def assigned(n: int) -> Envelope[Any]:
    """Return the n-th case-assigned event, led by the bench unit."""
    model = model_for("cases.case.assigned")
    assert model is not None
    values = {
        **TYPICAL["cases.case.assigned"],
        "case_id": f"C-2025-{n:06d}",
        "units": [{"unit_id": UNIT.id, "name": "县交通运输局", "role": "lead"}],
    }
    return new_envelope(model.model_validate(values), source="/services/cases", correlationid="b")


def rss_mb() -> float:
    """Return the process's resident memory in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def raw_rate(port: int, n: int, connections: int) -> float:
    """Send the same n messages notify sends (rendered, built alike) with raw aiosmtplib.

    Over ``connections`` connections at once (notify's pool size: the fair comparison), each
    sending one message after the other until the n are sent.
    """
    data = assigned(0).data
    model = model_for("cases.case.assigned")
    assert model is not None
    event = model.model_validate(data)
    ctx = context(event, event_type="cases.case.assigned", recipient_name="县交通运输局")
    rendered = Renderer().render("cases.case.assigned", Channel.email, ctx)
    settings = SmtpSettings(port=port)
    builder = MessageBuilder(settings)
    clients = [aiosmtplib.SMTP(hostname="127.0.0.1", port=port) for _ in range(connections)]
    for client in clients:
        await client.connect()
    left = iter(range(n))

    async def sending(client: aiosmtplib.SMTP) -> None:
        for _ in left:
            outgoing = Outgoing(str(uuid4()), "bench@example.cn", rendered)
            message = builder.build(outgoing)
            await client.sendmail(settings.sender, [outgoing.address], message)

    start = time.perf_counter()
    await asyncio.gather(*(sending(c) for c in clients))
    elapsed = time.perf_counter() - start
    for client in clients:
        client.close()
    return n / elapsed


Record = tuple[bytes, bytes, list[tuple[str, bytes]]]


def records(events: list[Envelope[Any]]) -> list[Record]:
    """Serialise events as their producer's relay would (before the clock starts: its cost)."""
    return [
        (to_bytes(e), e.subject.encode(), [(k, v.encode()) for k, v in e.headers().items()])
        for e in events
    ]


async def publish_all(producer: AIOKafkaProducer, prefix: str, batch: list[Record]) -> None:
    """Publish serialised events to the cases topic without waiting for each."""
    topic = prefix + topics.CASES
    futures = [
        await producer.send(topic, value, key=key, headers=headers) for value, key, headers in batch
    ]
    await asyncio.gather(*futures)


async def publisher_process(prefix: str, first: int, count: int) -> None:
    """Publish ``count`` events when told to on stdin (the cases service's part, in its own process)."""
    batch = records([assigned(first + n) for n in range(count)])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers(), linger_ms=5)
    await producer.start()
    try:
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        start = time.perf_counter()
        await publish_all(producer, prefix, batch)
        print(f"published {time.perf_counter() - start:.1f}", flush=True)
    finally:
        await producer.stop()


@contextlib.asynccontextmanager
async def publisher(
    prefix: str, first: int, count: int
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Start the publishing process; yield it once it has its events ready."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--publish", f"{prefix} {first} {count}",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert child.stdout is not None
    try:
        assert (await asyncio.wait_for(child.stdout.readline(), timeout=300)).strip() == b"ready"
        yield child
    finally:
        if child.returncode is None:
            child.kill()
        await child.wait()


async def outbox_drained(core: Any, within: float) -> None:
    """Wait until the relay has published every staged notification event."""
    table = core.runtime.tables.outbox
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        async with core.runtime.engine.connect() as conn:
            left = await conn.scalar(
                select(func.count()).select_from(table).where(table.c.published_at.is_(None))
            )
        if not left:
            return
        await asyncio.sleep(0.5)


Probe = Callable[[], Awaitable[str]]

STEP = 0.5
"""Seconds of a timeline's step."""


async def timeline(core: Any, received: Received, start: float) -> dict[str, Any]:
    """Where the burst's time went: the intake's batches and the mails over time, the queue between.

    From what the burst left: each e-mail delivery's ``created_at`` (its intake batch's start: one
    value a batch) and its arrival at the sink, as seconds since the go (``start``, epoch). The
    backlog at a step's end is the rows taken in so far minus the mails arrived.
    """
    d = core.services.tables.deliveries
    async with core.runtime.engine.connect() as conn:
        found = await conn.execute(
            select(d.c.delivery_id, d.c.created_at).where(d.c.channel == Channel.email.value)
        )
        made = {ident: at.timestamp() - start for ident, at in found.all()}
    arrived = {ident: at - start for ident, at in zip(received.ids, received.arrived, strict=True)}
    batches = sorted(Counter(round(at, 4) for at in made.values()).items())
    waits = sorted(arrived[i] - made[i] for i in arrived if i in made)
    steps = int(max([*made.values(), *arrived.values(), 0.0]) / STEP) + 1
    rows = [0] * steps
    mails = [0] * steps
    for at in made.values():
        rows[max(int(at / STEP), 0)] += 1
    for at in arrived.values():
        mails[max(int(at / STEP), 0)] += 1
    # a batch's rows are visible to the sender once it commits: about when the next one starts
    # (the runner applies batches one after the other); the last one's at its first mail
    visible = [0] * steps
    for (at, n), after in zip(batches, [*batches[1:], None], strict=True):
        ends = (
            after[0]
            if after is not None
            else min(
                (
                    arrived[i]
                    for i, made_at in made.items()
                    if round(made_at, 4) == at and i in arrived
                ),
                default=at,
            )
        )
        visible[max(int(ends / STEP), 0)] += n
    backlog, taken, sent = [], 0, 0
    for r, m in zip(visible, mails, strict=True):
        taken, sent = taken + r, sent + m
        backlog.append(taken - sent)
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(batches)]
    q = statistics.quantiles(waits, n=100) if len(waits) > 1 else [0.0] * 99
    return {
        "first_row_s": round(min(made.values(), default=0.0), 2),
        "last_row_s": round(max(made.values(), default=0.0), 2),
        "first_mail_s": round(min(arrived.values(), default=0.0), 2),
        "last_mail_s": round(max(arrived.values(), default=0.0), 2),
        "batches": len(batches),
        "batch_rows_mean": round(len(made) / max(len(batches), 1), 1),
        "batch_gap_p50_ms": round(statistics.median(gaps) * 1000, 1) if gaps else None,
        "wait_p50_ms": round(q[49] * 1000, 1),
        "wait_p99_ms": round(q[98] * 1000, 1),
        "backlog_max": max(backlog, default=0),
        "step_s": STEP,
        "rows": rows,
        "mails": mails,
        "backlog": backlog,
    }


class Statements:
    """Wall time an engine's statements took, by their first words (``--statements``)."""

    def __init__(self, engine: Any) -> None:
        self.sync = engine.sync_engine
        self.took: Counter[str] = Counter()
        self.count: Counter[str] = Counter()
        self.lag = 0.0
        self.lags = 0

    @staticmethod
    def kind(statement: str) -> str:
        """Name a statement by its verb and its table (enough to tell the intake's apart)."""
        words = statement.replace("(", " ").replace(",", " ").split()
        verb = words[0].upper() if words else "?"
        for i, word in enumerate(words):
            if word.upper() in {"INTO", "FROM", "UPDATE"} and i + 1 < len(words):
                return f"{verb} {words[i + 1]}"
        return " ".join(words[:3])

    def _before(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        took = time.perf_counter() - conn.info["bench_started"].pop()
        kind = self.kind(statement)
        self.took[kind] += took
        self.count[kind] += 1

    def _commit(self, conn: Any) -> None:
        conn.info["bench_commit"] = time.perf_counter()

    def start(self) -> None:
        """Listen to the engine's statements."""
        from sqlalchemy import event as sa_event

        sa_event.listen(self.sync, "before_cursor_execute", self._before)
        sa_event.listen(self.sync, "after_cursor_execute", self._after)

    def stop(self) -> None:
        """Stop listening."""
        from sqlalchemy import event as sa_event

        sa_event.remove(self.sync, "before_cursor_execute", self._before)
        sa_event.remove(self.sync, "after_cursor_execute", self._after)

    async def watch_loop(self, every: float = 0.01) -> None:
        """Add up how late the loop wakes a sleeper (its lag: what the intake's loop is busy with)."""
        loop = asyncio.get_running_loop()
        while True:
            at = loop.time()
            await asyncio.sleep(every)
            self.lag += max(loop.time() - at - every, 0.0)
            self.lags += 1

    def summary(self) -> dict[str, Any]:
        """Return the statements' seconds and counts, the most costly first, and the loop's lag."""
        return {
            "loop_lag_s": round(self.lag, 2),
            **{k: [round(v, 2), self.count[k]] for k, v in self.took.most_common(12)},
        }


def handle_seconds(core: Any) -> tuple[float, float]:
    """Return the intake's consumer handle time so far: (seconds, batches)."""
    registry = core.runtime.registry
    total = registry.get_sample_value(
        "kit_consumer_handle_seconds_sum", {"service": "notify", "group": "notify.intake"}
    )
    count = registry.get_sample_value(
        "kit_consumer_handle_seconds_count", {"service": "notify", "group": "notify.intake"}
    )
    return total or 0.0, count or 0.0


def show_timeline(line: dict[str, Any]) -> None:
    """Print a timeline on stderr: a line a step (rows taken in, mails arrived, rows committed and
    not yet mailed: the backlog)."""
    print(
        f"  timeline: rows {line['first_row_s']}–{line['last_row_s']} s in {line['batches']}"
        f" batches (gap p50 {line['batch_gap_p50_ms']} ms), mails {line['first_mail_s']}–"
        f"{line['last_mail_s']} s, queue wait p50 {line['wait_p50_ms']} ms p99"
        f" {line['wait_p99_ms']} ms",
        file=sys.stderr,
    )
    for i, (r, m, b) in enumerate(zip(line["rows"], line["mails"], line["backlog"], strict=True)):
        print(
            f"    {i * line['step_s']:5.1f} s  rows {r:5d}  mails {m:5d}  backlog {b:5d}",
            file=sys.stderr,
        )


async def until(
    received: Received, n: int, within: float, what: str, probe: Probe | None = None
) -> None:
    """Wait until the server received n messages; say how it goes every 2 s on stderr."""
    start = time.monotonic()
    deadline = start + within
    shown = start
    while len(received.ids) < n:
        now = time.monotonic()
        if now > deadline:
            raise TimeoutError(f"{len(received.ids)} of {n} mails after {within} s")
        if now - shown >= 2:
            shown = now
            got = len(received.ids)
            more = await probe() if probe is not None else ""
            print(f"  {what}: {got}/{n} mails, {got / (now - start):.0f}/s {more}", file=sys.stderr)
        await asyncio.sleep(0.05)


@dataclass(frozen=True)
class Options:
    """The bench's knobs (see ``main``)."""

    events: int = 10_000
    rate: int = 50
    seconds: int = 10
    pool: int = 8
    sink: str = "lean"
    sink_processes: int = 1
    profile: str | None = None
    sender_process: bool = False
    relays: tuple[str, ...] = ("process",)
    only_split: bool = False
    hand: int | None = None
    intakes: int = 1
    partitions: int = 3


async def raw_phase(
    received: Received, port: int, o: Options, report: dict[str, Any], key: str
) -> None:
    """Measure raw aiosmtplib over the pool's number of connections into ``report[key]``."""
    print(f"raw aiosmtplib: {o.events} messages over {o.pool} connections", file=sys.stderr)
    received.clear()
    cpu = time.process_time()
    rate = await raw_rate(port, o.events, o.pool)
    report[key] = round(rate, 1)
    report[key.replace("mails_per_s", "cpu_share")] = round(
        (time.process_time() - cpu) * rate / o.events, 2
    )
    await until(received, o.events, 60, "raw")  # the sink saw every one
    print(f"  {report[key]} mails/s", file=sys.stderr)
    received.clear()


async def shared_partitions(core: Any, intakes: int, within: float = 60.0) -> None:
    """Wait until this process's consumer holds its share of the partitions (the others joined)."""
    consumer = core.runtime.runners[0].subscriber.consumer
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        held = consumer.assignment() if consumer is not None else set()
        total = len(core.runtime.runners[0].topics) * core.runtime.settings.kafka_topic_partitions
        if held and len(held) <= -(-total // intakes):
            await asyncio.sleep(1.0)  # the others' first fetch
            print(f"  this intake holds {len(held)} of {total} partitions", file=sys.stderr)
            return
        await asyncio.sleep(0.2)
    raise TimeoutError("the other intakes did not join the consumer group")


def sender_env(settings: NotifySettings, port: int) -> dict[str, str]:
    """Return the environment of ``python -m notify sender`` / ``relay`` for these settings."""
    env = {
        f"NOTIFY_{k.upper()}": json.dumps(v) if isinstance(v, dict) else str(v)
        for k, v in settings.model_dump(exclude_defaults=True).items()
        if not isinstance(v, SecretStr)
    }
    env.update(
        NOTIFY_JWT_SECRET=settings.jwt_secret.get_secret_value(),
        NOTIFY_HTTP_PORT=str(port),
        NOTIFY_SENDER_IN_PROCESS="false",
        NOTIFY_LOG_LEVEL="WARNING",
    )
    return env


def cpu_seconds(pid: int) -> float:
    """Return the CPU time (user + system) a process of this machine has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def backends_cpu(core: Any) -> dict[int, float]:
    """Return the CPU used so far by each PostgreSQL backend of the bench's database (by pid).

    The server runs on this machine (loopback), so its backends are processes here; one that is
    gone or not ours to read is left out.
    """
    async with core.runtime.engine.connect() as conn:
        pids = (
            await conn.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            )
        ).scalars()
        used = {}
        for pid in pids:
            with contextlib.suppress(OSError):
                used[int(pid)] = cpu_seconds(int(pid))
    return used


@contextlib.asynccontextmanager
async def notify_process(
    settings: NotifySettings, *command: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Start ``python -m notify [command]`` (``sender``, ``relay``; none: an HTTP process taking
    events in); yield it once its metrics answer."""
    port = free_port()
    env = {**os.environ, **sender_env(settings, port)}
    child = await asyncio.create_subprocess_exec(sys.executable, "-m", "notify", *command, env=env)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            deadline = time.monotonic() + 120
            while True:
                assert child.returncode is None, f"python -m notify {command} exited"
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/metrics")).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"python -m notify {command} did not start")
                await asyncio.sleep(0.2)
        yield child
    finally:
        if child.returncode is None:
            child.terminate()
            await child.wait()


async def notify_phase(
    received: Received,
    port: int,
    o: Options,
    report: dict[str, Any],
    *,
    split: bool,
    profiler: cProfile.Profile | None,
    relay: str = "process",
    tag: str = "",
) -> None:
    """Burst and paced latency through notify into ``report`` (``split``: the sender apart).

    ``split`` runs notify as the sender apart: this process takes events in (consumers, digest;
    the relay too with ``relay="intake"``), ``python -m notify sender`` sends and, with
    ``relay="process"``, ``python -m notify relay`` relays the outbox; the keys then start with
    ``split_`` (``tag``: another prefix, to compare the two in one run).
    """
    events, rate, seconds, pool = o.events, o.rate, o.seconds, o.pool
    tag = tag or ("split_" if split else "")
    async with fresh_database() as url:
        prefix = unique("bench") + "."
        settings = settings_for(
            url,
            prefix,
            smtp_port=port,
            routes=json.dumps(ROUTES),
            sender_batch=500,
            smtp_pool=pool,
            consumer_max_records=500,
            job_lease_seconds=120.0,
            sender_poll_seconds=1.0,
            job_interval_seconds=2.0,
            relay_poll_seconds=1.0,
            sender_in_process=not split,
            relay_in_process=not split or relay == "intake",
            kafka_topic_partitions=o.partitions,
            **({} if o.hand is None else {"sender_concurrency": o.hand}),
        )
        async with contextlib.AsyncExitStack() as stack:
            relay_here = settings.relay_in_process
            core = await stack.enter_async_context(
                running_core(settings, jobs=True, relay=relay_here)
            )
            async with core.services.uow() as uow:
                store = core.services.store(uow)
                await store.upsert_recipient(
                    UNIT, name="县交通运输局", township="330102001", active=True
                )
                await store.set_contact(UNIT, Channel.email, "bench@example.cn")
                await uow.commit()
            child_sender = (
                await stack.enter_async_context(notify_process(settings, "sender"))
                if split
                else None
            )
            child_relay = (
                await stack.enter_async_context(notify_process(settings, "relay"))
                if split and relay == "process"
                else None
            )
            others = [  # more intake processes in the consumer group (HTTP processes, as deployed)
                await stack.enter_async_context(
                    notify_process(settings.model_copy(update={"relay_in_process": False}))
                )
                for _ in range(o.intakes - 1 if split else 0)
            ]
            if others:
                await shared_partitions(core, o.intakes)

            async def probe() -> str:
                d = core.services.tables.deliveries
                async with core.runtime.engine.connect() as conn:
                    found = await conn.execute(
                        select(d.c.status, func.count()).group_by(d.c.status)
                    )
                    return "deliveries " + str(dict(found.all()))  # type: ignore[arg-type]

            producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers(), linger_ms=5)
            await producer.start()
            try:
                how = f"the sender apart, relay: {relay}" if split else "one process"
                print(f"notify ({how}): {events} events published at once", file=sys.stderr)
                async with publisher(prefix, 0, events) as child:
                    assert child.stdin is not None
                    assert child.stdout is not None
                    if profiler is not None:
                        profiler.enable()
                    statements = Statements(core.runtime.engine)
                    statements.start()
                    lagging = asyncio.create_task(statements.watch_loop())
                    handled = handle_seconds(core)
                    start, cpu = time.perf_counter(), time.process_time()
                    went = time.time()
                    other = cpu_seconds(child_sender.pid) if child_sender is not None else 0.0
                    relayed = cpu_seconds(child_relay.pid) if child_relay is not None else 0.0
                    taking = [cpu_seconds(p.pid) for p in others]
                    backends = await backends_cpu(core)
                    child.stdin.write(b"go\n")
                    await child.stdin.drain()
                    await until(received, events, max(600.0, events / 10), "notify", probe)
                    elapsed = time.perf_counter() - start
                    statements.stop()
                    lagging.cancel()
                    now_handled = handle_seconds(core)
                    spent = statements.summary()
                    spent["handle_s"] = round(now_handled[0] - handled[0], 2)
                    spent["handled_batches"] = now_handled[1] - handled[1]
                    report[tag + "intake_time"] = spent
                    print(f"  intake's time: {spent}", file=sys.stderr)
                    said = (await child.stdout.readline()).split()
                    report[tag + "publish_s"] = float(said[1]) if len(said) == 2 else None
                if profiler is not None:
                    profiler.disable()
                    profiler.dump_stats(str(o.profile))
                report[tag + "notify_cpu_share"] = round((time.process_time() - cpu) / elapsed, 2)
                if child_sender is not None:  # the sender process's share of a core
                    used = cpu_seconds(child_sender.pid) - other
                    report[tag + "sender_cpu_share"] = round(used / elapsed, 2)
                if child_relay is not None:  # the relay process's
                    used = cpu_seconds(child_relay.pid) - relayed
                    report[tag + "relay_cpu_share"] = round(used / elapsed, 2)
                after = await backends_cpu(core)  # those started meanwhile: all their CPU
                used = sum(cpu - backends.get(pid, 0.0) for pid, cpu in after.items())
                report[tag + "postgres_cpu_share"] = round(used / elapsed, 2)
                for i, (p, was) in enumerate(zip(others, taking, strict=True), start=2):
                    used = cpu_seconds(p.pid) - was
                    report[tag + f"intake{i}_cpu_share"] = round(used / elapsed, 2)
                await asyncio.sleep(1.0)  # a repeat would arrive now
                counts = Counter(received.ids)
                line = await timeline(core, received, went)
                show_timeline(line)
                report[tag + "timeline"] = line
                report[tag + "notify_mails_per_s"] = round(events / elapsed, 1)
                report[tag + "distinct_mails"] = len(counts)
                report[tag + "repeats"] = sum(n - 1 for n in counts.values())
                print(f"  {report[tag + 'notify_mails_per_s']} mails/s", file=sys.stderr)
                received.clear()
                await outbox_drained(core, within=300)  # the burst's events: steady state
                paced_events = [assigned(events + n) for n in range(rate * seconds)]
                paced = records(paced_events)
                published: dict[str, float] = {}
                print(f"latency: {rate} events/s for {seconds} s", file=sys.stderr)
                for i in range(0, len(paced), rate):
                    tick = time.perf_counter()
                    for e in paced_events[i : i + rate]:
                        key = DeliveryKey(e.id, UNIT, Channel.email).delivery_id()
                        published[key] = time.time()
                    await publish_all(producer, prefix, paced[i : i + rate])
                    await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - tick)))
                await until(received, len(paced), 120, "latency")
                latencies = sorted(
                    at - published[ident]
                    for ident, at in zip(received.ids, received.arrived, strict=True)
                )
                quantiles = statistics.quantiles(latencies, n=100)
                report[tag + "latency_p50_ms"] = round(quantiles[49] * 1000, 1)
                report[tag + "latency_p99_ms"] = round(quantiles[98] * 1000, 1)
                report[tag + "rss_mb"] = round(rss_mb(), 1)
                received.clear()
            finally:
                await producer.stop()


async def bench(o: Options) -> dict[str, Any]:
    """Run the three measurements; return the numbers (``profile``: cProfile the notify phase).

    Raw aiosmtplib is measured before and after notify's burst (the shared machine's load moves
    between phases); the ratio is to their mean. With ``sender_process`` notify runs both ways
    in the same run: one process, then two (the sender apart).
    """
    profiler = cProfile.Profile() if o.profile else None
    report: dict[str, Any] = {
        "events": o.events,
        "relays": ",".join(o.relays),
        "smtp_pool": o.pool,
        "sink": o.sink,
        "sink_processes": o.sink_processes,
    }
    async with smtp_process(o.sink, o.sink_processes) as (received, port):
        await raw_phase(received, port, o, report, "raw_mails_per_s_before")
        if not o.only_split:
            await notify_phase(received, port, o, report, split=False, profiler=profiler)
        if o.sender_process or o.only_split:
            for relay in o.relays:
                tag = "split_" if len(o.relays) == 1 else f"split_{relay}_"
                await notify_phase(
                    received, port, o, report, split=True, profiler=None, relay=relay, tag=tag
                )
        await raw_phase(received, port, o, report, "raw_mails_per_s_after")
    raw = (report["raw_mails_per_s_before"] + report["raw_mails_per_s_after"]) / 2
    report["raw_mails_per_s"] = round(raw, 1)  # the mean: what bench.suite shows
    if not o.only_split:
        report["ratio_to_raw"] = round(report["notify_mails_per_s"] / raw, 3)
    if o.sender_process or o.only_split:
        for relay in o.relays:
            tag = "split_" if len(o.relays) == 1 else f"split_{relay}_"
            report[tag + "ratio_to_raw"] = round(report[tag + "notify_mails_per_s"] / raw, 3)
    return report


def main() -> None:
    """Parse arguments, run, print one JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument(
        "--pool", type=int, default=8, help="SMTP connections of notify's sender and of raw's"
    )
    parser.add_argument("--sink", choices=("lean", "aiosmtpd"), default="lean", help="SMTP server")
    parser.add_argument("--sink-processes", type=int, default=1, help="SMTP server processes")
    parser.add_argument("--profile", help="write a cProfile of the notify phase to this file")
    parser.add_argument(
        "--sender-process",
        action="store_true",
        help="also run notify as two processes (python -m notify sender apart) in the same run",
    )
    parser.add_argument(
        "--relay",
        default="process",
        help="who relays the outbox with the sender apart: intake (the intake's process) or"
        " process (python -m notify relay, as deployed); both, comma-separated, run one after"
        " the other (keys split_<who>_…)",
    )
    parser.add_argument(
        "--only-split",
        action="store_true",
        help="run notify only with the sender apart (skip the one-process phase)",
    )
    parser.add_argument(
        "--hand", type=int, help="the sender's hand (SENDER_CONCURRENCY; default: the setting's)"
    )
    parser.add_argument(
        "--intakes",
        type=int,
        default=1,
        help="intake processes in the consumer group with the sender apart (the others: python -m"
        " notify, the HTTP process, relay off)",
    )
    parser.add_argument(
        "--partitions", type=int, default=3, help="partitions of the bench's topics"
    )
    parser.add_argument("--publish", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if set(args.relay.split(",")) - {"intake", "process"}:
        parser.error("--relay takes intake, process or both")
    if args.publish:
        prefix, first, count = args.publish.split()
        uvloop.run(publisher_process(prefix, int(first), int(count)))
        return
    options = Options(
        args.events,
        args.rate,
        args.seconds,
        args.pool,
        args.sink,
        args.sink_processes,
        args.profile,
        args.sender_process,
        tuple(args.relay.split(",")),
        args.only_split,
        args.hand,
        args.intakes,
        args.partitions,
    )
    results = uvloop.run(bench(options))  # the service's loop (kit.serve)
    emit_results(results)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
