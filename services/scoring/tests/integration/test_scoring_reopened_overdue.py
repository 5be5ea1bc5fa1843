"""Reopenings and overdue notices on real Kafka reach the ledger, the facts and the assessment.

A suggestion answered A, rated 满意 and closed is reopened: its class-A and 满意 points are
reversed (the filing's stay) and the case no longer counts as solved (its reply still counts on time). An opinion that went
overdue and was never answered lowers the on-time rates of its due year.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from contracts import cases as c
from contracts.vocabulary import CaseKind, ReplyClass, Satisfaction
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

TOWN = "990101001"
COUNTY = TOWN[:6]


def _closed(case_id: str, kind: CaseKind, *, solved: bool) -> c.CaseClosed:
    return c.CaseClosed(
        case_id=case_id,
        township=TOWN,
        kind=kind,
        reply_class=ReplyClass.A if solved else ReplyClass.D,
        solved=solved,
        on_time=True,
        closed_on=date(2026, 5, 1),
    )


async def _counted(service: Any, table: Any, n: int) -> bool:
    return await count(service.runtime.engine, table) == n


def _lines(body: dict[str, Any]) -> dict[str, Any]:
    return {x["measure_id"]: x for d in body["dimensions"] for x in d["lines"]}


async def test_a_reopening_and_an_unanswered_overdue_opinion_count_through_the_consumer(
    database_url: str, topic_prefix: str
) -> None:
    settings = settings_for(database_url, topic_prefix)
    rated = c.CaseFeedbackGiven(
        case_id="c1",
        township=TOWN,
        deputy_id="d1",
        process=Satisfaction.satisfied,
        result=Satisfaction.satisfied,
    )
    history = [
        envelope(ev.township(TOWN)),
        envelope(ev.deputy("d1", TOWN)),
        envelope(ev.deputy("d2", TOWN)),
        envelope(ev.suggestion("c1", TOWN, "d1", "d2", on=date(2026, 2, 1))),
        envelope(ev.assigned("c1", TOWN, date(2026, 2, 10), key_chase=False)),
        envelope(ev.replied("c1", TOWN, ("d1", "d2"), date(2026, 4, 1))),
        envelope(rated),
        envelope(_closed("c1", CaseKind.suggestion, solved=True)),
        envelope(ev.assigned("c2", TOWN, date(2026, 2, 10), key_chase=False)),
        envelope(ev.replied("c2", TOWN, ("d2",), date(2026, 4, 2))),
        envelope(_closed("c2", CaseKind.suggestion, solved=True)),
        envelope(ev.assigned("o1", TOWN, date(2026, 3, 1), kind=CaseKind.opinion, key_chase=False)),
        envelope(ev.overdue("o1", TOWN, date(2026, 6, 1))),
        envelope(ev.reopened("c1", TOWN, date(2026, 6, 5))),
    ]
    async with running_app(settings, consumers=True) as (service, client):
        # the roster first: a case event naming an unknown deputy would park while the case's
        # later events went ahead of it (see "Parking")
        await produce(settings, history[:3])
        deputies = service.services.tables.deputies
        await wait_until(lambda: _counted(service, deputies, 2), within=90)
        await produce(settings, history[3:])
        await wait_until(lambda: caught_up(settings, GROUP), within=90)
        e = service.services.tables.entries.c
        async with service.runtime.engine.connect() as conn:
            rows = await conn.execute(
                select(e.deputy_id, e.rule_id, e.points, e.source_event_type)
                .where(e.subject == "case:c1")
                .order_by(e.seq)
            )
            lines = [(d, rule, float(p), t) for d, rule, p, t in rows]
        reopened = [x[:3] for x in lines if x[3] == "cases.case.reopened"]
        assert sorted(reopened) == [
            ("d1", "quality.reply_class_a.lead", -2.0),
            ("d1", "quality.satisfied_feedback", -1.0),
            ("d2", "quality.reply_class_a.co_signer", -0.4),
        ]
        assert sum(p for _, _, p, _ in lines) == pytest.approx(3.6)  # the filing's 3 + 0.6

        response = await client.get(
            f"/api/v1/townships/{TOWN}/assessment",
            params={"year": 2026},
            headers=headers(settings, "county_admin", COUNTY),
        )
        assert response.status_code == 200, response.text
        measured = _lines(response.json())
        # c1 is being handled again: its reply stands (on time) but it is not solved; only c2
        # is (of c1, c2 and o1, late unanswered)
        assert measured["solved_rate"]["evidence"] == ["c2"]
        assert float(measured["solved_rate"]["value"]) == pytest.approx(1 / 3, abs=1e-4)
        assert measured["cases_on_time"]["evidence"] == ["c1", "c2"]  # of c1, c2, o1
        assert float(measured["cases_on_time"]["value"]) == pytest.approx(2 / 3, abs=1e-4)
        assert float(measured["opinions_on_time"]["value"]) == 0.0  # o1 of o1
