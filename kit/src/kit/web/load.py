"""Drive a service's HTTP API with concurrent clients; measure rate, latency and the process's CPU.

The services' bench scripts use it for their write paths (and a raw-asyncpg baseline in the same
run): ``window`` warms up, then runs ``clients`` loops of one request each for a fixed time and
returns what they measured with the CPU the service process (from ``/proc``), this process and
the machine used meanwhile. ``start_service`` runs ``python -m <service>`` and waits for ``/readyz``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import socket
import statistics
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

WARMUP_SECONDS = 3.0
READY_WITHIN_SECONDS = 180.0  # a shared machine under load starts a service slowly
One = Callable[[int], Awaitable[bool]]
"""One request by client loop ``n``; True when it got the answer it wanted."""


@dataclass
class Load:
    """What the client loops measured."""

    latencies_ms: list[float] = dataclasses.field(default_factory=list)
    errors: int = 0
    statuses: Counter[int] = dataclasses.field(default_factory=Counter)


def free_port() -> int:
    """Return a TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU seconds a process used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """Return the machine's busy and total CPU jiffies so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def percentile(values: list[float], p: float) -> float:
    """Return the p-th percentile (nearest rank) of some values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def drive(clients: int, until: float, one: One, load: Load) -> None:
    """Run ``clients`` loops of ``one`` until the ``time.perf_counter()`` value ``until``."""

    async def client(c: int) -> None:
        n = c
        while time.perf_counter() < until:
            started = time.perf_counter()
            ok = await one(n)
            if ok:
                load.latencies_ms.append((time.perf_counter() - started) * 1000)
            else:
                load.errors += 1
            n += clients

    await asyncio.gather(*(client(c) for c in range(clients)))


async def window(
    clients: int, seconds: float, one: One, pid: int | None, warmup: float = WARMUP_SECONDS
) -> tuple[Load, float, dict[str, float]]:
    """Warm up, then run ``clients`` loops for ``seconds``; return the load, its length and CPU."""
    await drive(clients, time.perf_counter() + warmup, one, Load())
    load = Load()
    cpu0, own0, (busy0, all0) = (
        cpu_seconds(pid) if pid else 0.0,
        time.process_time(),
        machine_busy(),
    )
    started = time.perf_counter()
    await drive(clients, started + seconds, one, load)
    elapsed = time.perf_counter() - started
    busy1, all1 = machine_busy()
    cpu = {
        "service_cpu_pct": ((cpu_seconds(pid) - cpu0) / elapsed * 100) if pid else 0.0,
        "bench_cpu_pct": (time.process_time() - own0) / elapsed * 100,
        "machine_busy_pct": (busy1 - busy0) / max(1, all1 - all0) * 100,
    }
    return load, elapsed, cpu


def summarise(name: str, load: Load, elapsed: float, results: dict[str, Any]) -> None:
    """Put ``<name>_requests``, ``_errors``, ``_rps`` and ``_p50/_p95/_p99_ms`` in ``results``."""
    ok = len(load.latencies_ms)
    results[f"{name}_requests"] = ok
    results[f"{name}_errors"] = load.errors
    results[f"{name}_rps"] = ok / elapsed
    if ok:
        results[f"{name}_p50_ms"] = statistics.median(load.latencies_ms)
        results[f"{name}_p95_ms"] = percentile(load.latencies_ms, 95)
        results[f"{name}_p99_ms"] = percentile(load.latencies_ms, 99)


@dataclass(frozen=True)
class Reply:
    """A response of ``Client``: status and body."""

    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        """The body as text."""
        return self.content.decode(errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON."""
        return orjson.loads(self.content)


class NoAnswerError(Exception):
    """A request of ``Client`` got no answer: the connection failed or the time ran out."""


class Client:
    """The load's HTTP client: aiohttp on ``connections`` kept-alive connections, JSON by orjson.

    Light on purpose: on a 2-core machine httpx cost the bench about as much CPU per request as
    the service spends on it, and that CPU is taken from the service measured.
    """

    def __init__(self, base_url: str, connections: int, timeout: float = 30.0) -> None:
        self.base_url = base_url
        self.connections = connections
        self.timeout = timeout
        self._session: Any = None
        self._errors: tuple[type[BaseException], ...] = (OSError, TimeoutError)

    async def __aenter__(self) -> Client:
        import aiohttp  # a development dependency: benches only, never a running service

        self._errors = (aiohttp.ClientError, OSError, TimeoutError)
        self._session = aiohttp.ClientSession(
            base_url=self.base_url,
            connector=aiohttp.TCPConnector(limit=self.connections),
            timeout=aiohttp.ClientTimeout(total=self.timeout),
        )
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._session.close()

    async def post(
        self, path: str, *, json: Any, headers: Mapping[str, str] | None = None
    ) -> Reply:
        """POST a JSON body; return the reply (``NoAnswerError`` when there is none)."""
        sent = {"Content-Type": "application/json", **(headers or {})}
        try:
            async with self._session.post(path, data=orjson.dumps(json), headers=sent) as answer:
                return Reply(answer.status, await answer.read())
        except self._errors as error:
            raise NoAnswerError(f"POST {path}: {error!r}") from error

    async def get(self, path: str, *, headers: Mapping[str, str] | None = None) -> Reply:
        """GET a path; return the reply (``NoAnswerError`` when there is none)."""
        try:
            async with self._session.get(path, headers=dict(headers or {})) as answer:
                return Reply(answer.status, await answer.read())
        except self._errors as error:
            raise NoAnswerError(f"GET {path}: {error!r}") from error


async def batch_size(client: Any, name: str) -> float:
    """Return the mean group-commit batch size a running service reports (``/metrics``), or 0."""
    text = (await client.get("/metrics")).text
    found: dict[str, float] = {}
    for line in text.splitlines():
        for stat in ("sum", "count"):
            if line.startswith(f'kit_group_commit_batch_size_{stat}{{name="{name}"}}'):
                found[stat] = float(line.rsplit(" ", 1)[1])
    return found["sum"] / found["count"] if found.get("count") else 0.0


async def start_service(
    module: str, env: Mapping[str, str], port: int, log: Any, cwd: Path
) -> asyncio.subprocess.Process:
    """Run ``python -m module`` with ``env`` added; return once ``/readyz`` answers 200."""
    import httpx  # a development dependency: benches only, never a running service

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, env={**os.environ, **env}, cwd=cwd, stdout=log, stderr=log
    )
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        while True:
            if process.returncode is not None:
                raise RuntimeError(f"python -m {module} exited with {process.returncode}")
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return process
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                await stop_service(process)  # never leave it running behind a failed bench
                raise RuntimeError(
                    f"python -m {module} was not ready within {READY_WITHIN_SECONDS:.0f} s"
                )
            await asyncio.sleep(0.2)


async def start_relay(
    module: str, env: Mapping[str, str], port: int, log: Any, cwd: Path
) -> asyncio.subprocess.Process:
    """Run ``python -m module relay`` (the outbox relay alone) with ``env`` added; return once
    its metrics answer on ``port`` (it serves them once it relays)."""
    import httpx  # a development dependency: benches only, never a running service

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        "relay",
        env={**os.environ, **env},
        cwd=cwd,
        stdout=log,
        stderr=log,
    )
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        while True:
            if process.returncode is not None:
                raise RuntimeError(f"python -m {module} relay exited with {process.returncode}")
            try:
                if (await client.get("/metrics")).status_code == 200:
                    return process
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                await stop_service(process)
                raise RuntimeError(f"python -m {module} relay did not start")
            await asyncio.sleep(0.2)


def lag_ms(accepted: Mapping[str, float], published: Mapping[str, float]) -> dict[str, float]:
    """Return the spread of ``published - accepted`` per key, in ms (p50, p95, p99, max)."""
    lags = sorted(1000 * (published[k] - t) for k, t in accepted.items() if k in published)
    if not lags:
        return {}
    return {
        "p50": percentile(lags, 50),
        "p95": percentile(lags, 95),
        "p99": percentile(lags, 99),
        "max": lags[-1],
        "seen": float(len(lags)),
    }


async def stop_service(process: asyncio.subprocess.Process) -> int:
    """SIGTERM the service, wait for its graceful exit; kill it after 40 s."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout=40)
        except TimeoutError:
            process.kill()
            await process.wait()
    return int(process.returncode or 0)
