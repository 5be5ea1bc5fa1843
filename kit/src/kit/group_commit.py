"""Group commit: concurrent requests' writes share one transaction, written by one task.

A request hands its item to ``GroupCommit`` and awaits its own answer. One writer task takes
everything queued (up to ``max_batch``) and calls the service's ``write_batch`` with it: one
transaction, one round trip per statement for the whole batch instead of per request. While a
batch is written the next requests queue, so the batch grows with the load and a lone request
waits for nothing. ``write_batch`` returns one outcome per item, a result or the exception that
item alone raises (a refusal costs its neighbours nothing). When the batch as a whole fails, one
item may be the cause (a key taken by a concurrent writer, a unique violation, a trigger's
refusal): every item is written again alone, so each gets its own answer. Only an error that is
every item's (``shared``, by default the database cannot be reached) is given to all at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram

from kit.web.problems import is_database_outage

Item = TypeVar("Item")
Result = TypeVar("Result")

SIZES = (1, 2, 4, 8, 16, 32, 64, 128)


class GroupCommitMetrics:
    """Batch sizes and batches written again item by item, per group-commit name."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.batch_size = Histogram(
            "kit_group_commit_batch_size",
            "Items written in one group-commit transaction",
            ["name"],
            buckets=SIZES,
            registry=registry,
        )
        self.split = Counter(
            "kit_group_commit_split",
            "Group-commit batches that failed as a whole and were written again item by item",
            ["name"],
            registry=registry,
        )


class GroupCommit(Generic[Item, Result]):
    """Queues items of concurrent requests and writes them in batches, ``writers`` at a time.

    With more than one writer a batch reads and prepares while another holds the locks it
    needs (the database serialises what must be serial, e.g. a counter row).
    """

    def __init__(
        self,
        name: str,
        write_batch: Callable[[Sequence[Item]], Awaitable[Sequence[Result | BaseException]]],
        *,
        max_batch: int = 64,
        writers: int = 1,
        shared: Callable[[BaseException], bool] = is_database_outage,
        metrics: GroupCommitMetrics | None = None,
    ) -> None:
        self.name = name
        self._write_batch = write_batch
        self.max_batch = max_batch
        self.writers = writers
        self.shared = shared
        self._metrics = metrics
        if metrics is not None:  # at 0 from the start: the first split moves `increase()`
            metrics.batch_size.labels(name)
            metrics.split.labels(name)
        self._queue: list[tuple[Item, asyncio.Future[Result]]] = []
        self._writing: set[asyncio.Task[None]] = set()

    async def __call__(self, item: Item) -> Result:
        """Queue an item; return its result or raise its error once its batch is written."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Result] = loop.create_future()
        self._queue.append((item, answer))
        # a finished writer is done at once (its callbacks run later); one of a closed loop never
        self._writing = {w for w in self._writing if not w.done() and w.get_loop() is loop}
        if len(self._writing) < self.writers:
            self._writing.add(loop.create_task(self._drain(), name=f"group-commit-{self.name}"))
        return await answer

    async def _drain(self) -> None:
        """Write batches until the queue is empty."""
        while self._queue:
            batch = self._queue[: self.max_batch]
            del self._queue[: self.max_batch]
            if self._metrics is not None:
                self._metrics.batch_size.labels(self.name).observe(len(batch))
            try:
                outcomes = await self._outcomes([item for item, _ in batch])
            except BaseException as error:  # cancelled at shutdown, or a broken write_batch
                for _, answer in batch:
                    if answer.done():
                        continue
                    if isinstance(error, asyncio.CancelledError):
                        answer.cancel()
                    else:
                        answer.set_exception(error)
                raise
            for (_, answer), outcome in zip(batch, outcomes, strict=True):
                if answer.done():  # the request went away; its write stands
                    continue
                if isinstance(outcome, BaseException):
                    answer.set_exception(outcome)
                else:
                    answer.set_result(outcome)

    async def _outcomes(self, items: list[Item]) -> Sequence[Result | BaseException]:
        """Return each item's outcome: the batch's, or each item's alone when one may spoil it."""
        try:
            outcomes = await self._write_batch(items)
        except Exception as error:  # every item's alone, or each item's own: written again
            if len(items) == 1 or self.shared(error):
                return [error] * len(items)
            if self._metrics is not None:
                self._metrics.split.labels(self.name).inc()
            return [outcome for item in items for outcome in await self._outcomes([item])]
        if len(outcomes) != len(items):
            raise RuntimeError(f"{self.name}: {len(outcomes)} outcomes for {len(items)} items")
        return outcomes


__all__ = ["GroupCommit", "GroupCommitMetrics"]
