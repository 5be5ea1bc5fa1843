"""The consumer's whole pure step: one event in, the deliveries to store out (pure).

Route the event, drop reminders the throttle holds back, plan each notice with its recipient's
preferences. What cannot be delivered is kept, with its cause, to be stored as a failed delivery:
a recipient the directory does not know, an office nobody holds, a channel without an address.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from notify.domain.directory import Directory
from notify.domain.hours import WorkingHours
from notify.domain.model import RecipientRef
from notify.domain.preferences import Planned, Preferences, plan
from notify.domain.routing import Event, Notice, RoutingTable, Unresolved, route_event
from notify.domain.throttle import ReminderThrottle

ThrottleState = Callable[[RecipientRef, str], tuple[datetime | None, int]]
"""(recipient, throttle key) -> (last reminder sent at, how many were sent)."""


@dataclass(frozen=True, slots=True)
class Intake:
    """What one event comes to: deliveries to store, unresolved recipients, throttled notices."""

    deliveries: tuple[Planned, ...] = ()
    unresolved: tuple[Unresolved, ...] = ()
    throttled: tuple[Notice, ...] = ()

    @property
    def failed(self) -> tuple[Planned, ...]:
        """Return the deliveries that cannot be made (no usable address)."""
        return tuple(p for p in self.deliveries if p.problem is not None)


def take_in(
    event: Event,
    *,
    table: RoutingTable,
    directory: Directory,
    preferences: Callable[[RecipientRef], Preferences],
    throttle_state: ThrottleState,
    now: datetime,
    hours: WorkingHours | None = None,
    throttle: ReminderThrottle | None = None,
) -> Intake:
    """Return the deliveries an event causes, and what it could not deliver."""
    throttle = throttle or ReminderThrottle()
    routed = route_event(event, table, directory)
    deliveries: list[Planned] = []
    throttled: list[Notice] = []
    for notice in routed.notices:
        ref = notice.recipient.ref
        if notice.throttle_key is not None:
            last, sent = throttle_state(ref, notice.throttle_key)
            if not throttle.allows(last, sent, now):
                throttled.append(notice)
                continue
        deliveries.extend(plan(notice, preferences(ref), now, hours))
    return Intake(tuple(deliveries), routed.unresolved, tuple(throttled))
