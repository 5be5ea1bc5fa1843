"""The replay's in-process parts: live entries moved out and back whole, the collector kept off,
the inbox's ids held exactly."""

from __future__ import annotations

import gc
import random
from uuid import UUID

from scoring_harness import COUNTY, YEAR, P, activity, cancel, rules

from contracts.vocabulary import ActivityType as T
from scoring.domain.ledger import Ledger
from scoring.replay.ids import Ids
from scoring.replay.run import long_lived, settled
from scoring.replay.spill import Spill


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
        spill.put((subject, key, entries) for subject, entries in live.items())
        for subject, entries in live.items():
            assert spill.take(subject) == [(key, entries)]
            assert spill.take(subject) == []
        assert (spill.moved_out, spill.moved_in) == (len(live), len(live))
        assert spill.take("activity:never-stored") == []
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
    ids, reference = Ids(capacity=16), set()
    drawn = [UUID(int=rng.getrandbits(128)) for _ in range(5000)]
    # ids alike in one half or the other, and the all-zero id (the empty slot's value)
    drawn += [UUID(int=n) for n in (0, 1, 1 << 64, (1 << 64) + 1, (1 << 128) - 1)]
    for value in drawn + rng.sample(drawn, 2000) + drawn[:10]:
        assert ids.add(value) == (value not in reference)
        reference.add(value)
        assert value in ids
    assert len(ids) == len(reference) == 5005
    assert UUID(int=rng.getrandbits(128)) not in ids
    assert all(value in ids for value in reference)
