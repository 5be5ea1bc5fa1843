"""The one calendar day of the platform: the day in Asia/Shanghai (pure, no framework).

Due dates, "today", periods and years are China days, whatever the server's time zone: a UTC date
is wrong from 00:00 to 08:00 China time. Every service takes the day from here.

In development mode only (``DEV_MODE=true``) a request may pin the handlers' clock to a past
instant with the ``X-Dev-Clock`` header (``kit.web.devclock``), so a demo year is played through
the public API; production contexts use ``utcnow`` and never read the header.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar, Token
from datetime import UTC, date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
"""China Standard Time (no daylight saving since 1991, so a fixed offset is exact)."""


def utcnow() -> datetime:
    """Return the current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


def china_day(at: datetime) -> date:
    """Return the calendar day in China of an aware instant."""
    if at.tzinfo is None:
        raise ValueError("china_day needs an aware datetime")
    return at.astimezone(CHINA).date()


def today(now: datetime | None = None) -> date:
    """Return today's date in China (of ``now`` when given, for tests and replays)."""
    return china_day(now or utcnow())


_pinned: ContextVar[datetime | None] = ContextVar("kit_dev_clock", default=None)


def pinned_now() -> datetime:
    """Return the instant pinned for the current request (development mode), else the real one."""
    return _pinned.get() or utcnow()


# the latest instant a request pinned, and when (monotonic)
_played: list[tuple[datetime, float]] = []


def pin(at: datetime | None) -> Token[datetime | None]:
    """Pin the clock of the current context to ``at`` (aware) until the token is reset."""
    if at is not None and at.tzinfo is None:
        raise ValueError("the pinned instant must be timezone-aware")
    if at is not None:  # an earlier day played again (a later phase of a demo) keeps the clock
        _played[:] = [(max(at, _played[0][0]) if _played else at, time.monotonic())]
    return _pinned.set(at)


def played_clock(window: float) -> Callable[[], datetime]:
    """Return development mode's clock: a request's pinned instant, else the year being played.

    Outside a pinned request (a scheduled job such as the chase of overdue cases), while requests
    keep pinning (one in the last ``window`` seconds) it reads the latest instant played, so the
    jobs see the played day and not the real one; afterwards, and with a window of 0, the real one.
    """

    def now() -> datetime:
        pinned = _pinned.get()
        if pinned is not None:
            return pinned
        if _played and time.monotonic() - _played[0][1] < window:
            return _played[0][0]
        return utcnow()

    return now


def unpin(token: Token[datetime | None]) -> None:
    """Undo a ``pin``."""
    _pinned.reset(token)
