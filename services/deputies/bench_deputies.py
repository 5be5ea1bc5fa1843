"""Bench of the deputies service on real PostgreSQL (and Kafka for the relay).

1. Import 10,000 roster rows from one XLSX file (target < 10 s), with progress output.
2. Deputy list latency with 10,000 deputies on the roster (target p99 < 50 ms), over HTTP
   (in-process ASGI client: routing, auth, query, masking, serialisation; no network).
3. POST /api/v1/deputies on one ``python -m deputies`` process (PostgreSQL, outbox, relay to
   Kafka) driven over HTTP by C concurrent clients (target >= 300 requests/s, p99 < 100 ms), next
   to raw asyncpg writing the same rows (deputy, status history, audit entry, outbox row) per
   transaction at the same concurrency, in the same run.

Run: ``uv run python services/deputies/bench_deputies.py [--rows 10000] [--requests 1000]
[--concurrency 16] [--seconds 20] [--skip-roster] [--skip-post]`` with ``TEST_DATABASE_URL``
(a fresh database is created next to it) and ``KAFKA_BOOTSTRAP_SERVERS``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from deputies.adapters.rows import deputy_values
from deputies.adapters.tables import make_schema
from deputies.domain.drafts import DeputyDraft
from deputies.domain.model import ElectedBy, Gender, Level
from deputies.events import deputy_registered
from deputies.handlers.deputies import deputy_from_draft
from deputies.roster_io.importing import ImportRequest, import_roster
from deputies.testing import bodies
from deputies.testing.actors import county_admin
from deputies.testing.api import headers, running_app
from deputies.testing.harness import count, settings_for
from deputies.testing.sheets import roster_rows, xlsx
from kit.outbox import Outbox
from kit.testing import bootstrap_servers, emit_results, fresh_database, unique, wait_until
from kit.web import load as http_load

ROOT = Path(__file__).resolve().parents[2]
SECRET = "deputies-bench-hs256-secret-of-at-least-32-bytes"  # noqa: S105 (a bench-only secret)
RPS_TARGET = 300.0
P99_TARGET_MS = 100.0
TOWN = "990101001"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _progress(stage: str, done: int, total: int) -> None:
    print(f"  {stage:<6} {done:>6}/{total}", file=sys.stderr, flush=True)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def bench(rows: int, requests: int) -> dict[str, float]:
    """Run both measurements against a fresh database; return the numbers."""
    results: dict[str, float] = {}
    async with fresh_database() as url:
        settings = settings_for(url, unique("bench") + ".")
        async with running_app(settings) as (service, client):
            admin = headers(settings, "county_admin", "990101")
            await client.post("/api/v1/townships", json=bodies.township(TOWN), headers=admin)
            started = time.perf_counter()
            content = xlsx(roster_rows(rows, seed=42))
            results["generate_s"] = time.perf_counter() - started
            print(
                f"generated {rows} rows ({len(content) / 1e6:.1f} MB) in {results['generate_s']:.1f} s"
            )
            started = time.perf_counter()
            report = await import_roster(
                service.services,
                county_admin(),
                ImportRequest(township=TOWN, content=content, content_type=XLSX),
                progress=_progress,
            )
            results["import_s"] = time.perf_counter() - started
            assert report.created == rows, report.errors[:5]
            print(f"imported {report.created} rows in {results['import_s']:.2f} s (target < 10 s)")
            started = time.perf_counter()
            outbox = service.runtime.tables.outbox

            async def drained() -> bool:
                unsent = outbox.c.published_at.is_(None)
                return await count(service.runtime.engine, outbox, unsent) == 0

            await wait_until(drained, within=300, interval=0.2)
            results["relay_drain_s"] = time.perf_counter() - started
            print(
                f"relay published the {rows} events {results['relay_drain_s']:.1f} s after the import"
            )

            for role, scope in (("county_leader", "990101"), ("township_staff", TOWN)):
                auth = headers(settings, role, scope)
                latencies: list[float] = []
                for n in range(-20, requests):  # 20 warm-up requests are not counted
                    params: dict[str, str | int] = {"page": 1 + abs(n) % 200, "page_size": 50}
                    if n % 4 == 1:
                        params["township"] = TOWN
                    if n % 4 == 2:
                        params["deputy_group"] = f"第{n % 900 + 1}代表小组"
                    if n % 4 == 3:
                        params["level"] = "county"
                    t0 = time.perf_counter()
                    response = await client.get("/api/v1/deputies", params=params, headers=auth)
                    if n >= 0:
                        latencies.append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 200, response.text
                p50 = statistics.median(latencies)
                p99 = _percentile(latencies, 99)
                results[f"list_{role}_p50_ms"] = p50
                results[f"list_{role}_p99_ms"] = p99
                print(
                    f"deputy list as {role}: p50 {p50:.1f} ms, p99 {p99:.1f} ms over {requests} requests (target p99 < 50 ms)"
                )
    return results


def _raw_dsn(url: str) -> str:
    """Return the asyncpg DSN of a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _unique_id_numbers(n: int) -> list[str]:
    """Return n distinct checksum-valid ID numbers (the roster refuses one twice in a term)."""
    found: dict[str, None] = {}
    while len(found) < n:
        found[bodies.id_number()] = None
    return list(found)


def _service_env(url: str, prefix: str, port: int, *, pool: int) -> dict[str, str]:
    # BENCH_SERVICE_PYTHONPATH: run another checkout's service under this bench (A/B, same client)
    other = os.environ.get("BENCH_SERVICE_PYTHONPATH")
    return ({"PYTHONPATH": other} if other else {}) | {
        "DEPUTIES_DATABASE_URL": url,
        "DEPUTIES_KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers(),
        "DEPUTIES_KAFKA_TOPIC_PREFIX": prefix,
        "DEPUTIES_HTTP_PORT": str(port),
        "DEPUTIES_JWT_SECRET": SECRET,
        "DEPUTIES_LOG_LEVEL": "WARNING",
        # a pooled connection per concurrent request, plus the relay's and the gauges'
        "DEPUTIES_DATABASE_POOL_SIZE": str(pool),
    }


async def bench_post(clients: int, seconds: float) -> dict[str, Any]:
    """Drive one service process with deputy registrations, then raw asyncpg the same way."""
    results: dict[str, Any] = {}
    ids = _unique_id_numbers(int(seconds * 3000) + 20_000)  # more than either half uses
    async with fresh_database() as url:
        prefix = unique("bench") + "."
        port = http_load.free_port()
        settings = settings_for(url, prefix, jwt_secret=SECRET)
        admin = headers(settings, "county_admin", "990101")
        staff = headers(settings, "township_staff", TOWN)
        with tempfile.TemporaryFile() as log:
            process = await http_load.start_service(
                "deputies", _service_env(url, prefix, port, pool=clients + 4), port, log, ROOT
            )
            try:
                async with http_load.Client(f"http://127.0.0.1:{port}", clients) as client:
                    made = await client.post(
                        "/api/v1/townships", json=bodies.township(TOWN), headers=admin
                    )
                    assert made.status_code == 201, made.text
                    template = bodies.deputy(TOWN)
                    measured = http_load.Load()

                    fresh = iter(ids[: len(ids) // 2])  # warm-up and window: none used twice

                    async def post(n: int) -> bool:
                        body = {**template, "id_number": next(fresh), "name": f"代表{n}"}
                        try:
                            response = await client.post(
                                "/api/v1/deputies", json=body, headers=staff
                            )
                        except http_load.NoAnswerError:
                            return False
                        measured.statuses[response.status_code] += 1
                        return response.status_code == 201

                    print(
                        f"POST /api/v1/deputies: {clients} clients,"
                        f" {http_load.WARMUP_SECONDS:.0f} s warm-up, then {seconds:.0f} s measured"
                        f" (service pid {process.pid}, port {port})"
                    )
                    ours, elapsed, cpu = await http_load.window(clients, seconds, post, process.pid)
                    results["post_mean_batch"] = await http_load.batch_size(client, "registrations")
                http_load.summarise("post", ours, elapsed, results)
                results.update({f"post_{k}": v for k, v in cpu.items()})
                results["post_service_cpu_ms_per_request"] = (
                    cpu["service_cpu_pct"] * 10 / results["post_rps"]
                    if results["post_rps"]
                    else 0.0
                )
            finally:
                results["service_exit_code"] = await http_load.stop_service(process)
                if results["service_exit_code"] not in (0, -signal.SIGTERM):
                    log.seek(0)
                    print(log.read().decode(errors="replace")[-4000:], file=sys.stderr)
        print(
            f"  ours: {results['post_rps']:.0f} requests/s, p50 {results.get('post_p50_ms', 0):.1f}"
            f" ms, p95 {results.get('post_p95_ms', 0):.1f} ms, p99"
            f" {results.get('post_p99_ms', 0):.1f} ms, {results['post_errors']} errors (statuses"
            f" incl. warm-up {dict(measured.statuses)}); CPU: service {cpu['service_cpu_pct']:.0f} %,"
            f" bench client {cpu['bench_cpu_pct']:.0f} %, machine {cpu['machine_busy_pct']:.0f} %"
            f" of {os.cpu_count()} cores; {results['post_service_cpu_ms_per_request']:.1f} ms of"
            f" service CPU per request; registrations per transaction (group commit, incl."
            f" warm-up) {results['post_mean_batch']:.1f}"
        )
        results.update(await _raw(url, prefix, clients, seconds, ids[len(ids) // 2 :]))
        results["ratio"] = results["post_rps"] / results["raw_rps"] if results["raw_rps"] else 0.0
    return results


async def _raw(
    url: str, prefix: str, clients: int, seconds: float, ids: list[str]
) -> dict[str, Any]:
    """Write a deputy, its status history entry, an audit entry and an outbox row per transaction."""
    schema = make_schema()
    outbox = Outbox(table=schema.metadata.tables["outbox"], service="deputies", topic_prefix=prefix)
    template = bodies.deputy(TOWN)
    draft = DeputyDraft(
        township=TOWN,
        name="代表",
        gender=Gender(template["gender"]),
        levels=frozenset({Level.township}),
        term=int(template["term"]),
        elected_on=date.fromisoformat(template["elected_on"]),
        elected_by=ElectedBy.general,
        phone=template["phone"],
        id_number=ids[0],
        address=template["address"],
    )
    deputy = deputy_from_draft(draft)
    values = deputy_values(deputy)
    columns = list(values)
    caller = county_admin()
    event_row = outbox.row(deputy_registered(deputy, caller))
    actor = caller.principal
    audit = {"actor": actor.subject, "roles": ",".join(sorted(str(r) for r in actor.roles))}
    names = ", ".join([*columns, "created_at", "updated_at"])
    marks = ", ".join(f"${i + 1}" for i in range(len(columns) + 2))
    insert_deputy = f"INSERT INTO deputies ({names}) VALUES ({marks})"  # noqa: S608 (own names)
    insert_history = (
        "INSERT INTO status_history (deputy_id, from_status, to_status, reason, effective_date,"
        " state, recorded_at, recorded_by) VALUES ($1, NULL, $2, $3, $4, 'effective', $5, $6)"
    )
    insert_audit = (
        "INSERT INTO audit_log (at, actor, roles, action, resource_type, resource_id, township,"
        " outcome, correlation_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )
    insert_event = (
        "INSERT INTO outbox (event_id, event_type, topic, key, headers, payload, created_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    pool = await asyncpg.create_pool(_raw_dsn(url), min_size=clients, max_size=clients)
    fresh = iter(ids)
    try:

        async def one(_: int) -> bool:
            deputy_id = str(uuid.uuid4())
            now = datetime.now(UTC)
            row = {**values, "id": deputy_id, "id_number": next(fresh)}
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute(insert_deputy, *(row[c] for c in columns), now, now)
                await conn.execute(
                    insert_history,
                    deputy_id,
                    values["status"],
                    values["status_reason"],
                    values["elected_on"],
                    now,
                    "bench",
                )
                await conn.execute(
                    insert_audit,
                    now,
                    audit["actor"],
                    audit["roles"],
                    "create",
                    "deputy",
                    deputy_id,
                    TOWN,
                    "ok",
                    None,
                    "{}",
                )
                await conn.execute(
                    insert_event,
                    str(uuid.uuid4()),
                    event_row["event_type"],
                    event_row["topic"],
                    deputy_id,
                    json.dumps(event_row["headers"]),
                    event_row["payload"],
                    now,
                )
            return True

        measured, elapsed, cpu = await http_load.window(clients, seconds, one, None)
    finally:
        await pool.close()
    results: dict[str, Any] = {}
    http_load.summarise("raw", measured, elapsed, results)
    print(
        f"  raw asyncpg (deputy + status history + audit + outbox rows per transaction,"
        f" {clients} connections): {results['raw_rps']:.0f} requests/s, p50"
        f" {results.get('raw_p50_ms', 0):.1f} ms, p99 {results.get('raw_p99_ms', 0):.1f} ms;"
        f" CPU: bench {cpu['bench_cpu_pct']:.0f} %, machine {cpu['machine_busy_pct']:.0f} %"
    )
    return results


def _post_summary(results: dict[str, Any], clients: int, seconds: float) -> None:
    rps, p99 = results["post_rps"], results.get("post_p99_ms", float("inf"))
    print(
        f"POST /api/v1/deputies ({clients} clients, {seconds:.0f} s): {rps:.0f} requests/s,"
        f" p50 {results.get('post_p50_ms', 0):.1f} ms, p99 {p99:.1f} ms,"
        f" {results['post_errors']} errors; raw asyncpg {results['raw_rps']:.0f} requests/s;"
        f" ours/raw {results['ratio']:.2f}; service CPU"
        f" {results['post_service_cpu_ms_per_request']:.1f} ms per request"
    )
    ok = rps >= RPS_TARGET and p99 < P99_TARGET_MS and results["post_errors"] == 0
    verdict = "PASS" if ok else "FAIL"
    print(f"  >= {RPS_TARGET:.0f} requests/s with p99 < {P99_TARGET_MS:.0f} ms: {verdict}")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the chosen measurements, each on a fresh database."""
    results: dict[str, Any] = {}
    if not args.skip_roster:
        results.update(await bench(args.rows, args.requests))
    if not args.skip_post:
        print(f"load average before the POST bench: {os.getloadavg()} on {os.cpu_count()} cores")
        results.update(await bench_post(args.concurrency, args.seconds))
        print("\n== summary ==")
        _post_summary(results, args.concurrency, args.seconds)
    return results


def main() -> None:
    """Parse arguments and run the bench."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent HTTP clients")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds of load")
    parser.add_argument("--skip-roster", action="store_true", help="skip import and list benches")
    parser.add_argument("--skip-post", action="store_true", help="skip the POST bench")
    emit_results(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
