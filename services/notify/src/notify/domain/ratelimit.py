"""A rate limit per channel (and per robot): a token bucket on an injected monotonic clock (pure).

Group robots take 20 messages a minute (DingTalk and WeCom both); SMS gateways and mail relays have
their own quotas. A sender asks ``wait`` before each message and sleeps that long. The bucket lives
in one process: with several instances each gets its share (configure rate / instances).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field


@dataclass(slots=True)
class TokenBucket:
    """``rate`` messages per ``per`` seconds, bursts up to ``burst``."""

    rate: float
    per: float = 60.0
    burst: float | None = None
    clock: Callable[[], float] = time.monotonic
    _tokens: float = field(init=False)
    _at: float = field(init=False)

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.per <= 0:
            raise ValueError("rate and period must be positive")
        self._tokens = self.capacity
        self._at = self.clock()

    @property
    def capacity(self) -> float:
        """Return the largest burst."""
        return self.burst if self.burst is not None else self.rate

    def wait(self) -> float:
        """Take a token; return how many seconds to wait before using it (0 when one is ready)."""
        now = self.clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate / self.per)
        self._at = now
        self._tokens -= 1
        if self._tokens >= 0:
            return 0.0
        return -self._tokens * self.per / self.rate


class RateLimits:
    """One bucket per key (a channel, or a channel and robot), made on first use."""

    def __init__(self, make: Callable[[Hashable], TokenBucket | None]) -> None:
        self._make = make
        self._buckets: dict[Hashable, TokenBucket | None] = {}

    def wait(self, key: Hashable) -> float:
        """Return the seconds to wait before sending under ``key`` (0 for an unlimited key)."""
        if key not in self._buckets:
            self._buckets[key] = self._make(key)
        bucket = self._buckets[key]
        return 0.0 if bucket is None else bucket.wait()
