"""The replay's in-process parts: live entries and the rest of a subject's state moved out and
back whole, the collector kept off, the inbox's ids held exactly."""

from __future__ import annotations

import asyncio
import gc
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID

from scoring_harness import COUNTY, YEAR, P, activity, cancel, rules

from contracts.catalog import parse
from contracts.envelope import RawEnvelope
from contracts.vocabulary import ActivityType as T
from scoring.domain.entries import Entry
from scoring.domain.intake import LedgerKey
from scoring.domain.ledger import Ledger
from scoring.domain.translate import fact_of
from scoring.replay.fold import Fold
from scoring.replay.ids import Ids
from scoring.replay.run import long_lived, settled
from scoring.replay.spill import Spill
from scoring.testing.replay_history import county_year


def test_live_entries_come_back_from_the_spill_equal_and_only_once() -> None:
    ledger = Ledger(rules())
    ledger.apply(activity("a1", T.inspection, {"d1": P.present, "d2": P.excused}))
    ledger.apply(cancel("a1", 2))
    ledger.apply(activity("a2", T.research, {"d1": P.present}))
    live = dict(ledger.state.live)
    assert live  # a2's award (a1's were reversed)
    key = (COUNTY, YEAR, 1)
    spill = Spill()
    try:
        state = ({"activity:a2": 1}, "2.5", None, [(key, {"activity:a2": 1}, "2.5", None)])
        spill.put((subject, [(key, entries)], state) for subject, entries in live.items())
        spill.put([("case:c1", [], ({}, None, ("d1", ("d2",)), []))])  # a state, no entries
        assert sorted(spill.signers()) == [("case:c1", ("d1", ("d2",)))]
        for subject, entries in live.items():
            assert spill.take(subject) == ([(key, entries)], state)
            assert spill.take(subject) is None
        assert spill.take("case:c1") == ([], ({}, None, ("d1", ("d2",)), []))
        assert (spill.moved_out, spill.moved_in) == (len(live), len(live))
        assert spill.take("activity:never-stored") is None
    finally:
        spill.close()


def test_the_collector_is_off_while_folding_and_restored_after() -> None:
    assert gc.isenabled()
    with long_lived():
        assert not gc.isenabled()
        kept = [[n] for n in range(1000)]
        settled()
        assert gc.get_freeze_count() >= len(kept)
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_the_inbox_ids_tell_new_from_seen_exactly_as_a_set_does() -> None:
    rng = random.Random(3)
    ids, reference = Ids(batch=100), set()  # most ids in the file, the last ones in memory
    try:
        drawn = [UUID(int=rng.getrandbits(128)) for _ in range(5000)]
        # ids alike in one half or the other, and the all-zero id
        drawn += [UUID(int=n) for n in (0, 1, 1 << 64, (1 << 64) + 1, (1 << 128) - 1)]
        for value in drawn + rng.sample(drawn, 2000) + drawn[:10]:
            assert ids.add(value) == (value not in reference)
            reference.add(value)
            assert value in ids
        assert len(ids) == len(reference) == 5005
        assert UUID(int=rng.getrandbits(128)) not in ids
        assert all(value in ids for value in reference)
    finally:
        ids.close()


def _fold(spill: Spill | None, window: int) -> tuple[Fold, list[tuple[RawEnvelope, str]]]:
    """Return a fold with no rule set stored (it adopts the seed) and the facts it kept."""
    kept: list[tuple[RawEnvelope, str]] = []
    holder: list[Fold] = []

    async def history(county: str) -> AsyncIterator[RawEnvelope]:
        kept.extend(holder[0].drain().kept)  # as Fresh.history writes what is pending first
        for envelope, where in list(kept):
            if where == county:
                yield envelope

    now = datetime(2026, 12, 1, tzinfo=UTC)
    holder.append(Fold({}, history, lambda: now, spill=spill, window=window))
    return holder[0], kept


async def _run(fold: Fold, events: list[RawEnvelope]) -> list[tuple[LedgerKey, Entry]]:
    written: list[tuple[LedgerKey, Entry]] = []
    for envelope in events:
        await fold.apply(envelope, fact_of(envelope))
        written += [(w.ledger, w.entry) for w in fold.drain().written]
    return written


def test_a_fold_moving_subjects_out_and_back_writes_what_one_holding_everything_writes() -> None:
    rng = random.Random(5)
    events = [parse(e.model_dump_json().encode()) for e in county_year(rng, 3000)]
    whole, _ = _fold(None, 50)
    spill = Spill()
    try:
        moving, _ = _fold(spill, 50)
        expected = asyncio.run(_run(whole, events))
        assert asyncio.run(_run(moving, events)) == expected
        # the subjects left memory with their versions, durations, signatories and came back
        assert spill.states_out > 100
        assert spill.moved_in > 10
        assert len(moving.intake.s.versions) < len(whole.intake.s.versions)
        assert sorted(moving.versions()) == sorted(whole.versions())
        assert sorted(moving.hours()) == sorted(whole.hours())
        assert sorted(moving.signers()) == sorted(whole.signers())
        assert moving.counting.totals == whole.counting.totals
        moving._take_all(spill)  # everything back: the same state as the fold that kept it
        for key, ledger in whole.intake.ledgers.items():
            mine, theirs = moving.intake.ledgers[key].state, ledger.state
            assert (mine.versions, mine.marks, mine.hours) == (
                theirs.versions,
                theirs.marks,
                theirs.hours,
            )
            assert (mine.signers, mine.live) == (theirs.signers, theirs.live)
        s, t = moving.intake.s, whole.intake.s
        assert (s.versions, s.hours, s.signers) == (t.versions, t.hours, t.signers)
    finally:
        spill.close()
