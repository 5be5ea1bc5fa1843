"""A generated county year of deputies and cases events, as they would sit on the topics.

``county_year`` yields envelopes lazily (a million fit in a bench without holding them): the
roster (some deputies registered only after their first activity, so events park), activities
with corrections (attendance changed, a date moved), cancellations, suggestions with co-signers,
class-A replies, 重点督办, feedback and closings. An activity or suggestion that names a deputy
not registered yet gets no later event of its own: the consumer applies such a later event
before the parked one (README, "Parking"), so its outcome would depend on how partitions
interleave, and the consumer and a replay would legitimately differ. ``delivered`` turns a list into what a consumer
may see: keys interleaved at random (per-key order kept, so partitions run ahead of each other)
and some events delivered twice, later, on their own key (a producer retry or a redelivery).
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import Any

from contracts import cases as c, deputies as d
from contracts.envelope import Envelope
from contracts.vocabulary import ActivityType, Attendance, CaseKind, ReplyClass, Satisfaction
from scoring.testing import events as ev
from scoring.testing.harness import envelope

KINDS = (
    ActivityType.inspection,
    ActivityType.research,
    ActivityType.public_welfare,
    ActivityType.congress_session,
    ActivityType.training,
    ActivityType.reception_day,
)
MARKS = (Attendance.present, Attendance.present, Attendance.excused, Attendance.unexcused_absence)
RECENT = 500
"""How many recent activities and cases a correction, reply or feedback is drawn from."""


def county_year(
    rng: random.Random,
    events: int,
    *,
    county: str = "990101",
    towns: int = 4,
    deputies: int = 12,
    year: int = 2026,
    late: float = 0.2,
    settle: int = 250,
) -> Iterator[Envelope[Any]]:
    """Yield the roster and then ``events`` more events of a county's year (lazily).

    A deputy registered late counts as unknown for ``settle`` more events (at least the
    ``spread`` of ``delivered``): until then nothing that names them gets a later event.
    """
    codes = [f"{county}{n:03d}" for n in range(1, towns + 1)]
    people = {t: [f"d{t[-3:]}-{i}" for i in range(deputies)] for t in codes}
    waiting = [p for t in codes for p in people[t] if rng.random() < late]
    on_time = {p for t in codes for p in people[t]} - set(waiting)
    # Not registered, or registered less than ``settle`` events ago (the first roster included).
    waiting_set = {p for t in codes for p in people[t]}
    settling: deque[tuple[int, str]] = deque((0, p) for p in sorted(on_time))
    for t in codes:
        yield envelope(ev.township(t))
        yield from (envelope(ev.deputy(p, t)) for p in people[t] if p in on_time)
    activities: dict[str, d.ActivityLogged | d.ActivityCorrected] = {}
    recent: deque[str] = deque(maxlen=RECENT)
    cases: dict[str, tuple[str, tuple[str, ...]]] = {}
    recent_cases: deque[str] = deque(maxlen=RECENT)
    start = date(year, 1, 1)
    for n in range(events):
        if waiting and rng.random() < 0.01:
            p = waiting.pop()
            settling.append((n, p))
            yield envelope(ev.deputy(p, _town(p, codes)))
            continue
        while settling and settling[0][0] + settle <= n:
            waiting_set.discard(settling.popleft()[1])
        town = rng.choice(codes)
        roll = rng.random()
        if roll < 0.4 or not recent:
            marks = {p: rng.choice(MARKS) for p in rng.sample(people[town], rng.randint(2, 6))}
            day = start + timedelta(days=rng.randrange(365))
            record = ev.logged(f"a{n}", town, rng.choice(KINDS), day, marks)
            activities[record.activity_id] = record
            if not waiting_set & marks.keys():  # see the docstring: nothing overtakes a parked one
                recent.append(record.activity_id)
            yield envelope(record)
        elif roll < 0.5:
            old = activities[rng.choice(recent)]
            marks = {p: rng.choice(MARKS) for p in rng.sample(people[old.township], 3)}
            shift = rng.choice((0, 0, 0, 20))
            fixed = d.ActivityCorrected(
                **{
                    **old.model_dump(),
                    "held_on": min(old.held_on + timedelta(days=shift), date(year, 12, 31)),
                    "attendance": tuple(
                        d.AttendanceMark(deputy_id=k, attendance=v) for k, v in marks.items()
                    ),
                    "aggregate_version": old.aggregate_version + 1,
                    "reason": "更正出勤",
                }
            )
            activities[old.activity_id] = fixed
            yield envelope(fixed)
        elif roll < 0.55:
            old = activities.pop(recent.pop())
            yield envelope(
                d.ActivityCancelled(
                    activity_id=old.activity_id,
                    township=old.township,
                    reason="活动取消",
                    aggregate_version=old.aggregate_version + 1,
                )
            )
        elif roll < 0.75 or not recent_cases:
            lead, *co = rng.sample(people[town], rng.randint(1, 3))
            day = start + timedelta(days=rng.randrange(300))
            cases[f"c{n}"] = (town, (lead, *co))
            if not waiting_set & {lead, *co}:
                recent_cases.append(f"c{n}")
            yield envelope(ev.suggestion(f"c{n}", town, lead, *co, on=day))
        else:
            case_id = rng.choice(recent_cases)
            town, signers = cases[case_id]
            day = start + timedelta(days=300 + rng.randrange(60))
            yield envelope(_case_event(rng, case_id, town, signers, day))
    for p in waiting:
        yield envelope(ev.deputy(p, _town(p, codes)))


def _town(deputy_id: str, codes: Sequence[str]) -> str:
    """Return the township of a generated deputy id (``d<last 3 digits>-<n>``)."""
    tail = deputy_id[1:4]
    return next(t for t in codes if t.endswith(tail))


def _case_event(
    rng: random.Random, case_id: str, town: str, signers: tuple[str, ...], day: date
) -> Any:
    choice = rng.random()
    if choice < 0.3:
        return ev.replied(case_id, town, signers, day)
    if choice < 0.55:
        return c.CaseKeyChaseDesignated(
            case_id=case_id,
            township=town,
            deputy_ids=signers,
            designated_by="u-leader",
            designated_on=day,
        )
    if choice < 0.8:
        return c.CaseFeedbackGiven(
            case_id=case_id,
            township=town,
            deputy_id=rng.choice(signers),
            process=Satisfaction.satisfied,
            result=rng.choice(list(Satisfaction)),
        )
    if choice < 0.84:  # handled again: its class-A and 满意 points are reversed
        return ev.reopened(case_id, town, day)
    if choice < 0.88:
        return ev.assigned(case_id, town, day, key_chase=choice < 0.86)
    if choice < 0.9:
        return ev.overdue(case_id, town, day)
    return c.CaseClosed(
        case_id=case_id,
        township=town,
        kind=CaseKind.suggestion,
        reply_class=rng.choice((ReplyClass.A, ReplyClass.B)),
        solved=rng.random() < 0.5,
        on_time=True,
        deputy_ids=signers,
        closed_on=day,
    )


def delivered(
    rng: random.Random,
    history: Sequence[Envelope[Any]],
    *,
    spread: int = 200,
    twice: float = 0.03,
    gap: int = 0,
) -> list[Envelope[Any]]:
    """Return the history interleaved across keys (each key's order kept) with redeliveries.

    A redelivered event comes again at least ``gap`` deliveries after the first time.
    """
    by_key: dict[str, list[int]] = {}
    for i, e in enumerate(history):
        by_key.setdefault(e.subject, []).append(i)
    slots = sorted(range(len(history)), key=lambda i: i + rng.randrange(spread))
    placed: list[int] = [0] * len(history)
    taken: dict[str, int] = dict.fromkeys(by_key, 0)
    for slot, i in enumerate(slots):
        key = history[i].subject
        placed[slot] = by_key[key][taken[key]]
        taken[key] += 1
    out = [history[i] for i in placed]
    for i in sorted(rng.sample(range(len(out)), int(len(out) * twice)), reverse=True):
        out.insert(min(len(out), i + 1 + gap + rng.randrange(spread)), out[i])
    return out
