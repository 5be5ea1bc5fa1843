"""A one-line progress display for long benchmark phases."""

from __future__ import annotations

import sys
import time


class Progress:
    """Prints `label: done/total (rate/s)` on one line, at most ten times a second."""

    def __init__(self, label: str, total: int) -> None:
        self.label = label
        self.total = total
        self.started = time.perf_counter()
        self._shown = 0.0

    def update(self, done: int) -> None:
        """Show how far the phase is (on a terminal ten times a second, else every 5 s)."""
        now = time.perf_counter()
        every = 0.1 if sys.stderr.isatty() else 5.0
        if now - self._shown < every and done < self.total:
            return
        self._shown = now
        rate = done / max(now - self.started, 1e-9)
        end = "" if sys.stderr.isatty() else "\n"
        sys.stderr.write(f"\r  {self.label}: {done:,}/{self.total:,} ({rate:,.0f}/s)   {end}")
        sys.stderr.flush()

    def finish(self) -> float:
        """End the line and return the seconds the phase took."""
        elapsed = time.perf_counter() - self.started
        sys.stderr.write(f"\r  {self.label}: {self.total:,} in {elapsed:.2f} s" + " " * 20 + "\n")
        return elapsed
