"""Throttling of repeated reminders to one recipient about one case (pure).

Lessons from peers (domain.md §6.4): daily reminders after the due date, throttled by the time of
the last one (Netflix Dispatch's ``last_reminder_at``), so a scheduler that runs hourly, restarts,
or is replayed never nags twice a day; after a week of daily reminders, weekly ones. The cases
service already sends at most one ``cases.case.reminded`` a day; this guards the recipient's side
(several units' reminders, replays, a second instance) independently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from kit.clock import china_day


@dataclass(frozen=True, slots=True)
class ReminderThrottle:
    """At most one reminder per China day; after ``daily_for`` of them, one per ``then_every``."""

    daily_for: int = 5
    then_every: timedelta = timedelta(days=7)

    def __post_init__(self) -> None:
        if self.daily_for < 1 or self.then_every < timedelta(days=1):
            raise ValueError(
                "allow at least one daily reminder and space the later ones a day or more"
            )

    def allows(self, last_sent_at: datetime | None, sent: int, now: datetime) -> bool:
        """Tell whether a reminder may go now, given the last one sent and how many went."""
        if last_sent_at is None:
            return True
        if china_day(now) <= china_day(last_sent_at):
            return False
        if sent < self.daily_for:
            return True
        return china_day(now) - china_day(last_sent_at) >= self.then_every
