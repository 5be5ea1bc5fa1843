"""Bench of the cases service on real PostgreSQL (and Kafka for the relay).

1. Chase scheduler tick with N open assigned cases (default 1,000,000), bulk-loaded with COPY, of
   which ~0.1 % owe a warning today (target: a tick finds and announces them in < 1 s).
2. POST /api/v1/suggestions on one ``python -m cases`` process (PostgreSQL, outbox, relay to
   Kafka) driven over HTTP by C concurrent clients (target >= 300 requests/s, p99 < 100 ms), next
   to raw asyncpg writing a case row and an outbox row per transaction at the same concurrency.

Run: ``.venv/bin/python services/cases/bench_cases.py [--cases 1000000] [--due 0.1]
[--concurrency 16] [--seconds 20] [--skip-tick] [--skip-post]`` with ``TEST_DATABASE_URL`` (a
fresh database is created next to it, and dropped) and ``KAFKA_BOOTSTRAP_SERVERS``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import random
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time as clock_time, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Dialect, Engine, make_url

from cases import events
from cases.adapters.codec import case_to_doc
from cases.adapters.store import case_columns
from cases.adapters.tables import make_schema
from cases.bootstrap import migrate
from cases.domain import handling, intake
from cases.domain.chasing import Notice, RunningClock, due_announcements, next_chase_day
from cases.domain.clocks import Clocks
from cases.domain.model import Case
from cases.domain.records import Actor, Unit
from cases.domain.states import FINAL, State
from cases.domain.workdays import WorkCalendar
from cases.handlers.context import Services
from cases.jobs import chase
from cases.metrics import refresh_gauges
from cases.testing import bodies
from cases.testing.harness import COUNTY, TOWNSHIP, headers, settings_for
from cases.wiring import wire
from contracts import topics
from contracts.vocabulary import CaseKind, Clock, HandlingRole
from kit.clock import CHINA
from kit.outbox import Outbox
from kit.testing import bootstrap_servers, emit_results, fresh_database, read_all, unique
from kit.web import load as http_load

ROOT = Path(__file__).resolve().parents[2]
SECRET = "cases-bench-hs256-secret-of-at-least-32-bytes"  # noqa: S105 (a bench-only secret)
TOWNSHIPS = tuple(f"{COUNTY}{n:03d}" for n in range(1, 9))
STAFF = Actor("bench-staff", frozenset({"township_staff"}))
ADMIN = Actor("bench-county", frozenset({"county_admin"}))
CHUNK = 50_000
SPREAD_DAYS = 200
REPEATS = 5
TICK_TARGET_S = 1.0
RPS_TARGET = 300.0
P99_TARGET_MS = 100.0
DUE_QUERY = (
    "SELECT case_id, version FROM cases WHERE chase_on IS NOT NULL AND chase_on <= $1"
    " ORDER BY chase_on, case_id LIMIT 500"
)


def _progress(stage: str, done: int, total: int) -> None:
    print(f"  {stage:<6} {done:>9}/{total}", file=sys.stderr, flush=True)


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _raw_dsn(url: str) -> str:
    """Return the asyncpg DSN of a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _at(day: date) -> datetime:
    """Return 10 o'clock in China on ``day``, in UTC."""
    return datetime.combine(day, clock_time(10), CHINA).astimezone(UTC)


# 1. the chase tick ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """A handling clock one loaded case runs on, and the day the scheduler must look at it next."""

    complex_: bool
    start: date
    due: date
    chase_on: date


def _template(clocks: Clocks, day: date) -> Case:
    """Return one realistic assigned suggestion, driven through the domain."""
    case = intake.receive(
        case_id="bench-template",
        kind=CaseKind.suggestion,
        township=TOWNSHIP,
        title="关于拓宽青石村至镇区道路的建议",
        content="青石村至镇区道路狭窄，会车困难，雨天积水严重，建议拓宽改造并完善排水设施。",
        category="交通",
        deputy_ids=("dep-1", "dep-2"),
        by=STAFF,
        at=_at(day),
        clocks=clocks,
    )
    intake.accept(case, by=STAFF, at=_at(day))
    lead, co = bodies.UNITS[0], bodies.UNITS[1]
    handling.assign(
        case,
        lead=Unit(lead[0], lead[1], HandlingRole.lead),
        co=(Unit(co[0], co[1], HandlingRole.co),),
        by=ADMIN,
        at=_at(day),
        clocks=clocks,
    )
    return case


def _slots(svc: Services, clocks: Clocks, today: date) -> tuple[list[Slot], list[Slot]]:
    """Return clocks whose next chase day is after ``today``, and clocks owing a warning today."""
    later: list[Slot] = []
    due: list[Slot] = []
    for complex_ in (False, True):
        kind = Clock.complex_suggestion if complex_ else Clock.suggestion
        for back in range(400):
            start = today - timedelta(days=back)
            due_on = clocks.due_on(kind, start)
            clock = RunningClock(start, due_on)
            if due_on >= today:
                nxt = next_chase_day(clock, today + timedelta(days=1), svc.calendar, svc.chase)
                later.append(Slot(complex_, start, due_on, nxt))
            first = next_chase_day(clock, start, svc.calendar, svc.chase)
            owed = due_announcements(clock, today, set(), svc.calendar, svc.chase)
            if today - timedelta(days=2) <= first <= today and [a.notice for a in owed] == [
                Notice.warning
            ]:
                due.append(Slot(complex_, start, due_on, first))
    return later, due


class Loader:
    """Builds the rows of N assigned cases from one template case (timeline rows skipped)."""

    def __init__(self, svc: Services, clocks: Clocks, today: date, due_share: float) -> None:
        template = _template(clocks, today)
        self.columns = case_columns(template, None)
        self.doc = case_to_doc(template)
        later, due = _slots(svc, clocks, today)
        assert due, "no clock owes a warning on the tick day"
        by_day: dict[date, list[Slot]] = {}
        for slot in later:
            by_day.setdefault(slot.chase_on, []).append(slot)
        last = today + timedelta(days=SPREAD_DAYS)
        self.days = sorted(d for d in by_day if d <= last)
        self.by_day = by_day
        self.due = due
        self.every = max(1, round(100 / due_share)) if due_share > 0 else 0
        self.assign_by = {
            today - timedelta(days=n): clocks.assign_by(today - timedelta(days=n))
            for n in range(420)
        }
        self.units = [
            (
                bodies.UNITS[k][0],
                bodies.UNITS[(k + 1) % len(bodies.UNITS)][0],
                [
                    {"unit_id": bodies.UNITS[k][0], "name": bodies.UNITS[k][1], "role": "lead"},
                    {
                        "unit_id": bodies.UNITS[(k + 1) % len(bodies.UNITS)][0],
                        "name": bodies.UNITS[(k + 1) % len(bodies.UNITS)][1],
                        "role": "co",
                    },
                ],
            )
            for k in range(len(bodies.UNITS))
        ]

    def is_due(self, n: int) -> bool:
        """Tell whether the n-th case owes a warning on the tick day."""
        return self.every > 0 and n % self.every == self.every // 2

    def chunk(self, first: int, last: int, seed: int) -> tuple[list[tuple[Any, ...]], list[Any]]:
        """Return the case rows and the case_units rows of cases ``first`` to ``last - 1``."""
        rng = random.Random(seed)  # noqa: S311 (synthetic data, not secrets)
        base, doc = self.columns, self.doc
        cases: list[tuple[Any, ...]] = []
        links: list[tuple[str, str, str]] = []
        for n in range(first, last):
            if self.is_due(n):
                slot = self.due[n % len(self.due)]
            else:
                slot = rng.choice(self.by_day[rng.choice(self.days)])
            case_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            township = TOWNSHIPS[n % len(TOWNSHIPS)]
            received = slot.start - timedelta(days=rng.randrange(0, 6))
            lead, co, units = self.units[n % len(self.units)]
            body = dict(doc)
            body.update(
                case_id=case_id,
                township=township,
                received_on=received.isoformat(),
                assign_by=self.assign_by[received].isoformat(),
                complex_=slot.complex_,
                units=units,
                assigned_on=slot.start.isoformat(),
                clock=(Clock.complex_suggestion if slot.complex_ else Clock.suggestion).value,
                clock_start=slot.start.isoformat(),
                due_on=slot.due.isoformat(),
            )
            at = _at(slot.start)
            cases.append(
                (
                    case_id,
                    base["kind"],
                    township,
                    base["state"],
                    base["category"],
                    base["title"],
                    base["submitter"],
                    lead,
                    received,
                    slot.due,
                    slot.chase_on,
                    base["key_chase"],
                    base["solved"],
                    None,
                    None,
                    None,
                    None,
                    json.dumps(body, ensure_ascii=False),
                    base["version"],
                    at,
                    at,
                )
            )
            links.append((lead, case_id, "lead"))
            links.append((co, case_id, "co"))
        return cases, links


CASE_COLUMNS = (
    "case_id",
    "kind",
    "township",
    "state",
    "category",
    "title",
    "submitter",
    "lead_unit_id",
    "received_on",
    "due_on",
    "chase_on",
    "key_chase",
    "solved",
    "replied_on",
    "reply_class",
    "on_time",
    "result",
    "doc",
    "version",
    "created_at",
    "updated_at",
)


async def load(url: str, loader: Loader, total: int) -> None:
    """COPY ``total`` cases and their units in chunks; generating a chunk overlaps the last COPY."""
    cases_conn = await asyncpg.connect(_raw_dsn(url))
    units_conn = await asyncpg.connect(_raw_dsn(url))
    try:
        pending: list[asyncio.Task[Any]] = []
        done = 0
        for first in range(0, total, CHUNK):
            last = min(total, first + CHUNK)
            rows, links = await asyncio.to_thread(loader.chunk, first, last, first)
            await asyncio.gather(*pending)
            if pending:
                _progress("loaded", done, total)
            pending = [
                asyncio.create_task(
                    cases_conn.copy_records_to_table("cases", records=rows, columns=CASE_COLUMNS)
                ),
                asyncio.create_task(
                    units_conn.copy_records_to_table(
                        "case_units", records=links, columns=("unit_id", "case_id", "role")
                    )
                ),
            ]
            done = last
        await asyncio.gather(*pending)
        _progress("loaded", done, total)
    finally:
        await cases_conn.close()
        await units_conn.close()


def _loadavg() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def _ms(values: list[float]) -> str:
    return " ".join(f"{v * 1000:.1f}" for v in values)


class StatementClock:
    """Counts the SQL statements an engine runs, and the wall time each kind takes."""

    def __init__(self) -> None:
        self.count: Counter[str] = Counter()
        self.spent: dict[str, float] = {}
        self._started: list[float] = []

    @staticmethod
    def key(sql: str) -> str:
        """Return "VERB table" of a statement."""
        words = sql.split()
        verb = words[0].upper()
        target = next(
            (w for i, w in enumerate(words[1:]) if words[i].upper() in ("FROM", "INTO")),
            words[1] if verb == "UPDATE" else "",
        )
        if verb == "SELECT" and target:
            what = " ".join(words[1 : [w.upper() for w in words].index("FROM")])
            what = what if len(what) <= 40 else what[:37] + "..."
            return f"{verb} {what} <- {target}"
        return f"{verb} {target}".strip()

    def before(self, *_args: Any) -> None:
        """Note when a statement starts."""
        self._started.append(time.perf_counter())

    def after(self, _conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        """Add a finished statement."""
        key = self.key(sql)
        self.count[key] += 1
        self.spent[key] = self.spent.get(key, 0.0) + time.perf_counter() - self._started.pop()

    @contextlib.contextmanager
    def listening(self, engine: Engine) -> Iterator[None]:
        """Listen to an engine's statements inside the block."""
        event.listen(engine, "before_cursor_execute", self.before)
        event.listen(engine, "after_cursor_execute", self.after)
        try:
            yield
        finally:
            event.remove(engine, "before_cursor_execute", self.before)
            event.remove(engine, "after_cursor_execute", self.after)

    def rows(self) -> list[tuple[str, int, float]]:
        """Return (kind, statements, seconds), the most time first."""
        return sorted(((k, self.count[k], self.spent[k]) for k in self.count), key=lambda r: -r[2])


def _vacuum(conn: Any) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        await conn.execute("VACUUM (ANALYZE) cases")
        await conn.execute("VACUUM (ANALYZE) case_units")
        await conn.execute("CHECKPOINT")  # write the load out before timing anything

    return run


def _open_cases_sql(svc: Services, dialect: Dialect) -> str:
    """Return the SQL of the open-cases count of the ``case_gauges`` job (not part of a tick)."""
    c = svc.tables.cases.c
    ended = [State.closed.value, *(s.value for s in FINAL)]
    query = select(c.township, func.count()).where(c.state.not_in(ended)).group_by(c.township)
    return str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


async def _timed(action: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await action()
    return time.perf_counter() - started, result


async def bench_tick(total: int, due_share: float) -> dict[str, Any]:
    """Load N cases, then time the chase ticks on the day the due ones owe their warning."""
    results: dict[str, Any] = {}
    async with fresh_database() as url:
        settings = settings_for(url, unique("bench") + ".")
        await migrate(settings)
        core = wire(settings)
        svc = core.services
        try:
            today = svc.today()
            clocks = Clocks(svc.calendar, svc.policy)
            loader = Loader(svc, clocks, today, due_share)
            expected = sum(1 for n in range(total) if loader.is_due(n))
            print(
                f"loading {total} assigned cases (+{2 * total} case_units rows) with COPY;"
                f" {expected} owe a warning on {today}, the others' chase days spread over"
                f" {loader.days[0]}..{loader.days[-1]} ({len(loader.days)} days)"
            )
            started = time.perf_counter()
            await load(url, loader, total)
            results["load_s"] = time.perf_counter() - started
            conn = await asyncpg.connect(_raw_dsn(url))
            try:
                # VACUUM too: a long-lived table is vacuumed; autovacuum must not run mid-tick
                analyze_s, _ = await _timed(_vacuum(conn))
                rows = int(await conn.fetchval("SELECT count(*) FROM cases"))
                size = str(
                    await conn.fetchval("SELECT pg_size_pretty(pg_total_relation_size('cases'))")
                )
                results["rows_loaded"] = rows
                print(
                    f"loaded {rows} cases ({size} with indexes) in {results['load_s']:.1f} s"
                    f" ({rows / results['load_s']:.0f} rows/s), VACUUM (ANALYZE) + CHECKPOINT {analyze_s:.1f} s"
                )
                plan = [r[0] for r in await conn.fetch("EXPLAIN " + DUE_QUERY, today)]
                analyzed = [
                    r[0] for r in await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + DUE_QUERY, today)
                ]
                gauges_plan = [
                    r[0]
                    for r in await conn.fetch(
                        "EXPLAIN (ANALYZE) " + _open_cases_sql(svc, core.runtime.engine.dialect)
                    )
                ]
            finally:
                await conn.close()
            results["plan_first_line"] = plan[0].strip()
            results["plan_scan"] = next(
                (line.strip() for line in plan if "ix_cases_chase_on" in line), ""
            )
            print("EXPLAIN of the due query:\n    " + "\n    ".join(plan))
            print("    " + next(line for line in analyzed if "Execution Time" in line).strip())
            assert not any("Seq Scan" in line for line in plan), plan
            assert any("ix_cases_chase_on" in line for line in plan), plan

            statements = StatementClock()
            async with svc.uow() as uow:  # open a pooled connection before timing
                await uow.session.execute(text("SELECT 1"))
            with statements.listening(core.runtime.engine.sync_engine):
                first_s, report = await _timed(lambda: chase(svc, today))
            results.update(
                looked_at=report.looked_at, announced=report.announced, first_tick_s=first_s
            )
            print(
                f"first tick: looked at {report.looked_at} cases, made {report.announced}"
                f" announcements in {first_s:.3f} s (target < {TICK_TARGET_S:.0f} s:"
                f" {_verdict(first_s < TICK_TARGET_S)})"
            )
            print("  SQL of the first tick (statements, wall time incl. round trips):")
            for key, n, spent in statements.rows():
                print(f"    {key:<60} {n:>5} x {spent * 1000:8.1f} ms")
            in_sql = sum(spent for _, _, spent in statements.rows())
            outside = "outside SQL (Python in the service)"
            print(f"    {outside:<60} {'':>5}   {(first_s - in_sql) * 1000:8.1f} ms")
            assert report.announced == expected, (report, expected)

            metrics = svc.metrics
            assert metrics is not None
            bare = dataclasses.replace(svc, metrics=None)
            repeated: list[float] = []
            gauges: list[float] = []
            without: list[float] = []
            for _ in range(REPEATS):  # interleaved, so that background noise hits all three
                took, again = await _timed(lambda: chase(svc, today))
                assert again.announced == 0, again
                repeated.append(took)
                gauges.append(
                    (await _timed(lambda: refresh_gauges(svc.uow, svc.tables, metrics, today)))[0]
                )
                took, again = await _timed(lambda: chase(bare, today))
                assert again.announced == 0, again
                without.append(took)
            results["repeat_tick_p50_s"] = statistics.median(repeated)
            results["gauges_p50_s"] = statistics.median(gauges)
            results["repeat_tick_without_gauges_p50_s"] = statistics.median(without)
            scan = next(line for line in gauges_plan if "Scan" in line)
            took_line = next(line for line in gauges_plan if "Execution Time" in line)
            print(
                f"EXPLAIN ANALYZE of refresh_gauges' open-cases count: {scan.strip()}; {took_line}"
            )
            print(f"  repeated ticks (ms): {_ms(repeated)}")
            print(f"  refresh_gauges alone, the separate case_gauges job (ms): {_ms(gauges)}")
            print(f"  ticks without gauges (ms): {_ms(without)}")
            print(
                f"repeated ticks (announce 0): p50 {results['repeat_tick_p50_s'] * 1000:.1f} ms;"
                f" refresh_gauges alone p50 {results['gauges_p50_s'] * 1000:.1f} ms;"
                f" tick without gauges p50 {results['repeat_tick_without_gauges_p50_s'] * 1000:.1f} ms"
            )
        finally:
            await core.runtime.stop()
    return results


# 2. POST /api/v1/suggestions ------------------------------------------------------------------------


def _service_env(url: str, prefix: str, port: int, *, pool: int) -> dict[str, str]:
    # BENCH_SERVICE_PYTHONPATH: run another checkout's service under this bench (A/B, same client)
    other = os.environ.get("BENCH_SERVICE_PYTHONPATH")
    return ({"PYTHONPATH": other} if other else {}) | {
        "CASES_DATABASE_URL": url,
        "CASES_KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers(),
        "CASES_KAFKA_TOPIC_PREFIX": prefix,
        "CASES_HTTP_PORT": str(port),
        "CASES_JWT_SECRET": SECRET,
        "CASES_LOG_LEVEL": "WARNING",
        # a pooled connection per concurrent request, plus the relay's and the gauges': beyond
        # the pool SQLAlchemy opens and closes an overflow connection for every checkout
        "CASES_DATABASE_POOL_SIZE": str(pool),
    }


async def _backlog(conn: Any) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))


async def bench_post(workers: int, seconds: float, relay_process: bool) -> dict[str, Any]:
    """Drive one service process over HTTP, then raw asyncpg with the same concurrency.

    With ``relay_process`` the HTTP process runs with ``RELAY_IN_PROCESS=false`` beside
    ``python -m cases relay``. Either way each 201's arrival is compared with the Kafka timestamp
    of its ``cases.suggestion.submitted`` (when the relay handed it to the producer).
    """
    results: dict[str, Any] = {"relay_process": relay_process}
    accepted: dict[str, float] = {}
    relay: asyncio.subprocess.Process | None = None
    async with fresh_database() as url:
        prefix = unique("bench") + "."
        port = http_load.free_port()
        settings = settings_for(url, prefix, jwt_secret=SECRET, http_port=port)
        auth = headers(settings, "deputy", TOWNSHIP, deputy_id="dep-1")
        env = _service_env(url, prefix, port, pool=workers + 4)
        if relay_process:
            env["CASES_RELAY_IN_PROCESS"] = "false"
        with tempfile.TemporaryFile() as log:
            process = await http_load.start_service("cases", env, port, log, ROOT)
            try:
                if relay_process:
                    relay_port = http_load.free_port()
                    relay_env = {**env, "CASES_HTTP_PORT": str(relay_port)}
                    relay = await http_load.start_relay("cases", relay_env, relay_port, log, ROOT)
                seed = await asyncpg.connect(_raw_dsn(url))
                try:  # intake refuses deputies and townships the roster projection does not know
                    await seed.execute(
                        "INSERT INTO townships (code, name, kind) VALUES ($1, '青石镇', 'town')"
                        " ON CONFLICT DO NOTHING",
                        TOWNSHIP,
                    )
                    await seed.execute(
                        "INSERT INTO deputies (deputy_id, township, name, status, version)"
                        " VALUES ('dep-1', $1, 'dep-1', 'active', 1) ON CONFLICT DO NOTHING",
                        TOWNSHIP,
                    )
                finally:
                    await seed.close()
                async with http_load.Client(f"http://127.0.0.1:{port}", workers) as client:

                    async def post(n: int) -> bool:
                        body = bodies.suggestion(
                            "dep-1", title=f"关于拓宽青石村至镇区道路的建议（第{n}号）"
                        )
                        try:
                            response = await client.post(
                                "/api/v1/suggestions", json=body, headers=auth
                            )
                        except http_load.NoAnswerError:
                            return False
                        load_.statuses[response.status_code] += 1
                        if response.status_code != 201:
                            return False
                        accepted[response.json()["case_id"]] = time.time()
                        return True

                    load_ = http_load.Load()
                    print(
                        f"POST /api/v1/suggestions: {workers} workers, {http_load.WARMUP_SECONDS:.0f} s warm-up,"
                        f" then {seconds:.0f} s measured (service pid {process.pid}, port {port})"
                    )
                    relay_cpu = http_load.cpu_seconds(relay.pid) if relay else 0.0
                    measured, elapsed, cpu = await http_load.window(
                        workers, seconds, post, process.pid
                    )
                    if relay is not None:
                        cpu["relay_cpu_pct"] = (
                            (http_load.cpu_seconds(relay.pid) - relay_cpu) / elapsed * 100
                        )
                    measured.statuses = load_.statuses
                    results["post_mean_batch"] = await http_load.batch_size(client, "filings")
                http_load.summarise("post", measured, elapsed, results)
                results.update({f"post_{k}": v for k, v in cpu.items()})
                results["post_service_cpu_ms_per_request"] = (
                    cpu["service_cpu_pct"] * 10 / results["post_rps"]
                    if results["post_rps"]
                    else 0.0
                )
                conn = await asyncpg.connect(_raw_dsn(url))
                try:
                    results["outbox_backlog_at_end"] = await _backlog(conn)
                    started = time.perf_counter()
                    for _ in range(300):  # wait up to 30 s for the relay to catch up
                        if not await _backlog(conn):
                            break
                        await asyncio.sleep(0.1)
                    results["outbox_drained_after_s"] = time.perf_counter() - started
                    results["outbox_rows"] = int(await conn.fetchval("SELECT count(*) FROM outbox"))
                    published = {}
                    for record in await read_all(prefix + topics.CASES, within=60):
                        envelope = json.loads(record.value)
                        if envelope["type"] == "cases.suggestion.submitted":
                            published[envelope["data"]["case_id"]] = record.timestamp / 1000
                    results["accepted_to_published_ms"] = http_load.lag_ms(accepted, published)
                    results["cases_rows"] = int(await conn.fetchval("SELECT count(*) FROM cases"))
                finally:
                    await conn.close()
            finally:
                if relay is not None:
                    results["relay_exit_code"] = await http_load.stop_service(relay)
                results["service_exit_code"] = await http_load.stop_service(process)
                if results["service_exit_code"] not in (0, -signal.SIGTERM):
                    log.seek(0)
                    print(log.read().decode(errors="replace")[-4000:], file=sys.stderr)
        statuses = dict(load_.statuses)
        print(
            f"  ours: {results['post_rps']:.0f} requests/s, p50 {results.get('post_p50_ms', 0):.1f}"
            f" ms, p95 {results.get('post_p95_ms', 0):.1f} ms, p99 {results.get('post_p99_ms', 0):.1f}"
            f" ms, {results['post_errors']} errors (statuses incl. warm-up {statuses});"
            f" CPU: service {cpu['service_cpu_pct']:.0f} %, bench client {cpu['bench_cpu_pct']:.0f} %,"
            f" machine {cpu['machine_busy_pct']:.0f} % of {os.cpu_count()} cores;"
            f" {results['post_service_cpu_ms_per_request']:.1f} ms of service CPU per request;"
            f" filings per transaction (group commit, incl. warm-up) {results['post_mean_batch']:.1f}"
        )
        print(
            f"  outbox backlog at the end: {results['outbox_backlog_at_end']} unpublished rows"
            f" (0 after {results['outbox_drained_after_s']:.1f} s); {results['outbox_rows']}"
            f" outbox rows for {results['cases_rows']} cases; service exit {results['service_exit_code']}"
        )
        lag = results["accepted_to_published_ms"]
        where = "a process of its own" if relay_process else "the HTTP process"
        relay_cpu_note = (
            f"; relay process CPU {cpu['relay_cpu_pct']:.0f} %" if "relay_cpu_pct" in cpu else ""
        )
        print(
            f"  201 received -> on {topics.CASES} (relay in {where}): p50 {lag.get('p50', 0):.1f}"
            f" ms, p95 {lag.get('p95', 0):.1f} ms, p99 {lag.get('p99', 0):.1f} ms,"
            f" max {lag.get('max', 0):.1f} ms{relay_cpu_note}"
        )
        results.update(await _raw(url, prefix, workers, seconds))
        results["ratio"] = results["post_rps"] / results["raw_rps"] if results["raw_rps"] else 0.0
    return results


async def _raw(url: str, prefix: str, workers: int, seconds: float) -> dict[str, Any]:
    """Insert a received case row and its outbox row per transaction with plain asyncpg."""
    clocks_ = Clocks(WorkCalendar())
    case = intake.receive(
        case_id="raw",
        kind=CaseKind.suggestion,
        township=TOWNSHIP,
        title="关于拓宽青石村至镇区道路的建议",
        content="青石村至镇区道路狭窄，会车困难，雨天积水严重，建议拓宽改造并完善排水设施。",
        category="交通",
        deputy_ids=("dep-1",),
        by=STAFF,
        at=datetime.now(UTC),
        clocks=clocks_,
    )
    columns = case_columns(case, None)
    doc = case_to_doc(case)
    schema = make_schema()
    outbox_row = Outbox(
        table=schema.metadata.tables["outbox"], service="cases", topic_prefix=prefix
    ).row(events.submitted(case))
    insert_case = (
        "INSERT INTO cases (case_id, kind, township, state, category, title, submitter,"
        " lead_unit_id, received_on, due_on, chase_on, key_chase, solved, replied_on, reply_class,"
        " on_time, result, doc, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6,"
        " $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
    )
    insert_event = (
        "INSERT INTO outbox (event_id, event_type, topic, key, headers, payload, created_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    pool = await asyncpg.create_pool(_raw_dsn(url), min_size=workers, max_size=workers)
    try:

        async def one(_: int) -> bool:
            case_id = str(uuid.uuid4())
            now = datetime.now(UTC)
            values = {**columns, "doc": json.dumps({**doc, "case_id": case_id}, ensure_ascii=False)}
            row = (case_id, *(values[c] for c in CASE_COLUMNS[1:-2]), now, now)
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute(insert_case, *row)
                await conn.execute(
                    insert_event,
                    str(uuid.uuid4()),
                    outbox_row["event_type"],
                    outbox_row["topic"],
                    case_id,
                    json.dumps(outbox_row["headers"]),
                    outbox_row["payload"],
                    now,
                )
            return True

        load_, elapsed, cpu = await http_load.window(workers, seconds, one, None)
    finally:
        await pool.close()
    results: dict[str, Any] = {}
    http_load.summarise("raw", load_, elapsed, results)
    print(
        f"  raw asyncpg (case row + outbox row per transaction, {workers} connections):"
        f" {results['raw_rps']:.0f} requests/s, p50 {results.get('raw_p50_ms', 0):.1f} ms,"
        f" p99 {results.get('raw_p99_ms', 0):.1f} ms; CPU: bench {cpu['bench_cpu_pct']:.0f} %,"
        f" machine {cpu['machine_busy_pct']:.0f} %"
    )
    return results


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    """Run the chosen measurements, each on a fresh database; print and return the numbers."""
    results: dict[str, Any] = {}
    started = time.perf_counter()
    if not args.skip_tick:
        print(f"load average before the tick bench: {_loadavg()} on {os.cpu_count()} cores")
        results.update(await bench_tick(args.cases, args.due))
    if not args.skip_post:
        print(f"load average before the POST bench: {_loadavg()} on {os.cpu_count()} cores")
        results.update(await bench_post(args.concurrency, args.seconds, args.relay_process))
    results["total_s"] = time.perf_counter() - started
    print("\n== summary ==")
    if not args.skip_tick:
        first = results["first_tick_s"]
        print(
            f"tick: {results['rows_loaded']} open cases loaded in {results['load_s']:.1f} s;"
            f" looked at {results['looked_at']}, announced {results['announced']};"
            f" first tick {first * 1000:.0f} ms, repeated ticks p50"
            f" {results['repeat_tick_p50_s'] * 1000:.0f} ms (refresh_gauges p50"
            f" {results['gauges_p50_s'] * 1000:.0f} ms, without gauges"
            f" {results['repeat_tick_without_gauges_p50_s'] * 1000:.1f} ms);"
            f" plan: {results['plan_first_line']} ... {results['plan_scan']}"
        )
        print(f"  tick < {TICK_TARGET_S:.0f} s: {_verdict(first < TICK_TARGET_S)}")
    if not args.skip_post:
        rps, p99 = results["post_rps"], results.get("post_p99_ms", float("inf"))
        print(
            f"POST /api/v1/suggestions ({args.concurrency} workers, {args.seconds:.0f} s):"
            f" {rps:.0f} requests/s, p50 {results.get('post_p50_ms', 0):.1f} ms,"
            f" p95 {results.get('post_p95_ms', 0):.1f} ms, p99 {p99:.1f} ms,"
            f" {results['post_errors']} errors; outbox backlog at the end"
            f" {results['outbox_backlog_at_end']}; raw asyncpg {results['raw_rps']:.0f}"
            f" requests/s; ours/raw {results['ratio']:.2f}; service CPU"
            f" {results['post_service_cpu_ms_per_request']:.1f} ms per request"
        )
        ok = rps >= RPS_TARGET and p99 < P99_TARGET_MS and results["post_errors"] == 0
        print(f"  >= {RPS_TARGET:.0f} requests/s with p99 < {P99_TARGET_MS:.0f} ms: {_verdict(ok)}")
    print(f"total {results['total_s']:.0f} s")
    return results


def main() -> None:
    """Parse arguments and run the bench."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="open cases to load")
    parser.add_argument(
        "--due", type=float, default=0.1, help="percent of them owing a warning on the tick day"
    )
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent HTTP clients")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds of load")
    parser.add_argument("--skip-tick", action="store_true", help="skip the chase tick bench")
    parser.add_argument("--skip-post", action="store_true", help="skip the POST bench")
    parser.add_argument(
        "--relay-process",
        action="store_true",
        help="relay in `python -m cases relay` beside an HTTP process with RELAY_IN_PROCESS=false",
    )
    emit_results(asyncio.run(bench(parser.parse_args())))


if __name__ == "__main__":
    main()
