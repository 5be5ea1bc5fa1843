"""Domain results become valid ``scoring.*`` contract payloads that keep every number."""

from __future__ import annotations

from datetime import date

from scoring_harness import COUNTY, STREET, TOWN, YEAR, P, activity, rules, suggestion, township

from contracts import new_envelope, parse, parse_data, to_bytes
from contracts.vocabulary import ActivityType as T, DeputyGrade, PointsCategory
from scoring import events
from scoring.domain.assessment import assess
from scoring.domain.documents import default_assessment_rules
from scoring.domain.entries import Entry
from scoring.domain.facts import Fact
from scoring.domain.ledger import derive
from scoring.domain.scorecard import score_card

RULES = rules()


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
    first = assess(facts, default_assessment_rules(COUNTY, YEAR))[0]
    payload = events.assessment_published(first, "as-1")
    assert payload.township == first.township
    assert payload.rank == 1
    assert payload.ranked == 2
    assert sum(d.points for d in payload.dimensions) == float(first.total)
    assert payload.solved_rate is None
