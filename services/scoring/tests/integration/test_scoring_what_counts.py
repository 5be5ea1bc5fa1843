"""What the on-time and 办成 rates count, through Kafka, the stored facts and the HTTP assessment.

A B reply in 跟踪办理 counts without a closure; an overdue case never answered is late and not
solved; a reopened opinion answered twice is one item; a holiday arrangement loaded later moves a
deadline past its overdue notice, which counts only once the new day has passed (the assessment
is taken as of a day: ``X-Dev-Clock``); a late assignment (交办) costs its line.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from contracts import cases as c
from contracts.vocabulary import CaseKind, ReplyClass
from kit.testing import count, wait_until
from scoring.handlers.consume import GROUP
from scoring.testing import events as ev
from scoring.testing.harness import (
    caught_up,
    envelope,
    headers,
    produce,
    running_app,
    settings_for,
)

pytestmark = pytest.mark.integration

TOWN = "990201001"
COUNTY = TOWN[:6]


def _reply(
    case_id: str,
    kind: CaseKind,
    reply_class: ReplyClass,
    on: date,
    due: date,
    round_: int = 1,
) -> c.CaseReplied:
    return c.CaseReplied(
        case_id=case_id,
        township=TOWN,
        kind=kind,
        unit_id="unit-traffic",
        reply_class=reply_class,
        replied_on=on,
        due_on=due,
        on_time=on <= due,
        follow_up_due_on=date(2026, 12, 31) if reply_class is not ReplyClass.A else None,
        round=round_,
    )


def _history() -> list[Any]:
    opinion = CaseKind.opinion
    suggestion = CaseKind.suggestion
    on = date(2026, 2, 10)
    return [
        # c1: answered B on time, followed up (跟踪办理), never closed
        ev.assigned("c1", TOWN, on, key_chase=False),
        _reply("c1", suggestion, ReplyClass.B, date(2026, 4, 1), date(2026, 5, 10)),
        # c2: overdue, never answered
        ev.assigned("c2", TOWN, on, key_chase=False),
        ev.overdue("c2", TOWN, date(2026, 5, 10)),
        # c3: answered A on time, closed solved
        ev.assigned("c3", TOWN, on, key_chase=False),
        _reply("c3", suggestion, ReplyClass.A, date(2026, 4, 2), date(2026, 5, 10)),
        c.CaseClosed(
            case_id="c3",
            township=TOWN,
            kind=suggestion,
            reply_class=ReplyClass.A,
            solved=True,
            on_time=True,
            closed_on=date(2026, 4, 20),
        ),
        # o1: answered, reopened, answered again (both on time): one opinion
        ev.assigned("o1", TOWN, on, kind=opinion, key_chase=False),
        _reply("o1", opinion, ReplyClass.B, date(2026, 3, 1), date(2026, 3, 12)),
        ev.reopened("o1", TOWN, date(2026, 6, 1)),
        _reply("o1", opinion, ReplyClass.B, date(2026, 6, 20), date(2026, 7, 1), round_=2),
        # o2: overdue on 09-30, then the 国庆 arrangement loaded late moves its day to 10-09
        ev.assigned("o2", TOWN, on, kind=opinion, key_chase=False),
        ev.overdue("o2", TOWN, date(2026, 9, 30)),
        ev.due_date_moved("o2", TOWN, date(2026, 9, 30), date(2026, 10, 9)),
        # late assignments: c4 late; c5 warned only; c6 late, its deadline moved to 10-12
        ev.assignment_chased("c4", TOWN, date(2026, 3, 10), notice="overdue"),
        ev.assignment_chased("c5", TOWN, date(2026, 3, 10), notice="warning"),
        ev.assignment_chased("c6", TOWN, date(2026, 9, 29), notice="overdue"),
        ev.due_date_moved("c6", TOWN, date(2026, 9, 29), date(2026, 10, 12), clock="assignment"),
    ]


def _lines(body: dict[str, Any]) -> dict[str, Any]:
    return {x["measure_id"]: x for d in body["dimensions"] for x in d["lines"]}


async def _assessed(client: Any, settings: Any, day: str) -> dict[str, Any]:
    response = await client.get(
        f"/api/v1/townships/{TOWN}/assessment",
        params={"year": 2026},
        headers={
            **headers(settings, "county_admin", COUNTY),
            "X-Dev-Clock": f"{day}T04:00:00+00:00",
        },
    )
    assert response.status_code == 200, response.text
    return _lines(response.json())


def _value(line: dict[str, Any]) -> tuple[float, list[str]]:
    return float(line["value"]), line["evidence"]


async def test_the_rates_count_replies_items_and_moved_deadlines_through_the_consumer(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix, dev_mode=True)
    async with running_app(settings, consumers=True) as (service, client):
        await produce(settings, [envelope(ev.township(TOWN))])
        townships = service.services.tables.townships
        await wait_until(lambda: _is(count(service.runtime.engine, townships), 1), within=90)
        await produce(settings, [envelope(x) for x in _history()])
        await wait_until(lambda: caught_up(settings, GROUP), within=90)

        t = service.services.tables.facts.c
        async with service.runtime.engine.connect() as conn:
            rows = await conn.execute(
                select(t.event_type, func.count())
                .where(
                    t.event_type.in_(
                        ["cases.case.due_date_recomputed", "cases.case.assignment_chased"]
                    )
                )
                .group_by(t.event_type)
            )
            stored = {str(kind): int(n) for kind, n in rows}
        # the two moves and the two overdue assignment notices are facts (the warning is not)
        assert stored == {"cases.case.due_date_recomputed": 2, "cases.case.assignment_chased": 2}

        before = await _assessed(client, settings, "2026-10-05")
        # o2's notice was premature on 10-05: c1, c3, o1 on time of c1, c2, c3, o1
        assert _value(before["cases_on_time"]) == (0.75, ["c1", "c3", "o1"])
        assert _value(before["opinions_on_time"]) == (1.0, ["o1"])  # o1 once, not twice
        assert _value(before["solved_rate"]) == (0.25, ["c3"])  # c2 unanswered is in it
        assert _value(before["assignments_overdue"]) == (1.0, ["c4"])
        assert float(before["assignments_overdue"]["points"]) == -0.5

        after = await _assessed(client, settings, "2026-10-13")
        # both moved days have passed unanswered: o2 late, c6 late
        assert _value(after["cases_on_time"]) == (0.6, ["c1", "c3", "o1"])
        assert _value(after["opinions_on_time"]) == (0.5, ["o1"])
        assert _value(after["solved_rate"]) == (0.2, ["c3"])
        assert _value(after["assignments_overdue"]) == (2.0, ["c4", "c6"])
        assert float(after["assignments_overdue"]["points"]) == -1.0


async def _is(value: Any, expected: int) -> bool:
    found: int = await value
    return found == expected
