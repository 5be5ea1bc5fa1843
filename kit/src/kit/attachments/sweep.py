"""The orphan sweep: delete stored objects that no attachment row names, once they are old enough.

An upload writes its bytes first and its row after; a process killed between the two (or a
failed clean-up) leaves an object nothing points to. The sweep lists the store, keeps what the
``attachments`` table names and what is younger than the grace (an upload between its put and its
commit), and deletes the rest. It runs as a scheduled job (one instance at a time, the job lease),
and lists the store at most once per ``every``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from kit.attachments.http import Attachments
from kit.clock import utcnow

log = logging.getLogger("kit.attachments")


@dataclass
class OrphanSweep:
    """A scheduled job: delete the store's objects that no row names and are older than ``grace``."""

    att: Attachments
    grace: timedelta
    every: timedelta
    _last: float | None = field(default=None, init=False)

    async def __call__(self) -> int:
        """Sweep when ``every`` has passed since the last sweep; return the objects deleted."""
        started = time.monotonic()
        if self._last is not None and started - self._last < self.every.total_seconds():
            return 0
        self._last = started
        objects = await self.att.store.objects()
        cutoff = utcnow() - self.grace
        old = [o.key for o in objects if o.modified <= cutoff]
        named = await self._named()
        swept = 0
        for key in (k for k in old if k not in named):
            try:
                await self.att.store.delete(key)
            except Exception:
                self.att.metrics.store_error("orphan")
                log.exception("orphan not deleted", extra={"key": key})
                continue
            self.att.metrics.swept.labels(self.att.metrics.service).inc()
            swept += 1
        if swept:
            log.warning("deleted %d stored objects no attachment row named", swept)
        return swept

    async def _named(self) -> set[str]:
        """Return every key an attachment row names (read after the listing)."""
        async with self.att.uow() as uow:
            rows = await uow.session.execute(select(self.att.table.c.storage_key))
            return set(rows.scalars())
