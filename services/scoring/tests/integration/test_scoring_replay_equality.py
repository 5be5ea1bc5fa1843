"""The ledger written event by event in PostgreSQL equals the one derived from the facts at once.

A generated history of two townships' year: activities with corrections (attendance changed, a
date moved into the next year), cancellations, capped public welfare, suggestions with replies,
key chases, reopenings, assignments and feedback. Each event is applied in its own transaction, the derivation state
restored from the rows each time; the stored ledgers must equal ``derive`` over the stored facts.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from contracts import cases as c, deputies as d
from contracts.envelope import Envelope, RawEnvelope
from contracts.vocabulary import ActivityType, Attendance, Satisfaction
from scoring.adapters.store import Ledger, entry_of
from scoring.domain import facts as f
from scoring.domain.ledger import derive
from scoring.domain.translate import fact_of
from scoring.testing import events as ev
from scoring.testing.harness import envelope, ingest, running_app, settings_for

pytestmark = pytest.mark.integration

COUNTY = "990101"
TOWNS = ("990101001", "990101002")
KINDS = (
    ActivityType.inspection,
    ActivityType.research,
    ActivityType.public_welfare,
    ActivityType.congress_session,
    ActivityType.training,
    ActivityType.reception_day,
)
MARKS = (Attendance.present, Attendance.present, Attendance.excused, Attendance.unexcused_absence)


def _history(rng: random.Random) -> list[Envelope[Any]]:
    deputies = {t: [f"d-{t[-1]}{i}" for i in range(6)] for t in TOWNS}
    out: list[Envelope[Any]] = [envelope(ev.township(t)) for t in TOWNS]
    out += [envelope(ev.deputy(x, t)) for t in TOWNS for x in deputies[t]]
    logged: dict[str, d.ActivityRecord] = {}
    for n in range(7):  # 7 x 2 points of public welfare: the cap of 10 cuts the sixth
        day = date(2026, 2, 1) + timedelta(days=n)
        marks = {"d-10": Attendance.present}
        record = ev.logged(f"pw{n}", TOWNS[0], ActivityType.public_welfare, day, marks)
        logged[record.activity_id] = record
        out.append(envelope(record))
    late = ev.logged("late", TOWNS[0], ActivityType.inspection, date(2026, 12, 20), marks)
    to_2027 = d.ActivityCorrected(
        **{
            **late.model_dump(),
            "held_on": date(2027, 1, 5),
            "aggregate_version": 2,
            "reason": "日期更正",
        }
    )
    out += [envelope(late), envelope(to_2027)]
    cases: dict[str, tuple[str, tuple[str, ...]]] = {}
    for n in range(160):
        town = rng.choice(TOWNS)
        roll = rng.random()
        if roll < 0.45 or not logged:
            people = rng.sample(deputies[town], rng.randint(1, 4))
            marks = {p: rng.choice(MARKS) for p in people}
            day = date(2026, 1, 1) + timedelta(days=rng.randrange(360))
            record = ev.logged(f"a{n}", town, rng.choice(KINDS), day, marks)
            logged[record.activity_id] = record
            out.append(envelope(record))
        elif roll < 0.6:
            old = logged[rng.choice(sorted(logged))]
            people = rng.sample(deputies[old.township], rng.randint(1, 4))
            moved = old.held_on + timedelta(days=rng.choice((0, 0, 40)))
            fixed = d.ActivityCorrected(
                **{
                    **old.model_dump(),
                    "held_on": moved,
                    "attendance": tuple(
                        d.AttendanceMark(deputy_id=p, attendance=rng.choice(MARKS)) for p in people
                    ),
                    "aggregate_version": old.aggregate_version + 1,
                    "reason": "更正出勤",
                }
            )
            logged[old.activity_id] = fixed
            out.append(envelope(fixed))
        elif roll < 0.66:
            old = logged.pop(rng.choice(sorted(logged)))
            gone = d.ActivityCancelled(
                activity_id=old.activity_id,
                township=old.township,
                reason="活动取消",
                aggregate_version=old.aggregate_version + 1,
            )
            out.append(envelope(gone))
        elif roll < 0.8 or not cases:
            lead, *co = rng.sample(deputies[town], rng.randint(1, 3))
            day = date(2026, 1, 1) + timedelta(days=rng.randrange(300))
            out.append(envelope(ev.suggestion(f"c{n}", town, lead, *co, on=day)))
            cases[f"c{n}"] = (town, (lead, *co))
        else:
            case_id = rng.choice(sorted(cases))
            town, signers = cases[case_id]
            day = date(2026, 11, 1) + timedelta(days=rng.randrange(30))
            choice = rng.random()
            if choice < 0.4:
                out.append(envelope(ev.replied(case_id, town, signers, day)))
            elif choice < 0.6:
                out.append(
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
                out.append(envelope(ev.reopened(case_id, town, day)))
            elif choice < 0.75:
                out.append(envelope(ev.assigned(case_id, town, day, key_chase=choice < 0.73)))
            else:
                out.append(
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
    case_id = sorted(cases)[0]  # answered A, rated 满意, reopened, answered A again
    town, signers = cases[case_id]
    rated = c.CaseFeedbackGiven(
        case_id=case_id,
        township=town,
        deputy_id=signers[0],
        process=Satisfaction.satisfied,
        result=Satisfaction.satisfied,
    )
    out += [
        envelope(ev.replied(case_id, town, signers, date(2026, 12, 1))),
        envelope(rated),
        envelope(ev.reopened(case_id, town, date(2026, 12, 5))),
        envelope(ev.replied(case_id, town, signers, date(2026, 12, 20))),
        envelope(ev.overdue(case_id, town, date(2026, 9, 30))),
        envelope(ev.due_date_moved(case_id, town, date(2026, 9, 30), date(2026, 10, 9))),
        envelope(ev.assignment_chased(case_id, town, date(2026, 3, 10))),
        envelope(ev.assignment_chased(case_id, town, date(2026, 3, 10), notice="warning")),
    ]
    return out


async def test_the_incremental_ledger_equals_the_replayed_one(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    history = _history(random.Random(20260301))
    async with running_app(settings, relay=False) as (service, _):
        await ingest(service, history)
        svc = service.services
        async with svc.uow() as uow:
            store = svc.store(uow)
            active = await store.active(COUNTY)
            facts = [
                fact_of(RawEnvelope.model_validate(doc)) for doc in await store.facts_of(COUNTY)
            ]
            stored = {
                row.year: [
                    entry_of(r) for r in await store.entries(Ledger(COUNTY, row.year, row.version))
                ]
                for row in active
            }
        assert sorted(stored) == [2026, 2027]  # a correction moved a deed into the next year
        assert [(e.subject, e.points) for e in stored[2027]] == [("activity:late", Decimal(3))]
        late = [e.points for e in stored[2026] if e.subject == "activity:late"]
        assert late == [3, -3]  # earned, then reversed in the old year
        for row in active:
            replayed = derive([x for x in facts if x is not None], svc.rules(row))
            assert stored[row.year] == replayed
        lines = stored[2026]
        assert any(e.compensates for e in lines)  # corrections and cancellations reversed
        reopened = [e for e in lines if e.source_event_type == "cases.case.reopened"]
        assert reopened  # a reopening took back class-A or 满意 points
        assert all(e.points < 0 and e.rule_id.startswith("quality.") for e in reopened)
        assert any(e.capped_from is not None for e in lines)  # the public welfare cap bit
        assert len(lines) > 200
        moved = [x for x in facts if isinstance(x, f.DueDateMoved | f.AssignmentOverdue)]
        assert [type(x) for x in moved] == [f.DueDateMoved, f.AssignmentOverdue]  # no warning
