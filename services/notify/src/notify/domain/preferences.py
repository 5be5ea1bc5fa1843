"""A recipient's preferences, their validation, and the plan of deliveries for a notice (pure).

The plan answers, for one notice: on which channels, when, and whether into the daily digest.
Channels are tried in order and the first with a usable address is used (or every one, with
``fan_out``); the in-app inbox always gets its copy and is never held. SMS and robot messages wait
for the end of quiet hours unless the notice is urgent and the recipient lets urgent ones pass.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from types import MappingProxyType

from kit.clock import CHINA
from notify.domain.hours import DigestTime, QuietHours, WorkingHours, outside_quiet
from notify.domain.model import Channel, DeliveryKey, Timing
from notify.domain.routing import Notice

_MINUTES_PER_DAY = 24 * 60
NIGHT = QuietHours(time(22, 0), time(7, 0))
"""Default quiet hours: no SMS or robot message from 22:00 to 07:00 China time."""


@dataclass(frozen=True, slots=True)
class Preferences:
    """How one recipient wants to hear: channels in order, quiet hours, the daily digest."""

    channels: tuple[Channel, ...] = (Channel.email,)
    per_event: Mapping[str, tuple[Channel, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    fan_out: bool = False
    quiet: tuple[QuietHours, ...] = (NIGHT,)
    urgent_passes_quiet: bool = True
    digest: DigestTime | None = field(default_factory=DigestTime)
    digest_everything: bool = False

    def wanted(self, event_type: str) -> tuple[Channel, ...]:
        """Return the channels, in order, the recipient wants for an event type."""
        return self.per_event.get(event_type, self.channels)


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """A problem with one field of submitted preferences (the API answers 422 with ``loc``)."""

    loc: tuple[str | int, ...]
    msg: str


def check_preferences(prefs: Preferences, event_types: Collection[str]) -> list[FieldProblem]:
    """Return what is wrong with a recipient's preferences (empty when they are sound)."""
    problems: list[FieldProblem] = []
    lists: dict[tuple[str, ...], tuple[Channel, ...]] = {("channels",): prefs.channels}
    lists.update({("per_event", t): chans for t, chans in prefs.per_event.items()})
    for loc, chans in lists.items():
        if len(set(chans)) != len(chans):
            problems.append(FieldProblem(loc, "a channel is listed twice"))
        for n, chan in enumerate(chans):
            if not isinstance(chan, Channel):
                problems.append(FieldProblem((*loc, n), f"unknown channel {chan!r}"))
    for event_type in prefs.per_event:
        if event_type not in event_types:
            problems.append(FieldProblem(("per_event", event_type), "unknown event type"))
    for i, first in enumerate(prefs.quiet):
        for j in range(i + 1, len(prefs.quiet)):
            if first.overlaps(prefs.quiet[j]):
                problems.append(FieldProblem(("quiet", j), f"overlaps quiet hours {i}"))
    quiet_minutes = {m for w in prefs.quiet for a, b in w.minute_ranges() for m in range(a, b)}
    if len(quiet_minutes) == _MINUTES_PER_DAY:
        problems.append(FieldProblem(("quiet",), "quiet hours cover the whole day"))
    return problems


@dataclass(frozen=True, slots=True)
class Planned:
    """One delivery to make: its key, channel, when, and whether into a day's digest.

    ``held`` says quiet hours moved it (the held backlog); ``problem`` says it cannot be made
    (no usable address) and must be recorded as a failed delivery at once.
    """

    key: DeliveryKey
    notice: Notice
    channel: Channel
    send_at: datetime
    digest_day: date | None = None
    held: bool = False
    problem: str | None = None


def _channels(notice: Notice, prefs: Preferences) -> list[tuple[Channel, str | None]]:
    wanted = [c for c in prefs.wanted(notice.event.type) if c is not Channel.in_app]
    who = notice.recipient
    usable = [c for c in wanted if who.address(c)]
    if prefs.fan_out:
        chosen = [(c, None if c in usable else who.problem(c)) for c in wanted]
    elif usable:
        chosen = [(usable[0], None)]
    elif wanted:
        chosen = [(wanted[0], who.problem(wanted[0]))]
    else:
        chosen = []
    return [*chosen, (Channel.in_app, None)]


def plan(
    notice: Notice,
    prefs: Preferences,
    now: datetime,
    hours: WorkingHours | None = None,
) -> list[Planned]:
    """Return the deliveries of one notice for a recipient with these preferences."""
    hours = hours or WorkingHours()
    base = max(now, notice.not_before) if notice.not_before else now
    start = base
    digested = notice.timing is Timing.digest or (prefs.digest_everything and not notice.urgent)
    digest_at = None
    if digested and prefs.digest is not None:
        digest_at = prefs.digest.next_send(start, hours.is_workday)
    elif notice.timing is not Timing.now and not notice.urgent:
        start = hours.next_open(start)
    may_interrupt = notice.urgent and prefs.urgent_passes_quiet
    planned = []
    for channel, problem in _channels(notice, prefs):
        key = DeliveryKey(notice.event.id, notice.recipient.ref, channel)
        if channel is Channel.in_app:
            planned.append(Planned(key, notice, channel, base))
            continue
        when = digest_at or start
        quiet_end = (
            when if may_interrupt or not channel.interrupts else outside_quiet(when, prefs.quiet)
        )
        day = digest_at.astimezone(CHINA).date() if digest_at else None
        planned.append(
            Planned(key, notice, channel, quiet_end, day, quiet_end != when, problem=problem)
        )
    return planned
