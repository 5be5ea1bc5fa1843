"""Domain results become valid ``scoring.*`` contract payloads that keep every number."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from scoring_harness import (
    AS_OF,
    COUNTY,
    STREET,
    TOWN,
    YEAR,
    P,
    activity,
    rules,
    suggestion,
    township,
)
from sqlalchemy import MetaData, Table

from contracts import new_envelope, parse, parse_data, to_bytes
from contracts.common import EventData
from contracts.envelope import RawEnvelope
from contracts.scoring import CategoryTotal, GradeChanged, ScoreChanged
from contracts.vocabulary import ActivityType as T, DeputyGrade, PointsCategory
from kit.events import event
from kit.outbox import Outbox
from scoring import events
from scoring.domain.assessment import assess
from scoring.domain.documents import default_assessment_rules, default_rule_set
from scoring.domain.entries import Entry
from scoring.domain.facts import Fact
from scoring.domain.ledger import derive
from scoring.domain.scorecard import score_card
from scoring.domain.totals import tally
from scoring.domain.translate import fact_of
from scoring.testing.history import mixed_history

RULES = rules()
CAUSE = new_envelope(
    ScoreChanged(
        deputy_id="d1",
        township=TOWN,
        year=YEAR,
        total=1.0,
        confirmed_total=1.0,
        previous_total=0.0,
        rule_set_version=1,
    ),
    source="/services/cases",
    correlationid="flow-1",
)
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def ledger() -> list[Entry]:
    return derive(
        [
            suggestion("c", "d1"),
            activity("a", T.congress_session, {"d1": P.excused}, hours="8"),
            activity("a", T.congress_session, {"d1": P.present}, hours="8", version=2),
        ],
        RULES,
    )


def test_each_entry_becomes_a_points_recorded_event_that_survives_the_wire() -> None:
    for entry in ledger():
        payload = events.points_recorded(entry)
        wire = parse(to_bytes(new_envelope(payload, source="/services/scoring", correlationid="x")))
        assert parse_data(wire) == payload
        assert payload.compensates == entry.compensates
        assert payload.points == float(entry.points)
    categories = [events.points_recorded(e).category for e in ledger()]
    assert categories == [PointsCategory.suggestion, *[PointsCategory.attendance] * 3]


def test_a_card_becomes_score_and_grade_events() -> None:
    card = score_card("d1", ledger(), RULES)  # 60 + 3 + 10 = 73
    changed = events.score_changed(
        card, township=TOWN, previous_total=card.base, confirmed_total=card.base
    )
    assert (changed.total, changed.previous_total) == (73.0, 60.0)
    totals = {t.category: t.points for t in changed.by_category}
    assert totals == {
        PointsCategory.base: 60.0,
        PointsCategory.attendance: 10.0,
        PointsCategory.suggestion: 3.0,
    }
    assert events.grade_changed(card, township=TOWN, previous=card.grade) is None
    moved = events.grade_changed(card, township=TOWN, previous=DeputyGrade.competent)
    assert moved is not None
    assert moved.grade is DeputyGrade.not_competent


def test_an_assessment_becomes_an_assessment_published_event() -> None:
    facts: list[Fact] = [
        township(TOWN),
        township(STREET),
        activity("r", T.reception_day, {}, on=date(YEAR, 5, 1)),
    ]
    first = assess(facts, default_assessment_rules(COUNTY, YEAR), as_of=AS_OF)[0]
    payload = events.assessment_published(first, "as-1")
    assert payload.township == first.township
    assert payload.rank == 1
    assert payload.ranked == 2
    assert sum(d.points for d in payload.dimensions) == float(first.total)
    assert payload.solved_rate is None


def _same_rows(model: type[EventData], fields: dict[str, Any], payload: EventData) -> None:
    """The consumer's unvalidated row equals the validated envelope's row, byte for byte."""
    outbox = Outbox(table=Table("outbox", MetaData()), service="scoring", topic_prefix="p.")
    checked = event(payload, source="/services/scoring", cause=CAUSE)
    checked = checked.model_copy(update={"traceparent": TRACEPARENT})
    fast = outbox.row_of(
        model,
        fields,
        source="/services/scoring",
        correlationid=CAUSE.correlationid,
        causationid=str(CAUSE.id),
        traceparent=TRACEPARENT,
        id=checked.id,
        time=checked.time,
    )
    assert fast == outbox.row(checked)
    assert parse(fast["payload"].encode()) == parse(to_bytes(checked))


def test_the_consumers_unvalidated_outbox_rows_equal_the_validated_ones() -> None:
    history = mixed_history(7, 600, towns=2, deputies=6)
    facts = [
        x
        for e in history.events
        if (x := fact_of(RawEnvelope.model_validate(e.model_dump(mode="json")))) is not None
    ]
    entries = derive(facts, default_rule_set("990101", 2026))
    assert len(entries) > 100
    assert any(e.compensates for e in entries)
    assert any(e.points != int(e.points) for e in entries)  # 0.6, 0.4: floats written alike
    for entry in entries:
        payload = events.points_recorded(entry)
        _same_rows(type(payload), events.points_recorded_fields(entry), payload)
    rules_2026 = default_rule_set("990101", 2026)
    for deputy in sorted({e.deputy_id for e in entries})[:5]:
        mine = [e for e in entries if e.deputy_id == deputy]
        totals = tally(deputy, mine[0].township, mine, (), rules_2026)
        changed = ScoreChanged(
            deputy_id=deputy,
            township=totals.township,
            year=2026,
            total=float(totals.total),
            confirmed_total=float(totals.confirmed_total),
            previous_total=60.0,
            by_category=tuple(
                CategoryTotal(category=c, points=float(totals.by_category[c.value]))
                for c in PointsCategory
                if c.value in totals.by_category
            ),
            rule_set_version=1,
        )
        fields = events.score_changed_fields(
            totals, year=2026, version=1, previous_total=Decimal(60)
        )
        _same_rows(ScoreChanged, fields, changed)
        for previous in (None, DeputyGrade.excellent):
            graded = GradeChanged(
                deputy_id=deputy,
                township=totals.township,
                year=2026,
                grade=totals.grade,
                previous_grade=previous,
                total=float(totals.total),
            )
            fields = events.grade_changed_fields(totals, year=2026, previous=previous)
            _same_rows(GradeChanged, fields, graded)
