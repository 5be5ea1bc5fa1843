"""Group commit: concurrent items share batches; each gets its own answer, whatever its neighbours do."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from prometheus_client import CollectorRegistry

from kit.group_commit import GroupCommit, GroupCommitMetrics


class RefusedError(Exception):
    """One item's own refusal."""


class OutageError(Exception):
    """Every item's error: nothing can be written."""


class Writer:
    """A batch writer that records its batches; items < 0 are refused, 99 spoils any batch."""

    def __init__(self, *, down: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.down = down
        self.writing = 0
        self.most_at_once = 0

    async def __call__(self, items: Sequence[int]) -> list[int | BaseException]:
        self.batches.append(list(items))
        self.writing += 1
        self.most_at_once = max(self.most_at_once, self.writing)
        await asyncio.sleep(0.01)  # a round trip: the next callers queue meanwhile
        self.writing -= 1
        if self.down:
            raise OutageError("database down")
        if 99 in items:
            raise RefusedError("99 spoils its transaction")
        return [RefusedError(str(i)) if i < 0 else i * 10 for i in items]


async def _answers(commit: GroupCommit[int, int], items: Sequence[int]) -> list[object]:
    return list(await asyncio.gather(*(commit(i) for i in items), return_exceptions=True))


async def test_concurrent_items_share_batches_and_each_gets_its_own_result() -> None:
    writer = Writer()
    registry = CollectorRegistry()
    commit = GroupCommit("t", writer, max_batch=8, metrics=GroupCommitMetrics(registry))
    answers = await _answers(commit, range(20))
    assert answers == [i * 10 for i in range(20)]
    assert [len(b) for b in writer.batches] == [8, 8, 4]
    assert writer.most_at_once == 1
    assert sorted(i for b in writer.batches for i in b) == list(range(20))
    assert registry.get_sample_value("kit_group_commit_batch_size_count", {"name": "t"}) == 3
    assert registry.get_sample_value("kit_group_commit_batch_size_sum", {"name": "t"}) == 20


async def test_a_refused_item_costs_its_neighbours_nothing() -> None:
    writer = Writer()
    commit = GroupCommit("t", writer)
    answers = await _answers(commit, [1, 2, -3, 4])
    assert answers[:2] == [10, 20]
    assert answers[3] == 40
    assert isinstance(answers[2], RefusedError)
    assert writer.batches == [[1, 2, -3, 4]]  # one transaction, not split


async def test_a_batch_that_fails_as_a_whole_is_written_again_item_by_item() -> None:
    writer = Writer()
    registry = CollectorRegistry()
    commit = GroupCommit("t", writer, metrics=GroupCommitMetrics(registry))
    answers = await _answers(commit, [0, 12, 99, 14])
    assert answers[0] == 0
    assert answers[1] == 120
    assert answers[3] == 140
    assert isinstance(answers[2], RefusedError)
    assert writer.batches == [[0, 12, 99, 14], [0], [12], [99], [14]]
    assert registry.get_sample_value("kit_group_commit_split_total", {"name": "t"}) == 1


async def test_a_shared_error_is_every_items_answer_at_once() -> None:
    writer = Writer(down=True)
    commit = GroupCommit("t", writer, shared=lambda e: isinstance(e, OutageError))
    answers = await _answers(commit, range(5))
    assert all(isinstance(a, OutageError) for a in answers)
    assert writer.batches == [[0, 1, 2, 3, 4]]  # no item written again alone


async def test_a_lone_item_is_written_at_once() -> None:
    writer = Writer()
    commit = GroupCommit("t", writer)
    assert await commit(7) == 70
    first = asyncio.ensure_future(commit(8))
    await asyncio.sleep(0)  # 8 is being written: 9 and 10 queue behind it
    later = await _answers(commit, [9, 10])
    assert await first == 80
    assert later == [90, 100]
    assert writer.batches == [[7], [8], [9, 10]]


async def test_a_broken_writer_fails_its_batch_not_the_next_one() -> None:
    calls = 0

    async def wrong_count(items: Sequence[int]) -> list[int | BaseException]:
        nonlocal calls
        calls += 1
        return [] if calls == 1 else list(items)

    commit = GroupCommit("t", wrong_count)
    with pytest.raises(RuntimeError, match="0 outcomes for 1 items"):
        await commit(1)
    assert await commit(2) == 2


async def test_more_writers_write_batches_side_by_side() -> None:
    writer = Writer()
    commit = GroupCommit("t", writer, max_batch=4, writers=2)
    answers = await _answers(commit, range(10))
    assert answers == [i * 10 for i in range(10)]
    assert writer.most_at_once == 2
    assert sorted(i for b in writer.batches for i in b) == list(range(10))
