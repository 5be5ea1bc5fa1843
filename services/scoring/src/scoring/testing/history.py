"""A generated year of deputies and cases events: what the consumer tests and the bench feed.

Activities logged, corrected (attendance changed, one moved into the next year), cancelled, own
marks recorded and removed, suggestions with replies, key chases and feedback; a township and
some deputies registered only after events about them (those park), and redeliveries: an event
already sent sent again (the same envelope, the same id).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from contracts import cases as c, deputies as d
from contracts.envelope import Envelope
from contracts.vocabulary import ActivityType, Attendance, Satisfaction
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


@dataclass
class History:
    """The events in the order produced, redeliveries included, and how many are distinct."""

    events: list[Envelope[Any]] = field(default_factory=list)
    distinct: int = 0

    def add(self, e: Envelope[Any]) -> None:
        """Append a new event."""
        self.events.append(e)
        self.distinct += 1


def mixed_history(
    seed: int,
    count: int,
    *,
    county: str = "990101",
    towns: int = 3,
    deputies: int = 8,
    redeliveries: float = 0.03,
) -> History:
    """Return the roster and ``count`` more events of a county's year (redeliveries on top)."""
    rng = random.Random(seed)  # noqa: S311 - test data
    codes = [f"{county}{n:03d}" for n in range(1, towns + 1)]
    people = {t: [f"d{t[-3:]}-{i}" for i in range(deputies)] for t in codes}
    late_town = codes[-1]  # registered after some of its events: they park
    late_people = {p for t in codes for p in people[t][-2:]}
    out = History()
    for t in codes[:-1]:
        out.add(envelope(ev.township(t)))
    for t in codes:
        for p in people[t]:
            if p not in late_people and t != late_town:
                out.add(envelope(ev.deputy(p, t)))
    logged: dict[str, d.ActivityLogged | d.ActivityCorrected] = {}
    ids: list[str] = []  # every activity logged, cancelled ones included (skipped when drawn)
    cases: dict[str, tuple[str, tuple[str, ...]]] = {}
    case_ids: list[str] = []

    def drawn() -> str | None:
        for _ in range(8):
            found = rng.choice(ids)
            if found in logged:
                return found
        return None

    known: set[str] = {p for t in codes[:-1] for p in people[t] if p not in late_people}
    sent = 0
    moved_year = False
    while sent < count:
        n = sent
        if n == count // 4:  # the late roster arrives: what waits for it is applied
            out.add(envelope(ev.township(late_town)))
            for t in codes:
                for p in people[t]:
                    if p not in known:
                        out.add(envelope(ev.deputy(p, t)))
                        known.add(p)
            sent += 1
            continue
        town = rng.choice(codes)
        roll = rng.random()
        if roll < 0.4 or not logged:
            group = rng.sample(people[town], rng.randint(1, min(4, deputies)))
            marks = {p: rng.choice(MARKS) for p in group}
            day = date(2026, 1, 1) + timedelta(days=rng.randrange(350))
            record = ev.logged(f"a{n}", town, rng.choice(KINDS), day, marks)
            logged[record.activity_id] = record
            ids.append(record.activity_id)
            out.add(envelope(record))
            sent += 1
            continue
        picked = drawn()
        if picked is None:
            continue
        if roll < 0.5:
            old = logged[picked]
            group = rng.sample(people[old.township], rng.randint(1, min(4, deputies)))
            later = not moved_year and old.held_on.month == 12
            moved_year = moved_year or later
            shift = 30 if later else rng.choice((0, 0, 40))
            fixed = d.ActivityCorrected(
                **{
                    **old.model_dump(),
                    "held_on": old.held_on + timedelta(days=shift),
                    "attendance": tuple(
                        d.AttendanceMark(deputy_id=p, attendance=rng.choice(MARKS)) for p in group
                    ),
                    "aggregate_version": old.aggregate_version + 1,
                    "reason": "更正出勤",
                }
            )
            logged[old.activity_id] = fixed
            out.add(envelope(fixed))
        elif roll < 0.53:
            old = logged.pop(picked)
            gone = d.ActivityCancelled(
                activity_id=old.activity_id,
                township=old.township,
                reason="活动取消",
                aggregate_version=old.aggregate_version + 1,
            )
            out.add(envelope(gone))
        elif roll < 0.6:
            old = logged[picked]
            who = rng.choice([p for p in people[old.township] if p in known] or [None])
            if who is None:
                continue
            version = old.aggregate_version + 1
            common: dict[str, Any] = {
                "activity_id": old.activity_id,
                "deputy_id": who,
                "township": old.township,
                "activity_type": old.activity_type,
                "levels": old.levels,
                "held_on": old.held_on,
                "aggregate_version": version,
            }
            mark: d.AttendanceRecorded | d.AttendanceRemoved
            if rng.random() < 0.75:
                mark = d.AttendanceRecorded(**common, attendance=rng.choice(MARKS))
            else:
                mark = d.AttendanceRemoved(
                    **common, removed_attendance=Attendance.present, reason="误录"
                )
            logged[old.activity_id] = old.model_copy(update={"aggregate_version": version})
            out.add(envelope(mark))
        elif roll < 0.78 or not cases:
            lead, *co = rng.sample(people[town], rng.randint(1, min(3, deputies)))
            day = date(2026, 1, 1) + timedelta(days=rng.randrange(300))
            out.add(envelope(ev.suggestion(f"c{n}", town, lead, *co, on=day)))
            cases[f"c{n}"] = (town, (lead, *co))
            case_ids.append(f"c{n}")
        else:
            case_id = rng.choice(case_ids)
            town, signers = cases[case_id]
            day = date(2026, 11, 1) + timedelta(days=rng.randrange(30))
            choice = rng.random()
            if choice < 0.4:
                out.add(envelope(ev.replied(case_id, town, signers, day)))
            elif choice < 0.6:
                out.add(
                    envelope(
                        c.CaseKeyChaseDesignated(
                            case_id=case_id,
                            township=town,
                            deputy_ids=signers,
                            designated_by="u-leader",
                            designated_on=day,
                        )
                    )
                )
            elif choice < 0.7:  # handled again: its class-A and 满意 points are reversed
                out.add(envelope(ev.reopened(case_id, town, day)))
            elif choice < 0.75:
                out.add(envelope(ev.assigned(case_id, town, day, key_chase=choice < 0.73)))
            else:
                out.add(
                    envelope(
                        c.CaseFeedbackGiven(
                            case_id=case_id,
                            township=town,
                            deputy_id=rng.choice(signers),
                            process=Satisfaction.satisfied,
                            result=rng.choice(list(Satisfaction)),
                        )
                    )
                )
        sent += 1
        if out.events and rng.random() < redeliveries:
            out.events.append(rng.choice(out.events[-50:]))  # sent again, same id
    return out
