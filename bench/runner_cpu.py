"""`python -m bench.runner_cpu`: the runner's CPU per record before any I/O (parse and validation).

A fetch of 500 bench events is wrapped as FastStream's parser does (``_parse``) and validated
record by record (``_accept``), over and over, with process CPU time measured. With ``--against
PATH`` another checkout's ``kit/runner.py`` (e.g. main's) is loaded beside this one and the two are
timed interleaved in the same process, so the load of a shared machine falls on both alike: the
ratio is the number to read, not the microseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import inspect
import json
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from aiokafka.structs import ConsumerRecord
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry

import kit.runner
from bench.workload import envelope
from contracts import topics
from kit.metrics import make_metrics
from kit.runtime import settle_heap
from kit.settings import ServiceSettings
from kit.testing import emit_results

EVENT_TYPE = "deputies.township.registered"
BATCH = 500


async def _ignore(deliveries: Any, uow: Any) -> None:
    """Never called: nothing is applied."""


def _runner(module: ModuleType, directory: str) -> Any:
    """Return a runner of ``module``'s ConsumerRunner (not started: no broker, no database)."""
    settings = ServiceSettings.for_service(
        "bench",
        database_url=f"sqlite+aiosqlite:///{directory}/cpu.db",
        kafka_topic_prefix="bench.",
        jwt_secret="bench-cpu-hs256-secret-of-32-bytes-long",
    )
    subscription = module.Subscription(
        "bench.cpu", (topics.DEPUTIES,), batch_handlers={EVENT_TYPE: _ignore}
    )
    return module.ConsumerRunner(
        subscription=subscription,
        settings=settings,
        uow_factory=None,
        inbox=None,
        publisher=None,
        metrics=make_metrics(CollectorRegistry()),
        broker=KafkaBroker(),
    )


def _records() -> tuple[ConsumerRecord[bytes, bytes], ...]:
    """Return one fetch of valid bench events, as aiokafka hands them over."""
    records = []
    for i in range(BATCH):
        e = envelope(i)
        value = e.model_dump_json().encode()
        headers = [(k, v.encode()) for k, v in e.headers().items()]
        records.append(
            ConsumerRecord(
                topic="bench.deputies.events",
                partition=i % 3,
                offset=i,
                timestamp=0,
                timestamp_type=0,
                key=e.subject.encode(),
                value=value,
                checksum=None,
                serialized_key_size=9,
                serialized_value_size=len(value),
                headers=headers,
            )
        )
    return tuple(records)


async def _batch(runner: Any, records: tuple[ConsumerRecord[bytes, bytes], ...]) -> None:
    """Parse and validate one fetch as the runner's handler does."""
    message = await runner._parse(records)
    if len(inspect.signature(runner._accept).parameters) == 2:  # before the one-pass accept
        pairs = zip(records, message.batch_headers, strict=True)
        accepted = [c for r, h in pairs if (c := runner._accept(r, h)) is not None]
    else:
        accepted = [c for r in records if (c := runner._accept(r)) is not None]
    if len(accepted) != len(records):
        raise RuntimeError("a bench record was refused")


async def run(rounds: int, against: Path | None) -> dict[str, Any]:
    """Time the runners interleaved; return CPU µs per record of each."""
    directory = tempfile.mkdtemp(prefix="bench-cpu-")
    runners = {"this": _runner(kit.runner, directory)}
    if against is not None:
        spec = importlib.util.spec_from_file_location("bench_against_runner", against)
        if spec is None or spec.loader is None:
            raise SystemExit(f"cannot load {against}")
        other = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = other
        spec.loader.exec_module(other)
        runners["against"] = _runner(other, directory)
    records = _records()
    for runner in runners.values():
        await _batch(runner, records)  # learns the dataschema's version
    settle_heap()
    spent = dict.fromkeys(runners, 0.0)
    for i in range(rounds):
        order = list(runners.items())
        for name, runner in order if i % 2 else reversed(order):
            started = time.process_time()
            for _ in range(4):
                await _batch(runner, records)
            spent[name] += time.process_time() - started
    per_record = {name: s / (rounds * 4 * BATCH) * 1e6 for name, s in spent.items()}
    results: dict[str, Any] = {"records": rounds * 4 * BATCH, "cpu_us_per_record": per_record}
    if against is not None:
        results["this_over_against"] = per_record["this"] / per_record["against"]
    return results


def main() -> None:
    """Parse arguments, run, print the results."""
    parser = argparse.ArgumentParser(prog="python -m bench.runner_cpu", description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--against", type=Path, help="another checkout's kit/runner.py")
    args = parser.parse_args()
    results = asyncio.run(run(args.rounds, args.against))
    print(json.dumps(results, indent=2))
    emit_results(results)


if __name__ == "__main__":
    main()
