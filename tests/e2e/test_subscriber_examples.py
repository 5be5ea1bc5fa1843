"""Another team's subscribers, written against the `contracts` wheel only, read the live platform's events.

The wheel is built and installed into a fresh virtual environment with FastStream, aiokafka and
jsonschema at the versions of uv.lock (and nothing of the kit or the services); the deputies and cases
services run as processes on one topic prefix; a few writes go through their HTTP APIs; both
examples in examples/ run as subprocesses of that environment, each in its own consumer group, and
must report every event on the two topics handled (validated, applied) exactly once, and a
republished record as a duplicate of its event id.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from processes import Running, bearer, drained, service_process

from contracts import SPECS, topics
from deputies.testing import bodies as dep_bodies
from kit.auth import Role
from kit.testing import bootstrap_servers, read_all, unique, wait_until

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
TOWN = "990101002"
#: What the subscribers' environment gets besides the wheel, at the versions in uv.lock.
THIRD_PARTY = ("faststream[kafka]", "aiokafka", "jsonschema", "referencing")
CLIENTS = ("faststream", "aiokafka")


def _uv(*args: str | Path, cwd: Path = ROOT) -> None:
    """Run uv from its cache first (no network); only when that fails, with PyPI."""
    uv = os.environ.get("UV") or shutil.which("uv")
    assert uv, "uv is not on PATH"
    env = {
        k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")
    }
    for mode in (["--offline"], []):
        done = subprocess.run(
            [uv, *map(str, args), *mode], cwd=cwd, env=env, capture_output=True, text=True
        )
        if done.returncode == 0:
            return
    raise AssertionError(f"uv {' '.join(map(str, args))} failed:\n{done.stderr[-3000:]}")


def _locked(name: str) -> str:
    """Return the version of a package in uv.lock."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text("utf-8"))
    [version] = [p["version"] for p in lock["package"] if p["name"] == name]
    return str(version)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The contracts wheel, built as an outside team would get it."""
    dist = tmp_path_factory.mktemp("dist")
    _uv("build", "--package", "contracts", "--wheel", "--out-dir", dist)
    [built] = dist.glob("contracts-*.whl")
    return built


@pytest.fixture(scope="module")
def python(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment's interpreter with the wheel and the clients, nothing else of ours."""
    home = tmp_path_factory.mktemp("subscriber")
    locked = home / "constraints.txt"  # their dependencies too at uv.lock's versions: in the cache
    _uv("export", "--frozen", "--no-hashes", "--no-emit-workspace", "--all-packages", "-o", locked)
    _uv("venv", "--python", sys.executable, home / "venv")
    interpreter = home / "venv" / "bin" / "python"
    pins = [f"{name}=={_locked(name.split('[')[0])}" for name in THIRD_PARTY]
    _uv("pip", "install", "--python", interpreter, "--constraints", locked, wheel, *pins)
    return interpreter


def test_the_wheel_carries_every_schema_by_its_dataschema_and_the_asyncapi_document(
    wheel: Path,
) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        schemas = [
            json.loads(archive.read(name))
            for name in names
            if name.startswith("contracts/documents/schemas/")
        ]
        asyncapi = json.loads(archive.read("contracts/documents/asyncapi.json"))
    assert "contracts/loader.py" in names
    assert {s["$id"] for s in schemas} >= {spec.dataschema for spec in SPECS.values()}
    assert len(schemas) == len(SPECS) + 1  # and the envelope's
    assert asyncapi["asyncapi"] == "3.0.0"


def test_the_environment_has_the_wheel_and_no_platform_code(python: Path) -> None:
    def run(code: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # outside the repository: nothing of it on the path
            [python, "-c", code], cwd=python.parents[2], env={}, capture_output=True, text=True
        )

    found = run("import contracts.loader as c; print(c.__file__, len(c.schema_ids()))")
    assert found.returncode == 0, found.stderr
    where, count = found.stdout.split()
    assert where.startswith(str(python.parents[1]))  # the installed wheel, not the sources
    assert int(count) == len(SPECS) + 1
    for package in ("kit", "deputies", "cases"):
        assert run(f"import {package}").returncode == 1, package


@dataclass
class Subscriber:
    """One example running as a subprocess; the JSON lines it printed."""

    client: str
    process: asyncio.subprocess.Process
    stderr: Path
    lines: list[dict[str, Any]] = field(default_factory=list)

    def diagnostics(self) -> str:
        """Return what it said on stderr, for a failure message."""
        return f"{self.client} stderr:\n{self.stderr.read_text('utf-8', 'replace')[-3000:]}"


@asynccontextmanager
async def subscriber(
    client: str, python: Path, prefix: str, workdir: Path
) -> AsyncIterator[Subscriber]:
    """Run `examples/<client>_subscriber.py` with only what an outside team would set."""
    stderr = workdir / f"{client}.stderr"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers(),
        "KAFKA_TOPIC_PREFIX": prefix,
        "SUBSCRIBER_GROUP": f"{prefix}example.{client}",
        "SUBSCRIBER_DB": str(workdir / f"{client}.db"),
    }
    with stderr.open("wb") as errors:
        process = await asyncio.create_subprocess_exec(
            python,
            EXAMPLES / f"{client}_subscriber.py",
            cwd=workdir,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=errors,
        )
    running = Subscriber(client, process, stderr)

    async def read() -> None:
        assert process.stdout is not None
        async for line in process.stdout:
            running.lines.append(json.loads(line))

    reader = asyncio.create_task(read())
    try:
        yield running
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), timeout=30)
        await reader
        assert code == 0, running.diagnostics()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        reader.cancel()


async def _write(deputies: str, cases: str) -> str:
    """Register a township and a deputy, file a suggestion in the deputy's name, accept it."""
    admin = bearer(Role.county_admin, "990101")
    async with httpx.AsyncClient(base_url=deputies, timeout=30) as client:
        for path, body in (
            ("/api/v1/townships", dep_bodies.township(TOWN)),
            ("/api/v1/deputies", dep_bodies.deputy(TOWN)),
        ):
            created = await client.post(path, json=body, headers=admin)
            assert created.status_code == 201, created.text
        deputy_id = str(created.json()["id"])
    deputy = bearer(Role.deputy, TOWN, deputy_id=deputy_id)
    body = {
        "township": TOWN,
        "title": "关于石桥镇中心小学门前增设减速带的建议",
        "content": "学校门前车速快，上下学时段学生过马路不安全，建议增设减速带和警示标志。",
        "category": "交通",
        "lead_deputy_id": deputy_id,
    }
    async with httpx.AsyncClient(base_url=cases, timeout=30) as client:  # jieba loads on first use
        filing = {**deputy, "Idempotency-Key": "subscriber-example-1"}

        async def filed() -> bool:  # the deputy reaches the cases roster over Kafka first
            answer = await client.post("/api/v1/suggestions", json=body, headers=filing)
            return answer.status_code == 201

        await wait_until(filed, within=60, interval=0.5)
        case = (await client.post("/api/v1/suggestions", json=body, headers=filing)).json()
        accepted = await client.post(
            f"/api/v1/cases/{case['case_id']}/accept",
            json={},
            headers={**admin, "If-Match": f'"{case["version"]}"'},
        )
        assert accepted.status_code == 200, accepted.text
    return deputy_id


async def _publish(*records: tuple[str, bytes, bytes]) -> None:
    """Send (topic, key, value) records, as a producer outside the platform would."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers())
    await producer.start()
    try:
        for topic, key, value in records:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


@asynccontextmanager
async def platform(prefix: str) -> AsyncIterator[tuple[Running, Running]]:
    """Start deputies and cases on one topic prefix, side by side (two cores, two starts)."""
    async with AsyncExitStack() as stack:
        starts = [
            asyncio.create_task(
                stack.enter_async_context(service_process(name, prefix=prefix, ready_within=120))
            )
            for name in ("deputies", "cases")
        ]
        try:
            deputies, cases = await asyncio.gather(*starts)
        except BaseException:
            await asyncio.gather(*starts, return_exceptions=True)  # the stack stops what started
            raise
        yield deputies, cases


@pytest.fixture
def quiet_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    """No scheduled check publishes during the test: the topics hold exactly what the writes made."""
    monkeypatch.setenv("JOB_INTERVAL_SECONDS", "3600")


@pytest.mark.usefixtures("quiet_jobs")
async def test_both_example_subscribers_handle_exactly_the_platform_s_events_once(
    python: Path, tmp_path: Path
) -> None:
    prefix = unique("subs") + "."
    async with (
        platform(prefix) as (deputies, cases),
        subscriber("faststream", python, prefix, tmp_path) as fast,
        subscriber("aiokafka", python, prefix, tmp_path) as plain,
    ):
        deputy_id = await _write(deputies.base, cases.base)
        await drained(deputies)
        await drained(cases)
        records = [
            *await read_all(prefix + topics.DEPUTIES),
            *await read_all(prefix + topics.CASES),
        ]
        published = {json.loads(r.value or b"")["id"]: r for r in records}
        assert sorted(json.loads(r.value or b"")["type"] for r in records) == [
            "cases.case.triaged",
            "cases.suggestion.submitted",
            "deputies.deputy.registered",
            "deputies.township.registered",
        ]
        by_type = {json.loads(r.value or b"")["type"]: r for r in records}
        again = by_type["deputies.deputy.registered"]  # a redelivery, or a dead letter replayed
        town = json.loads(by_type["deputies.township.registered"].value or b"")
        invalid = {**town, "id": str(uuid4()), "data": {**town["data"], "kind": "castle"}}
        await _publish(
            (again.topic, again.key or b"", again.value or b""),
            (again.topic, TOWN.encode(), json.dumps(invalid).encode()),
        )
        for running in (fast, plain):

            async def all_seen(running: Subscriber = running) -> bool:
                assert running.process.returncode is None, running.diagnostics()
                return len(running.lines) >= len(records) + 2

            await wait_until(all_seen, within=60, interval=0.2)

    duplicate = json.loads(again.value or b"")["id"]
    for running in (fast, plain):
        outcomes: dict[str, list[dict[str, Any]]] = {}
        for line in running.lines:
            outcomes.setdefault(line["outcome"], []).append(line)
        assert sorted(outcomes) == ["duplicate", "handled", "rejected"], running.lines
        handled = sorted(line["id"] for line in outcomes["handled"])
        assert handled == sorted(published), running.client  # each event once
        assert [line["id"] for line in outcomes["duplicate"]] == [duplicate], running.client
        [refused] = outcomes["rejected"]
        assert "kind" in refused["error"], refused  # the contract refused the field
        assert refused["topic"] == again.topic
        assert {line["client"] for line in running.lines} == {running.client}
        for line in [*outcomes["handled"], *outcomes["duplicate"]]:
            record = published[line["id"]]
            assert line["type"] == json.loads(record.value or b"")["type"]
            assert line["dataschema"].endswith(":v1")
        with closing(sqlite3.connect(tmp_path / f"{running.client}.db")) as db:
            applied = {row[0] for row in db.execute("SELECT event_id FROM applied")}
            assert applied == set(published)  # the effects were stored with the ids
            assert list(db.execute("SELECT deputy_id, township FROM deputies")) == [
                (deputy_id, TOWN)
            ]
            assert list(db.execute("SELECT township, last_event FROM cases")) == [
                (TOWN, "cases.case.triaged")
            ]
