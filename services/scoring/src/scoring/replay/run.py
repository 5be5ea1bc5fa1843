"""``python -m scoring replay [--year YYYY | --all]``: read, fold, write fresh tables, switch over.

``--all`` reads both topics from the beginning to the end offsets seen at the start, rebuilds
every derived table, and after the switch sets the ``scoring.ledger`` group's offsets to those
end offsets (the consumer goes on from there). ``--year`` rebuilds one year's ledgers: it reads up
to the group's committed offsets, so the year comes from exactly the events the other
projections were built from, and it leaves the offsets alone. Either refuses while the group has
members (stop the scoring service first) and refuses to switch if the group committed, or a rule
set changed, while it ran.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import functools
import gc
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import cast

from prometheus_client import CollectorRegistry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from kit.clock import utcnow
from kit.db.engine import make_engine
from scoring.adapters.store import RuleSetRow
from scoring.adapters.tables import Schema, make_schema
from scoring.domain.reviews import Status
from scoring.handlers.consume import GROUP
from scoring.handlers.totals import replace_ledger_totals
from scoring.replay import source as src
from scoring.replay.derived import DERIVED, Derived
from scoring.replay.fold import Counts, Fold
from scoring.replay.fresh import Fresh, Renamed
from scoring.replay.ids import Ids
from scoring.replay.progress import Progress, ReplayMetrics, make_replay_metrics, rss_mb
from scoring.replay.spill import Spill
from scoring.replay.switch import ReplayRefusedError, rule_set_marks, switch
from scoring.replay.totals import Counting
from scoring.settings import ScoringSettings
from scoring.wiring import wire

log = logging.getLogger(__name__)

WINDOW = 10_000
"""Events after which the live entries of a subject not touched again leave memory (``spill``)."""
FLUSH_ROWS = 20_000
"""Facts and entries the fold holds before they are written (bounds the memory of pending rows:
each fact holds its parsed envelope, ~3 KB, until written: ~30 MB at most)."""


@contextlib.contextmanager
def long_lived() -> Iterator[None]:
    """Keep the cyclic garbage collector off the fold's state while it grows (``settled`` calls).

    The fold holds hundreds of thousands of long-lived objects (inbox ids, versions, live
    entries); the collector's automatic runs scanned them over and over (~13 % of the replay's
    CPU at 200,000 events). Inside, it does not run: ``settled`` freezes what the fold made since
    the last write (never scanned again; refcounting still frees it). On the way out everything
    is unfrozen and the collector is back as it was.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if was:
            gc.enable()


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """Return glibc's ``malloc_trim`` (None on a C library without it)."""
    name = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    return cast("Callable[[int], int] | None", trim)


def settled() -> None:
    """Freeze the objects made since the last call and hand freed heap back (inside ``long_lived``)."""
    # No collection first: a replay of 200,000 events made 7 objects of cyclic garbage in all
    # (measured), and collecting the young objects at every write cost ~5 % of its CPU. A cycle
    # made inside stays until the end (unfrozen with the rest).
    gc.freeze()
    # The records, rows and envelopes of a write are freed in any order: glibc keeps the holes
    # they leave in its heap (RSS) unless asked to return them.
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@dataclass
class Outcome:
    """What a replay did."""

    plan: src.Plan
    counts: Counts
    read: src.Read
    rows: dict[str, int]
    ledgers: list[tuple[str, int, int]]
    adopted: list[tuple[str, int]]
    seconds: float
    rss_mb: float
    offsets_committed: bool
    cpu_seconds: float = 0.0
    """CPU time of the replay's process (user + system): what a loaded machine does not inflate."""
    live_moved: tuple[int, int] = (0, 0)
    """Subjects' live entries moved out of memory and back (per ledger)."""
    notes: list[str] = field(default_factory=list)


async def _rule_sets(engine: AsyncEngine, schema: Schema) -> list[RuleSetRow]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(schema.tables.rule_sets))
        return [RuleSetRow(**dict(r._mapping)) for r in rows]


async def _reviewed(engine: AsyncEngine, schema: Schema) -> tuple[set[str], set[str]]:
    """Return the entries voided and those rechecked (review statuses outlive a replay)."""
    s = schema.tables.entry_status
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(s.c.entry_id, s.c.status).where(
                s.c.status.in_([Status.voided.value, Status.rechecked.value])
            )
        )
        found = rows.tuples().all()
    voided = {entry_id for entry_id, status in found if status == Status.voided.value}
    return voided, {entry_id for entry_id, status in found if status == Status.rechecked.value}


async def _index(fresh: Fresh, table: str, progress: Progress) -> tuple[str, list[Renamed]]:
    """Index the fresh copy of a swapped table (``Fresh`` bounds the builds running together)."""
    renamed = await fresh.index(table)
    progress.say(f"replay: build: {table} indexed ({progress.elapsed():.1f} s)")
    return table, renamed


async def recount(
    settings: ScoringSettings, ledgers: Sequence[tuple[str, int, int]], counting: Counting
) -> None:
    """Store the switched ledgers' deputy totals the fold counted; publish the differences."""
    core = wire(settings, registry=CollectorRegistry())
    svc = core.services
    try:
        for county, year, version in ledgers:
            async with svc.uow() as uow:
                row = await svc.store(uow).rule_set(county, year, version)
                if row is not None:
                    counted = counting.of((county, year, version))
                    await replace_ledger_totals(svc, uow, row, counted)
                    await uow.commit()
    finally:
        await core.runtime.engine.dispose()


async def replay(
    settings: ScoringSettings,
    *,
    year: int | None = None,
    derived: Sequence[Derived] = DERIVED,
    registry: CollectorRegistry | None = None,
    metrics: ReplayMetrics | None = None,
    progress_every: float = 2.0,
    engine: AsyncEngine | None = None,
    window: int = WINDOW,
) -> Outcome:
    """Rebuild from the topics and switch over; raise ``ReplayRefusedError`` when it must not."""
    cpu_started = time.process_time()
    metrics = metrics or make_replay_metrics(registry or CollectorRegistry())
    servers = settings.kafka_bootstrap_servers
    group_id = settings.consumer_group_id(GROUP)
    parts = await src.partitions(servers, settings.kafka_topic_prefix)
    if not parts:
        raise ReplayRefusedError("the topics do not exist: nothing to replay")
    state, members = await src.group_state(servers, group_id)
    if members:
        raise ReplayRefusedError(
            f"consumer group {group_id} has {members} member(s) ({state}): "
            "stop the scoring service (its ledger consumer) before a replay"
        )
    committed = await src.committed_offsets(servers, group_id, parts)
    ends = committed if year is not None else await src.end_offsets(servers, parts)
    plan = src.Plan(ends=dict(ends), committed=committed)
    everything = year is None
    own_engine = engine is None
    engine = engine or make_engine(settings.database_url)
    schema = make_schema()
    spill, seen = Spill(), Ids()
    try:
        rule_sets = await _rule_sets(engine, schema)
        marks = rule_set_marks(rule_sets)
        by_county: dict[str, list[RuleSetRow]] = {}
        for row in rule_sets:
            by_county.setdefault(row.county, []).append(row)
        now = utcnow()
        fresh_holder: list[Fresh] = []
        voided, rechecked = await _reviewed(engine, schema)
        fold = Fold(
            by_county,
            lambda county: fresh_holder[0].history(county),
            utcnow,
            voided=voided,
            rechecked=rechecked,
            spill=spill,
            window=window,
            seen=seen,
        )
        live = [schema.metadata.tables[d.table] for d in derived]
        if everything:
            live.append(schema.metadata.tables["inbox"])
        fresh = Fresh(engine, live, fold, now, consumer=GROUP)
        fresh_holder.append(fresh)
        await fresh.create()
        try:
            source = src.Source(servers, plan)
            progress = Progress(plan, source.read, fold.counts, metrics, every=progress_every)
            progress.enter("read")
            progress.say(
                f"replay: {'everything' if everything else f'year {year}'} from "
                f"{len(parts)} partitions, {plan.total:,} records to read"
            )
            events = 0
            with long_lived():
                async for run in source.batches():
                    for envelope, fact in run:
                        fold.apply_now(envelope, fact)
                        if fold.intake.years:
                            await fold.adopt()
                        events += 1
                        if fold.pending() >= FLUSH_ROWS:
                            await fresh.flush(fold.drain())
                            settled()
                        if events % 2000 == 0:
                            progress.tick()
                await fresh.flush(fold.drain())
                await fresh.settle()
            progress.tick(force=True)
            progress.enter("build")
            # PostgreSQL indexes the swapped tables while this process builds the others: those
            # written by the fold at once (the largest first), a built one as soon as it is built.
            swaps = everything and engine.dialect.name == "postgresql"
            indexing: list[asyncio.Task[tuple[str, list[Renamed]]]] = []
            if swaps:
                written = [d.table for d in derived if d.swap and d.build is None] + ["inbox"]
                for table in sorted(written, key=lambda t: -fresh.counts.get(t, 0)):
                    indexing.append(asyncio.create_task(_index(fresh, table, progress)))
            try:
                for d in derived:
                    if d.build is not None:
                        started, cpu = progress.elapsed(), time.process_time()
                        await d.build(fresh)
                        progress.say(
                            f"replay: build: {d.table} written in "
                            f"{progress.elapsed() - started:.1f} s "
                            f"({time.process_time() - cpu:.1f} s CPU)"
                        )
                        if swaps and d.swap:
                            indexing.append(asyncio.create_task(_index(fresh, d.table, progress)))
                swapped = dict(await asyncio.gather(*indexing))
            finally:
                for task in indexing:
                    task.cancel()
                for task in indexing:
                    with contextlib.suppress(BaseException):
                        await task
            ledgers = sorted(k for k in fold.ledgers if everything or k[1] == year)
            adopted = [r for r in fold.adopted if everything or r.year == year]
            progress.enter("switch")

            async def check(conn: AsyncConnection) -> None:
                state, members = await src.group_state(servers, group_id)
                if members:
                    raise ReplayRefusedError(
                        f"consumer group {group_id} gained members ({state}) during the replay"
                    )
                if await src.committed_offsets(servers, group_id, parts) != committed:
                    raise ReplayRefusedError(
                        f"consumer group {group_id} committed offsets during the replay"
                    )
                rows = await conn.execute(select(schema.tables.rule_sets))
                if rule_set_marks(RuleSetRow(**dict(r._mapping)) for r in rows) != marks:
                    raise ReplayRefusedError("rule sets changed during the replay")

            await switch(
                fresh,
                [d for d in derived if everything or d.per_ledger],
                ledgers=ledgers,
                everything=everything,
                adopted=adopted,
                rule_sets=schema.tables.rule_sets,
                inbox=schema.metadata.tables["inbox"] if everything else None,
                check=check,
                swapped=swapped,
                say=progress.say,
            )
        finally:
            with contextlib.suppress(Exception):  # a failed write was raised already
                await fresh.settle()
            rows = {name: fresh.counts[name] for name in fresh.live}
            await fresh.drop()
        progress.enter("totals")
        await recount(settings, ledgers, fold.counting)
        progress.enter("offsets")
        committed_now, notes = False, []
        if everything:
            try:
                await src.commit(servers, group_id, plan.ends)
                committed_now = True
            except Exception as error:  # the inbox drops what the consumer reads again
                notes.append(
                    f"offsets not committed ({type(error).__name__}): the consumer re-reads "
                    "from its old offsets and its inbox drops what the replay applied"
                )
                log.warning("replay: %s", notes[-1])
        metrics.ratio.set(1)
        progress.enter("done")
        return Outcome(
            plan=plan,
            counts=fold.counts,
            read=source.read,
            rows=rows,
            ledgers=ledgers,
            adopted=[(r.county, r.year) for r in adopted],
            seconds=progress.elapsed(),
            rss_mb=rss_mb(),
            cpu_seconds=time.process_time() - cpu_started,
            offsets_committed=committed_now,
            live_moved=(spill.moved_out, spill.moved_in),
            notes=notes,
        )
    finally:
        spill.close()
        seen.close()
        if own_engine:
            await engine.dispose()


def summary(outcome: Outcome) -> str:
    """Return the report of a replay, a few lines."""
    c, r = outcome.counts, outcome.read
    rate = r.records / outcome.seconds if outcome.seconds else 0.0
    lines = [
        f"replay: {r.records:,} records in {outcome.seconds:.1f} s ({rate:,.0f}/s), "
        f"{outcome.cpu_seconds:.1f} s CPU ({r.records / max(outcome.cpu_seconds, 1e-9):,.0f}/CPU s), "
        f"peak RSS {outcome.rss_mb:.0f} MB",
        f"  applied {c.applied:,}, duplicates {c.duplicates:,}, other types {r.skipped:,}, "
        f"invalid {r.invalid:,}, not covered {c.not_covered:,}, still parked {c.parked:,}",
        f"  ledgers switched: {', '.join(f'{a}/{b} v{v}' for a, b, v in outcome.ledgers) or '-'}; "
        f"seed rule sets adopted: {', '.join(f'{a}/{b}' for a, b in outcome.adopted) or '-'}",
        "  rows: " + ", ".join(f"{k} {v:,}" for k, v in outcome.rows.items()),
        f"  live entries of {outcome.live_moved[0]:,} subjects moved out of memory, "
        f"{outcome.live_moved[1]:,} back",
        f"  group offsets {'set to the replay end' if outcome.offsets_committed else 'unchanged'}",
        *(f"  note: {n}" for n in outcome.notes),
    ]
    return "\n".join(lines)
