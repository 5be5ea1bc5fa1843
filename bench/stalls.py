"""What happened when the end-to-end stage was slow: per-case splits, the server's and processes' events.

The stage knows for every case when its 201 came back, when cases' relay put it on
``cases.events`` (the record's timestamp), when scoring's handler recorded its entry (the entry's
``recorded_at``) and when the entry became visible. ``slow_windows`` groups the cases over a
threshold by the second they were accepted and tells, for each group, which part took the time and
what the samplers saw meanwhile: PostgreSQL's checkpoints and the non-idle sessions
(``PgSampler``), and with ``--diagnose`` each process's GC pauses and stalls (``bench/trace``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

TRACE_DIR = Path(__file__).parent / "trace"
"""Put on a process's ``PYTHONPATH`` (with ``BENCH_TRACE_DIR``) to trace its GC and stalls."""

_CHECKPOINTS = text(
    "SELECT checkpoints_timed + checkpoints_req AS n, buffers_checkpoint AS buffers"
    " FROM pg_stat_bgwriter"
)
_CHECKPOINTER_IDLE = ("CheckpointerMain", "CheckpointWriteDelay")
_ACTIVE = text(
    "SELECT datname, backend_type, state, wait_event_type, wait_event, left(query, 60) AS query,"
    " extract(epoch FROM now() - query_start) AS running"
    " FROM pg_stat_activity WHERE state IS DISTINCT FROM 'idle' AND pid <> pg_backend_pid()"
    " AND backend_type <> 'walsender'"
)


@dataclass
class PgSampler:
    """Samples PostgreSQL while the load runs: checkpoints each second, sessions every 100 ms."""

    engine: AsyncEngine
    databases: frozenset[str]
    """The stage's databases: sessions of others are reported as counts only."""
    sessions: bool = False
    """Sample pg_stat_activity too (``--diagnose``)."""
    events: list[tuple[float, str]] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        """Sample until stopped."""
        last_checkpoints: tuple[int, int] | None = None
        next_checkpoint_read = 0.0
        async with self.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            while not self.stop.is_set():
                now = time.time()
                if now >= next_checkpoint_read:
                    next_checkpoint_read = now + 1.0
                    row = (await conn.execute(_CHECKPOINTS)).one()
                    seen = (int(row.n), int(row.buffers))
                    if last_checkpoints is not None and seen[0] > last_checkpoints[0]:
                        written = seen[1] - last_checkpoints[1]
                        self.events.append((now, f"pg checkpoint done ({written} buffers written)"))
                    last_checkpoints = seen
                if self.sessions:
                    self._sessions(now, (await conn.execute(_ACTIVE)).all())
                await asyncio.sleep(0.1)

    def _sessions(self, now: float, rows: Sequence[Any]) -> None:
        """Note the sessions worth a look: autovacuum, waits, statements running 50 ms or more."""
        others = 0
        for r in rows:
            ours = r.datname in self.databases
            if r.backend_type not in ("client backend", "autovacuum worker"):
                if r.backend_type == "checkpointer" and r.wait_event not in _CHECKPOINTER_IDLE:
                    self.events.append((now, f"checkpointer {r.wait_event_type}:{r.wait_event}"))
                continue
            if not ours:
                others += 1
                continue
            running = float(r.running or 0)
            if r.backend_type == "autovacuum worker" or running >= 0.05:
                state = "active" if r.state == "active" else f"{r.state} after"
                self.events.append(
                    (
                        now,
                        f"{r.datname} {r.backend_type} {state} {running * 1000:.0f} ms"
                        f" {r.wait_event_type}:{r.wait_event} {r.query!r}",
                    )
                )
        if others >= 4:
            self.events.append((now, f"{others} active sessions of other databases"))


def read_traces(folder: Path, names: Mapping[int, str]) -> list[tuple[float, str]]:
    """Return the GC pauses and stalls each traced process wrote (``<pid>.log``), named."""
    found: list[tuple[float, str]] = []
    for path in folder.glob("*.log"):
        name = names.get(int(path.stem), f"pid {path.stem}")
        for line in path.read_text(encoding="utf-8").splitlines():
            at, _, what = line.partition(" ")
            found.append((float(at), f"{name}: {what}"))
    return sorted(found)


@dataclass(frozen=True)
class Case:
    """One case's moments (wall-clock seconds); None where the stage did not see it."""

    accepted: float
    published: float | None
    recorded: float | None
    visible: float | None


def slow_windows(
    cases: Mapping[str, Case],
    events: list[tuple[float, str]],
    *,
    over_ms: float = 250.0,
    most: int = 5,
) -> list[dict[str, Any]]:
    """Group the cases whose entry took more than ``over_ms`` by second; the worst ``most`` groups.

    Each group tells its count and worst latency, the worst case's split (cases' relay, scoring's
    fetch up to its handler, the handler to the entry being visible) and the events seen from a
    second before its first acceptance to its last entry.
    """
    slow: dict[int, list[Case]] = {}
    for case in cases.values():
        if case.visible is not None and (case.visible - case.accepted) * 1000 > over_ms:
            slow.setdefault(int(case.accepted), []).append(case)
    windows: list[dict[str, Any]] = []
    for second, group in slow.items():
        worst = max(group, key=lambda c: (c.visible or 0) - c.accepted)
        start = min(c.accepted for c in group) - 1.0
        end = max(c.visible or c.accepted for c in group)
        windows.append(
            {
                "second": time.strftime("%H:%M:%S", time.gmtime(second)),
                "cases": len(group),
                "worst_ms": round(((worst.visible or 0) - worst.accepted) * 1000),
                "worst_split_ms": _split(worst),
                "events": [
                    f"{time.strftime('%H:%M:%S', time.gmtime(at))}.{int(at % 1 * 1000):03d} {what}"
                    for at, what in events
                    if start <= at <= end
                ][:40],
            }
        )
    windows.sort(key=lambda w: -int(w["worst_ms"]))
    return windows[:most]


def _split(case: Case) -> dict[str, int | None]:
    """Return one case's latency in its three parts (ms)."""

    def ms(a: float | None, b: float | None) -> int | None:
        return None if a is None or b is None else round((b - a) * 1000)

    return {
        "accepted_to_topic": ms(case.accepted, case.published),
        "topic_to_handler": ms(case.published, case.recorded),
        "handler_to_visible": ms(case.recorded, case.visible),
    }


def gc_pauses(
    events: list[tuple[float, str]], start: float, end: float
) -> dict[str, dict[str, float]]:
    """Return, per traced process, its full (generation 2) collections between ``start`` and
    ``end`` (the load and its tail): count, max and total ms (wall) and the most CPU one took."""
    found: dict[str, dict[str, float]] = {}
    for at, what in events:
        if not start <= at <= end:
            continue
        name, _, rest = what.partition(": ")
        parts = rest.split()
        if parts[:2] == ["gc", "2"]:
            took, cpu = float(parts[2]), float(parts[4]) if len(parts) > 4 else 0.0
            mine = found.setdefault(name, {"count": 0, "max": 0.0, "total": 0.0, "max_cpu": 0.0})
            mine["count"] += 1
            mine["max"] = max(mine["max"], took)
            mine["total"] += took
            mine["max_cpu"] = max(mine["max_cpu"], cpu)
    return found
