"""End to end at a fixed offered rate: POST /suggestions → ledger entry visible, → e-mail received.

The four services run as processes (``python -m <service>``, tests/e2e/four_services.py) on the
real broker and fresh PostgreSQL databases, notify mailing a local SMTP sink. The roster goes in
through the deputies API (a township, a station, deputies) and notify's directory API (the
township's staff mailbox). Notify's routing is overridden (``NOTIFY_ROUTES``, as an operator would)
so a filed suggestion is mailed to the township staff at once rather than in their daily digest.

Suggestions are then filed open loop: request *n* is sent at ``start + n / rate`` whatever the
earlier ones are doing. Each 201 gives a case id and the time it was accepted; from then on:

- **ledger entry visible**: a watcher reads scoring's ``entries`` table (what the score card reads)
  every 10 ms for new rows (``seq`` above the last seen; subject ``case:<id>``) and stamps each
  case the first time one of its entries is there;
- **e-mail received**: the sink stamps each message as its DATA arrives; the case id is read from
  the message's text (the template's ``编号：<case id>``).

Notify's sender runs apart (``python -m notify sender``) as compose and Kubernetes deploy it;
``--notify-sender-in-process`` runs it in notify's HTTP process instead. Meanwhile each process's
resident memory (VmRSS in /proc) is sampled every 0.5 s, and PostgreSQL's checkpoints each second.
The stage histograms (notify's delivery stages, every consumer's batches, every route) are read
from every process's ``/metrics`` and summed. The seconds whose cases took their entry more than
250 ms are reported with each part's share and what was seen meanwhile (``bench/stalls.py``;
``--diagnose DIR`` adds every process's GC pauses and stalls and PostgreSQL's sessions).

Run: ``PYTHONPATH=.:tests/e2e python -m bench.end_to_end [--rate 100] [--seconds 30]
[--notify-sender-in-process] [--relays SERVICE ...] [--diagnose DIR]`` (``./dev bench --only "end to end"`` sets the path).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiohttp
from four_services import SERVICES, Running, four_services
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench.progress import Progress
from bench.stalls import TRACE_DIR, Case, PgSampler, gc_pauses, read_traces, slow_windows
from bench.trace.sitecustomize import install as trace_this_process
from contracts import topics
from county.api import Platform
from kit.principal import Role
from kit.testing import emit_results, read_all, wait_until
from notify.testing.sink_process import KINDS, Received

COUNTY = "990101"
TOWN = f"{COUNTY}001"
DEPUTIES = 20
ROUTES = {
    "cases.suggestion.submitted": [
        {"audience": "township_staff", "template": "cases.suggestion.submitted", "timing": "now"}
    ]
}
"""Notify's override: a filed suggestion mails the township staff now (the default is a digest)."""

DEPLOYED_RELAYS = ("cases", "notify")
"""The services whose relay compose and Kubernetes run apart (deploy/OPERATIONS.md "Scaling")."""

_CASE_ID = re.compile(r"编号：\s*(\S+)")


def observing(on: bool) -> None:
    """Keep the stage's own collector still while it stamps (its pauses would be the services').

    The stage stamps entries and mails as it sees them; a full collection of its own heap (the
    sink's parsed mails, every request's task) measured 0.3-1.8 s here and made cases look late
    by as much. While observing, what start-up left is frozen and the collector is off
    (reference counting still frees almost everything); it runs again afterwards.
    """
    if on:
        gc.collect()
        gc.freeze()
        gc.disable()
    else:
        gc.enable()
        gc.unfreeze()


def say(message: str) -> None:
    """Print one progress line of the stage."""
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def rss_mb(pid: int) -> float:
    """Return a process's resident memory in MB (Linux /proc), 0 once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """Return a process's user + system CPU time so far in seconds (Linux /proc), 0 once gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float | None:
    """Return the q-quantile (nearest rank) of some values, None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def summary(values: list[float]) -> dict[str, float | None]:
    """Return p50, p95, p99 and max of latencies in seconds, as milliseconds."""
    ms = [v * 1000 for v in values]
    return {
        "p50": percentile(ms, 0.50),
        "p95": percentile(ms, 0.95),
        "p99": percentile(ms, 0.99),
        "max": max(ms) if ms else None,
    }


def case_of(message: EmailMessage) -> str | None:
    """Return the case id a suggestion's mail names (its text part), if any."""
    body = message.get_body(preferencelist=("plain",))
    content = body.get_content() if body is not None else ""
    found = _CASE_ID.search(str(content))
    return found.group(1) if found else None


@dataclass
class Observed:
    """What the stage saw, in wall-clock seconds (``time.time()``, the sink's clock)."""

    sent: dict[int, float] = field(default_factory=dict)
    accepted: dict[str, float] = field(default_factory=dict)
    """Case id → when its 201 arrived."""
    scheduled: dict[str, float] = field(default_factory=dict)
    """Case id → when its request was due."""
    refused: list[str] = field(default_factory=list)
    visible: dict[str, float] = field(default_factory=dict)
    recorded: dict[str, float] = field(default_factory=dict)
    """Case id → its first entry's ``recorded_at`` (scoring's handler wrote it)."""
    mailed: dict[str, float] = field(default_factory=dict)
    published: dict[str, float] = field(default_factory=dict)
    """Case id → the Kafka timestamp of its ``cases.suggestion.submitted`` (cases' relay sent it)."""
    rss: dict[str, float] = field(default_factory=dict)
    idle_rss: dict[str, float] = field(default_factory=dict)


async def roster(api: Platform) -> list[str]:
    """Register the township, a station and the deputies; give the staff a mailbox in notify."""
    admin = api.token(Role.county_admin, COUNTY, who="bench-admin")
    await api.call(
        "deputies",
        "POST",
        "/api/v1/townships",
        admin,
        body={"code": TOWN, "name": "东湖镇", "kind": "town"},
    )
    station = await api.call(
        "deputies",
        "POST",
        "/api/v1/stations",
        admin,
        body={
            "township": TOWN,
            "name": "东湖镇人大代表之家",
            "kind": "home",
            "address": "青山县东湖镇",
            "schedule": "每单月15日",
        },
    )
    ids = []
    for n in range(DEPUTIES):
        made = await api.call(
            "deputies",
            "POST",
            "/api/v1/deputies",
            admin,
            body={
                "township": TOWN,
                "name": f"代表{n:02d}",
                "gender": "female" if n % 2 else "male",
                "levels": ["township"],
                "term": 18,
                "elected_on": "2021-12-28",
                "station_id": station.json()["id"],
            },
        )
        ids.append(str(made.json()["id"]))
    await api.call(
        "notify",
        "PUT",
        "/api/v1/directory/staff/S-bench",
        admin,
        version=0,
        body={
            "name": "东湖镇人大主席团",
            "township": TOWN,
            "offices": ["township_staff"],
            "contacts": {"email": "dh-office@example.cn"},
        },
    )
    return ids


def suggestion(n: int, deputy: str) -> dict[str, Any]:
    """Return the n-th suggestion's body, filed by one deputy."""
    return {
        "township": TOWN,
        "title": f"关于东湖镇第{n}号村道拓宽改造的建议",
        "content": "村道路面狭窄，会车困难，雨天积水严重，建议列入农村公路提升改造计划。",
        "category": "交通出行",
        "lead_deputy_id": deputy,
        "co_deputy_ids": [],
        "level": "township",
        "timing": "between_sessions",
    }


class Watch:
    """Stamps cases as their ledger entries and mails appear; samples memory."""

    def __init__(
        self, running: Running, engine: AsyncEngine, seen: Observed, notify: AsyncEngine
    ) -> None:
        self.running = running
        self.engine = engine
        self.notify = notify
        self.seen = seen
        self.last_seq = 0
        self.mails_read = 0
        self.waiting: dict[str, float] = {}
        """Delivery id → when its mail arrived, until notify's deliveries table names its case."""
        self.parsed_unmatched = 0
        self.stop = asyncio.Event()

    @property
    def unmatched(self) -> int:
        """Mails whose case is unknown (a parsed text naming none, a delivery id not found)."""
        return self.parsed_unmatched + len(self.waiting)

    async def ledger(self) -> None:
        """Read new ledger rows every 10 ms; stamp each case the first time it shows."""
        query = text("SELECT seq, subject, recorded_at FROM entries WHERE seq > :last ORDER BY seq")
        while not self.stop.is_set():
            async with self.engine.connect() as conn:
                rows = (await conn.execute(query, {"last": self.last_seq})).all()
            now = time.time()
            for seq, subject, recorded_at in rows:
                self.last_seq = max(self.last_seq, int(seq))
                case = str(subject).removeprefix("case:")
                self.seen.visible.setdefault(case, now)
                self.seen.recorded.setdefault(case, recorded_at.timestamp())
            await asyncio.sleep(0.01)

    async def mails(self) -> None:
        """Stamp each new mail's case with the time the mail server received it."""
        if self.running.received is None:
            self.parsed_mails()
        else:
            await self.reported_mails(self.running.received)

    async def reported_mails(self, received: Received) -> None:
        """Take the mail server's reports; the case of each is its delivery's subject in notify."""
        ids, arrived = received.ids[self.mails_read :], received.arrived[self.mails_read :]
        self.mails_read += len(ids)
        for ident, at in zip(ids, arrived, strict=True):
            self.waiting.setdefault(ident, at)
        if not self.waiting:
            return
        query = text("SELECT delivery_id, subject FROM deliveries WHERE delivery_id = ANY(:ids)")
        async with self.notify.connect() as conn:
            rows = (await conn.execute(query, {"ids": list(self.waiting)})).all()
        for ident, subject in rows:
            self.seen.mailed.setdefault(str(subject), self.waiting.pop(str(ident)))

    def parsed_mails(self) -> None:
        """Stamp each new parsed mail's case (its text names it) with when the sink received it."""
        sink = self.running.sink
        with sink.lock:
            messages, arrived = sink.messages[self.mails_read :], sink.arrived[self.mails_read :]
            fresh = list(zip(messages, arrived, strict=True))
            self.mails_read += len(fresh)
        for message, at in fresh:
            case = case_of(message)
            if case is None:
                self.parsed_unmatched += 1
            else:
                self.seen.mailed.setdefault(case, at)

    async def memory(self, into: dict[str, float]) -> None:
        """Keep the highest VmRSS of each service every 0.5 s until stopped."""
        while not self.stop.is_set():
            self.sample(into)
            await asyncio.sleep(0.5)

    def sample(self, into: dict[str, float]) -> None:
        """Record each service's VmRSS now if it is the highest so far."""
        for name, process in self.running.processes.items():
            into[name] = max(into.get(name, 0.0), rss_mb(process.pid))


async def file_one(
    session: aiohttp.ClientSession, token: str, body: dict[str, Any], due: float, seen: Observed
) -> None:
    """POST one suggestion; record when it was accepted (or why not)."""
    try:
        async with session.post(
            "/api/v1/suggestions", json=body, headers={"Authorization": f"Bearer {token}"}
        ) as response:
            answer = await response.read()
    except (aiohttp.ClientError, TimeoutError) as error:
        seen.refused.append(type(error).__name__)
        return
    now = time.time()
    if response.status != 201:
        seen.refused.append(str(response.status))
        return
    case = str(json.loads(answer)["case_id"])
    seen.accepted[case] = now
    seen.scheduled[case] = due


async def published(running: Running, seen: Observed) -> None:
    """Read cases.events to its end; stamp each suggestion with its record's Kafka timestamp."""
    for record in await read_all(running.prefix + topics.CASES, within=120):
        envelope = json.loads(record.value)
        if envelope["type"] == "cases.suggestion.submitted":
            seen.published.setdefault(str(envelope["data"]["case_id"]), record.timestamp / 1000)


def session_of(base: str) -> aiohttp.ClientSession:
    """Return an HTTP client of one service (aiohttp: a light client, so the load is the server's)."""
    return aiohttp.ClientSession(
        base_url=base,
        connector=aiohttp.TCPConnector(limit=200),
        timeout=aiohttp.ClientTimeout(total=60),
    )


async def offered(
    api: Platform,
    running: Running,
    deputies: list[str],
    rate: float,
    seconds: float,
    seen: Observed,
) -> float:
    """File ``rate × seconds`` suggestions on a fixed schedule; return the seconds the sending took."""
    total = int(rate * seconds)
    tokens = [api.token(Role.deputy, TOWN, who=d) for d in deputies]
    shown = Progress(f"filing at {rate:.0f}/s", total)
    async with session_of(running.urls.cases) as session:
        tasks: list[asyncio.Task[None]] = []
        start = time.time()
        for n in range(total):
            due = start + n / rate
            await asyncio.sleep(max(0.0, due - time.time()))
            d = n % len(deputies)
            body = suggestion(n + 1, deputies[d])
            tasks.append(asyncio.create_task(file_one(session, tokens[d], body, due, seen)))
            shown.update(n + 1)
        sending = time.time() - start
        shown.finish()
        say(f"all {total} sent in {sending:.1f} s; waiting for the answers …")
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=120)
    return sending


async def warm_up(api: Platform, running: Running, watch: Watch, deputies: list[str]) -> None:
    """File one suggestion until cases has the roster; wait for its ledger entry and its mail."""
    probe = Observed()
    token = api.token(Role.deputy, TOWN, who=deputies[0])
    async with session_of(running.urls.cases) as session:

        async def filed() -> bool:
            await file_one(session, token, suggestion(0, deputies[0]), time.time(), probe)
            return bool(probe.accepted)  # 422 until cases has the roster

        await wait_until(filed, within=120, interval=0.5)
    (case,) = probe.accepted

    async def through() -> bool:
        await watch.mails()
        return case in watch.seen.visible and case in watch.seen.mailed

    await wait_until(through, within=120, interval=0.2)


async def tail(watch: Watch, seen: Observed, quiet: float = 45.0, within: float = 300.0) -> None:
    """Wait until every accepted case has its entry and its mail, or nothing came for ``quiet`` s.

    45 s: longer than notify's first retry of a failed send (30 s), so a retried mail is late, not lost.
    """
    started = last = time.time()
    count = 0
    while time.time() - started < within and time.time() - last < quiet:
        entries = sum(c in seen.visible for c in seen.accepted)
        if entries == len(seen.accepted) or time.time() - last > 2.0:
            # the mails only once the entries are in (or stopped coming): the sink holds thousands
            # after the load, and parsing them held the loop, so the ledger's stamps, for 1.4-1.8 s
            # (the mails' own times are the sink's, taken as they arrived)
            await watch.mails()
        done = entries + sum(c in seen.mailed for c in seen.accepted)
        if done == 2 * len(seen.accepted):
            return
        if done > count:
            count, last = done, time.time()
        await asyncio.sleep(0.2)
    missing = 2 * len(seen.accepted) - count
    say(f"gave up waiting after {time.time() - started:.0f} s: {missing} entries and mails missing")


async def delivery_states(url: str) -> dict[str, Any]:
    """Return notify's deliveries by status, and a few of those not sent with their last error."""
    engine = create_async_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            counts = await conn.execute(
                text("SELECT status, count(*) AS n FROM deliveries GROUP BY status")
            )
            unsent = await conn.execute(
                text(
                    "SELECT status, attempts, next_at, last_error FROM deliveries"
                    " WHERE status <> 'sent' ORDER BY created_at LIMIT 10"
                )
            )
            return {
                "by_status": {str(r.status): int(r.n) for r in counts},
                "not_sent": [
                    {
                        "status": r.status,
                        "attempts": r.attempts,
                        "next_at": str(r.next_at),
                        "last_error": r.last_error,
                    }
                    for r in unsent
                ],
            }
    finally:
        await engine.dispose()


STAGE_HISTOGRAMS = {
    "notify_delivery_stage_seconds": "stage",
    "kit_consumer_handle_seconds": "group",
    "kit_http_request_seconds": "route",
}
"""The histograms the stage reports, each by its label: notify's delivery stages, every
consumer's batch, every route."""


async def stage_histograms(urls: list[str]) -> dict[str, dict[str, dict[str, float]]]:
    """Return p50, p99 (ms, bucket upper bounds) and counts of the stage histograms.

    Read from every process's ``/metrics`` and summed: a histogram observed in several processes
    (notify's stages: intake in the HTTP process, claim and send in the sender) is one series.
    """
    buckets: dict[str, dict[str, dict[float, float]]] = {}
    async with aiohttp.ClientSession() as session:
        for url in urls:
            async with session.get(f"{url}/metrics") as response:
                exposition = await response.text()
            for family in text_string_to_metric_families(exposition):
                label = STAGE_HISTOGRAMS.get(family.name)
                if label is None:
                    continue
                for sample in family.samples:
                    if sample.name.endswith("_bucket"):
                        key = f"{family.name}{{{sample.labels[label]}}}"
                        le = float(sample.labels["le"])
                        series = buckets.setdefault(family.name, {}).setdefault(key, {})
                        series[le] = series.get(le, 0.0) + sample.value
    found: dict[str, dict[str, dict[str, float]]] = {}
    for name, by_key in buckets.items():
        for key, series in by_key.items():
            pairs = sorted(series.items())
            total = pairs[-1][1]
            if not total:
                continue
            found.setdefault(name, {})[key] = {
                **{
                    f"p{q}": 1000 * next(le for le, n in pairs if n >= total * q / 100)
                    for q in (50, 99)
                },
                "count": total,
            }
    return found


async def run(
    rate: float,
    seconds: float,
    logs: Path | None,
    *,
    sender_process: bool = True,
    relays_apart: tuple[str, ...] = DEPLOYED_RELAYS,
    diagnose: Path | None = None,
    mail_server: str = "lean",
) -> dict[str, Any]:
    """Start the platform, load the roster, offer the load, wait for the tail; return results.

    ``sender_process``: notify's sender apart (``python -m notify sender``), as deployed.
    ``relays_apart``: the services whose outbox relay runs apart (``python -m <service> relay``):
    cases', as deployed.
    ``diagnose``: a folder where every process (the stage's too) traces its GC pauses and
    stalls, and PostgreSQL's sessions are sampled as well.
    ``mail_server``: the SMTP server notify sends to, in a process of its own (``lean``, or
    ``aiosmtpd``), or ``thread``: aiosmtpd in the stage's own process, every mail parsed (it
    took the stage's GIL and a share of a core from the services: the stage's measurements
    until 2026-12-01).
    """
    seen = Observed()
    say("starting deputies, cases, scoring and notify as processes …")
    started = time.perf_counter()
    env = {"NOTIFY_ROUTES": json.dumps(ROUTES)}  # only notify reads it
    if diagnose is not None:
        path = os.pathsep.join(filter(None, [str(TRACE_DIR), os.environ.get("PYTHONPATH")]))
        env |= {"PYTHONPATH": path, "BENCH_TRACE_DIR": str(diagnose)}
        trace_this_process(str(diagnose))
    async with four_services(
        logs,
        extra_env=env,
        notify_sender_process=sender_process,
        relays_apart=relays_apart,
        mail_server=mail_server,
    ) as running:
        say(f"ready in {time.perf_counter() - started:.0f} s (prefix {running.prefix})")
        engine = create_async_engine(running.databases["scoring"], pool_size=2)
        notify_db = create_async_engine(running.databases["notify"], pool_size=1)
        watch = Watch(running, engine, seen, notify_db)
        sampler = PgSampler(
            engine,
            frozenset(url.rsplit("/", 1)[1] for url in running.databases.values()),
            sessions=diagnose is not None,
        )
        background = [asyncio.create_task(watch.ledger())]
        try:
            async with running.client() as api:
                deputies = await roster(api)
                say(
                    f"roster: township {TOWN}, {len(deputies)} deputies, staff mailbox; warming up …"
                )
                await warm_up(api, running, watch, deputies)
                watch.sample(seen.idle_rss)
                say("every service has the roster and one suggestion went through; offering load")
                background.append(asyncio.create_task(watch.memory(seen.rss)))
                background.append(asyncio.create_task(sampler.run()))
                load_before = os.getloadavg()[0]
                observing(True)
                pids = {n: p.pid for n, p in running.processes.items()}
                if running.received is not None:
                    pids |= {f"mail server {i}": p for i, p in enumerate(running.received.pids)}
                cpu_before = {n: cpu_seconds(pid) for n, pid in pids.items()}
                own_before, wall_before = time.process_time(), time.time()
                sending = await offered(api, running, deputies, rate, seconds, seen)
                load_after = os.getloadavg()[0]
            say(f"{len(seen.accepted)} accepted; waiting for the last entries and mails …")
            await tail(watch, seen)
            observed_until = time.time()
            observing(False)
            await published(running, seen)
            sampler.stop.set()
            deliveries = await delivery_states(running.databases["notify"])
            histograms = await stage_histograms(list(running.probes.values()))
            stages = {
                key.split("{")[1].rstrip("}"): {q: v for q, v in value.items() if q != "count"}
                for key, value in histograms.get("notify_delivery_stage_seconds", {}).items()
            }
            say(
                f"notify's stages (ms, bucket bounds; claimed and accepted from taken in): {stages}"
            )
            if deliveries["not_sent"]:
                say(f"notify's deliveries not sent: {deliveries}")
            wall = time.time() - wall_before
            cpu = {n: cpu_seconds(pid) - cpu_before[n] for n, pid in pids.items()}
            cpu["bench client"] = time.process_time() - own_before
            exited = {
                n: p.returncode for n, p in running.processes.items() if p.returncode is not None
            }
        finally:
            observing(False)
            watch.stop.set()
            for task in background:
                task.cancel()
            ended = await asyncio.gather(*background, return_exceptions=True)
            await engine.dispose()
            await notify_db.dispose()
        failed = [repr(e) for e in ended if not isinstance(e, asyncio.CancelledError | None)]
        if failed:  # a watcher that died would make every later case look lost
            raise RuntimeError(f"a watcher of the stage failed: {failed}")
        names = {p.pid: n for n, p in running.processes.items()} | {os.getpid(): "bench client"}
        say("stopping the services …")
    events = sampler.events + (read_traces(diagnose, names) if diagnose is not None else [])
    cases = {
        c: Case(t, seen.published.get(c), seen.recorded.get(c), seen.visible.get(c))
        for c, t in seen.accepted.items()
    }
    windows = slow_windows(cases, sorted(events))
    for window in windows:
        say(f"slow second: {json.dumps(window, ensure_ascii=False, indent=1)}")
    accepted = seen.accepted
    to_entry = [seen.visible[c] - t for c, t in accepted.items() if c in seen.visible]
    to_mail = [seen.mailed[c] - t for c, t in accepted.items() if c in seen.mailed]
    http = [t - seen.scheduled[c] for c, t in accepted.items()]
    to_kafka = [seen.published[c] - t for c, t in accepted.items() if c in seen.published]
    kafka_to_entry = [
        seen.visible[c] - seen.published[c]
        for c in accepted
        if c in seen.visible and c in seen.published
    ]
    kafka_to_mail = [
        seen.mailed[c] - seen.published[c]
        for c in accepted
        if c in seen.mailed and c in seen.published
    ]
    offered_n = int(rate * seconds)
    return {
        "offered_rate_per_s": rate,
        "load_seconds": seconds,
        "offered": offered_n,
        "achieved_rate_per_s": offered_n / sending if sending else 0.0,
        "accepted_rate_per_s": len(accepted) / sending if sending else 0.0,
        "accepted": len(accepted),
        "refused": len(seen.refused),
        "refusals": sorted(set(seen.refused)),
        "http_ms": summary(http),
        "entry_ms": summary(to_entry),
        "entry_lost": len(accepted) - len(to_entry),
        "mail_ms": summary(to_mail),
        "mail_lost": len(accepted) - len(to_mail),
        "mails_received": watch.mails_read,
        "mails_without_case_id": watch.unmatched,
        "notify_deliveries": deliveries,
        "notify_stage_ms": stages,
        "stage_histograms_ms": histograms,
        "slow_windows": windows,
        "checkpoints_during_load": sum(e.startswith("pg checkpoint") for _, e in sampler.events),
        "gc_pauses_ms": gc_pauses(events, wall_before, observed_until),
        "published_ms": summary(to_kafka),
        "published_to_entry_ms": summary(kafka_to_entry),
        "published_to_mail_ms": summary(kafka_to_mail),
        "rss_mb": seen.rss,
        "idle_rss_mb": seen.idle_rss,
        "exited": exited,
        "load_average": {"before": load_before, "after": load_after},
        "cpu_share": {n: c / wall for n, c in cpu.items()},
        "cpu_ms_per_accepted": {n: 1000 * c / max(1, len(accepted)) for n, c in cpu.items()},
        "detection": "scoring's entries table polled every 10 ms; mails stamped by the SMTP"
        " server as they arrive; published = the Kafka record timestamp on cases.events",
        "mail_server": mail_server,
        "services": list(running.processes),
        "notify_sender_process": sender_process,
        "relays_apart": list(relays_apart),
        "diagnosed": diagnose is not None,
    }


def main(argv: list[str] | None = None) -> None:
    """Run the stage; print and emit its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0, help="suggestions offered per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the load is offered")
    parser.add_argument("--logs", type=Path, help="keep the services' logs in this folder")
    parser.add_argument(
        "--notify-sender-in-process",
        action="store_true",
        help="notify sends from its HTTP process (deployed: `python -m notify sender` apart)",
    )
    parser.add_argument(
        "--relays",
        nargs="*",
        choices=SERVICES,
        default=list(DEPLOYED_RELAYS),
        help="the services whose outbox relay runs as `python -m <service> relay`"
        " (deployed: cases and notify; none: `--relays`)",
    )
    parser.add_argument(
        "--diagnose",
        type=Path,
        help="trace every process's GC pauses and stalls into this folder and sample"
        " PostgreSQL's sessions; the slow seconds are reported with what they saw",
    )
    parser.add_argument(
        "--mail-server",
        choices=("thread", *KINDS),
        default="lean",
        help="the SMTP server notify sends to: in a process of its own (lean: notify's bench"
        " sink; aiosmtpd), or thread: aiosmtpd in the stage's process, every mail parsed",
    )
    args = parser.parse_args(argv)
    if args.logs:
        args.logs.mkdir(parents=True, exist_ok=True)
    if args.diagnose:
        args.diagnose.mkdir(parents=True, exist_ok=True)
    stage = run(
        args.rate,
        args.seconds,
        args.logs,
        sender_process=not args.notify_sender_in_process,
        relays_apart=tuple(args.relays),
        diagnose=args.diagnose,
        mail_server=args.mail_server,
    )
    results = asyncio.run(asyncio.wait_for(stage, 900))
    emit_results(results)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
