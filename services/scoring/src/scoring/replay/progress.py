"""Progress of a replay: a line every few seconds (events/s, % per partition, RSS) and metrics.

The metrics live on the replay's own registry (``--metrics-port`` serves them while it runs):
``scoring_replay_progress_ratio`` (records read / records to read), ``scoring_replay_records_total``,
``scoring_replay_last_progress_timestamp_seconds`` (a replay whose timestamp stops moving is stuck:
alert ``NpcScoringReplayStuck``) and ``scoring_replay_phase`` (which step runs).
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge

from scoring.replay.fold import Counts
from scoring.replay.source import Plan, Read

PHASES = ("read", "build", "switch", "totals", "offsets", "done")


def rss_mb() -> float:
    """Return the peak resident memory of this process in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_now_mb() -> float:
    """Return the resident memory of this process now in MB (0 where /proc is missing)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * resource.getpagesize() / 1024 / 1024


@dataclass(frozen=True)
class ReplayMetrics:
    """The replay's metrics, on a registry of its own."""

    ratio: Gauge
    records: Counter
    last_progress: Gauge
    phase: Gauge


def make_replay_metrics(registry: CollectorRegistry) -> ReplayMetrics:
    """Register the replay's metrics on an explicit registry."""
    return ReplayMetrics(
        ratio=Gauge(
            "scoring_replay_progress_ratio",
            "Share of the records to replay read so far (1 when the replay has switched over)",
            registry=registry,
        ),
        records=Counter(
            "scoring_replay_records", "Records read by the running replay", registry=registry
        ),
        last_progress=Gauge(
            "scoring_replay_last_progress_timestamp_seconds",
            "When the running replay last read a record or finished a step (Unix time)",
            registry=registry,
        ),
        phase=Gauge(
            "scoring_replay_phase",
            "The step the replay is in (1 for the current one): read, build, switch, offsets, done",
            ["phase"],
            registry=registry,
        ),
    )


@dataclass
class Progress:
    """Prints progress lines and moves the metrics."""

    plan: Plan
    read: Read
    counts: Counts
    metrics: ReplayMetrics
    say: Callable[[str], None] = field(
        default=lambda line: print(line, file=sys.stderr, flush=True)
    )
    every: float = 2.0
    started: float = field(default_factory=time.monotonic)
    _last: float = 0.0
    _reported: int = 0

    def enter(self, phase: str) -> None:
        """Mark a step as the current one."""
        for name in PHASES:
            self.metrics.phase.labels(name).set(1 if name == phase else 0)
        self.metrics.last_progress.set_to_current_time()
        if phase != "read":
            self.say(f"replay: {phase} ({self.elapsed():.1f} s, RSS {rss_mb():.0f} MB)")

    def elapsed(self) -> float:
        """Return the seconds since the replay started."""
        return time.monotonic() - self.started

    def tick(self, *, force: bool = False) -> None:
        """Report if a line is due (or ``force``)."""
        now = time.monotonic()
        read = self.read.records
        self.metrics.records.inc(read - self._reported)
        self._reported = read
        total = self.plan.total
        self.metrics.ratio.set(read / total if total else 1.0)
        self.metrics.last_progress.set_to_current_time()
        if not force and now - self._last < self.every:
            return
        self._last = now
        elapsed = max(now - self.started, 1e-9)
        parts = " ".join(
            f"{tp.topic.rsplit('.', 1)[-1][:1]}{tp.partition}:{100 * self.read.positions[tp] / end:.0f}%"
            for tp, end in sorted(self.plan.ends.items())
            if end
        )
        c = self.counts
        self.say(
            f"replay: {read:,}/{total:,} records ({100 * read / total if total else 100:.1f}%), "
            f"{read / elapsed:,.0f}/s; applied {c.applied:,}, duplicates {c.duplicates:,}, "
            f"parked {c.parked:,}, entries {c.entries:,}; [{parts}] "
            f"RSS {rss_now_mb():.0f} MB (peak {rss_mb():.0f})"
        )
