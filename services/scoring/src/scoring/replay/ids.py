"""The replay's inbox in memory: the event ids applied so far, in 23–46 bytes an id, not ~80.

A Python ``set`` of UUIDs (or of their ints) holds an object per id plus its slot: ~80 bytes an
event, the largest single thing that grew with a replay. ``Ids`` keeps the two 64-bit halves of
each id in two flat arrays (open addressing, linear probing, 35–70 % full: 16 bytes a slot, no
object per id). Exact: ids are compared whole, never hashed down.
"""

from __future__ import annotations

from array import array
from uuid import UUID

_LOW = (1 << 64) - 1
LOAD = 0.7
"""The share of slots in use before the arrays double."""


class Ids:
    """A growing set of UUIDs: ``add`` says whether an id is new."""

    def __init__(self, capacity: int = 1 << 16) -> None:
        size = 1 << max(4, (capacity - 1).bit_length())
        self._high = array("Q", bytes(8 * size))
        self._low = array("Q", bytes(8 * size))
        self._mask = size - 1
        self._used = 0
        self._nil = False  # the all-zero id marks an empty slot: it is remembered apart

    def __len__(self) -> int:
        """Return how many ids are held."""
        return self._used + self._nil

    def __contains__(self, value: object) -> bool:
        """Return whether an id is held."""
        if not isinstance(value, UUID):
            return False
        n = value.int
        if n == 0:
            return self._nil
        high, low, mask = n >> 64, n & _LOW, self._mask
        highs, lows = self._high, self._low
        i = hash(n) & mask
        while highs[i] or lows[i]:
            if lows[i] == low and highs[i] == high:
                return True
            i = (i + 1) & mask
        return False

    def add(self, value: UUID) -> bool:
        """Hold an id; return False when it was held already."""
        n = value.int
        if n == 0:
            new, self._nil = not self._nil, True
            return new
        high, low, mask = n >> 64, n & _LOW, self._mask
        highs, lows = self._high, self._low
        i = hash(n) & mask
        while highs[i] or lows[i]:
            if lows[i] == low and highs[i] == high:
                return False
            i = (i + 1) & mask
        highs[i], lows[i] = high, low
        self._used += 1
        if self._used > LOAD * (mask + 1):
            self._grow()
        return True

    def _grow(self) -> None:
        """Double the arrays and place every id again."""
        old = zip(self._high, self._low, strict=True)
        size = 2 * (self._mask + 1)
        highs, lows = array("Q", bytes(8 * size)), array("Q", bytes(8 * size))
        mask = size - 1
        for high, low in old:
            if high or low:
                i = hash((high << 64) | low) & mask
                while highs[i] or lows[i]:
                    i = (i + 1) & mask
                highs[i], lows[i] = high, low
        self._high, self._low, self._mask = highs, lows, mask
