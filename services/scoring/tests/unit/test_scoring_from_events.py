"""From contract events to a score card and an assessment: the pieces compose as the wiring will."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from scoring_harness import AS_OF, COUNTY, TOWN, YEAR

from contracts import cases as c, deputies as d, new_envelope, parse, to_bytes
from contracts.common import EventData
from contracts.vocabulary import (
    ActivityType,
    Attendance,
    CaseKind,
    DeputyGrade,
    DeputyStatus,
    Gender,
    Level,
    OutletLevel,
    Placement,
    ReplyClass,
    Satisfaction,
    SuggestionTiming,
    TownshipKind,
)
from scoring.domain.assessment import assess
from scoring.domain.documents import default_assessment_rules, default_rule_set
from scoring.domain.facts import Fact
from scoring.domain.ledger import derive
from scoring.domain.scorecard import score_card
from scoring.domain.translate import fact_of

START = datetime(YEAR, 1, 5, 2, 0, tzinfo=UTC)
TOWNSHIP = frozenset({Level.township})


def deputy(deputy_id: str) -> d.DeputyRegistered:
    return d.DeputyRegistered(
        deputy_id=deputy_id,
        township=TOWN,
        name="张三",
        gender=Gender.male,
        levels=TOWNSHIP,
        term=18,
        status=DeputyStatus.active,
        aggregate_version=1,
    )


def logged(
    activity_id: str, kind: ActivityType, on: date, marks: dict[str, Attendance]
) -> d.ActivityLogged:
    return d.ActivityLogged(
        activity_id=activity_id,
        township=TOWN,
        activity_type=kind,
        title="活动",
        levels=TOWNSHIP,
        held_on=on,
        duration_hours=8,
        attendance=tuple(d.AttendanceMark(deputy_id=k, attendance=v) for k, v in marks.items()),
        aggregate_version=1,
    )


def year_of_events() -> list[EventData]:
    """A small town's year as the deputies and cases services publish it."""
    present = Attendance.present
    return [
        d.TownshipRegistered(township=TOWN, county=COUNTY, name="东湖镇", kind=TownshipKind.town),
        deputy("d1"),
        deputy("d2"),
        logged(
            "s1", ActivityType.congress_session, date(YEAR, 1, 10), {"d1": present, "d2": present}
        ),
        logged(
            "s2",
            ActivityType.congress_session,
            date(YEAR, 12, 10),
            {"d1": present, "d2": Attendance.excused},
        ),
        logged("i1", ActivityType.inspection, date(YEAR, 4, 2), {"d1": present}),
        logged("t1", ActivityType.training, date(YEAR, 5, 2), {"d1": present, "d2": present}),
        c.SuggestionSubmitted(
            case_id="c1",
            township=TOWN,
            title="修缮村道",
            category="交通",
            level=Level.township,
            timing=SuggestionTiming.session,
            lead_deputy_id="d1",
            co_deputy_ids=("d2",),
            submitted_on=date(YEAR, 1, 10),
        ),
        c.CaseReplied(
            case_id="c1",
            township=TOWN,
            kind=CaseKind.suggestion,
            unit_id="u1",
            reply_class=ReplyClass.A,
            replied_on=date(YEAR, 3, 1),
            due_on=date(YEAR, 4, 10),
            on_time=True,
            deputy_ids=("d1", "d2"),
        ),
        c.CaseFeedbackGiven(
            case_id="c1",
            township=TOWN,
            deputy_id="d1",
            process=Satisfaction.satisfied,
            result=Satisfaction.satisfied,
        ),
        c.CaseClosed(
            case_id="c1",
            township=TOWN,
            kind=CaseKind.suggestion,
            reply_class=ReplyClass.A,
            solved=True,
            on_time=True,
            closed_on=date(YEAR, 3, 20),
        ),
        d.ManuscriptPublished(
            manuscript_id="m1",
            township=TOWN,
            title="东湖镇人大代表视察村道",
            outlet="人民代表报",
            outlet_level=OutletLevel.provincial,
            placement=Placement.single,
            published_on=date(YEAR, 4, 10),
        ),
    ]


def facts() -> list[Fact]:
    found = []
    for i, data in enumerate(year_of_events()):
        envelope = new_envelope(
            data, source="/test", correlationid="y", time=START + timedelta(days=i)
        )
        fact = fact_of(parse(to_bytes(envelope)))  # through the wire format
        assert fact is not None
        found.append(fact)
    return found


def test_a_year_of_events_gives_the_hand_computed_cards() -> None:
    rules = default_rule_set(COUNTY, YEAR)
    entries = derive(facts(), rules)
    d1, d2 = score_card("d1", entries, rules), score_card("d2", entries, rules)
    # d1: 60 + sessions 2 × 2 half-days × 5 + inspection 3 + training 10 + lead 3 + class A 2 + 满意 1
    assert d1.total == Decimal(99)
    assert d1.grade is DeputyGrade.excellent
    # d2: 60 + session 10 − leave 2 half-days × 1 + training 10 + co 0.6 + class A 0.4; no inspection
    assert d2.total == Decimal(79)
    assert d2.grade is DeputyGrade.not_competent
    assert [m.id for m in d2.minimums if not m.met] == ["inspection"]


def test_the_same_year_gives_the_town_its_assessment() -> None:
    (town,) = assess(facts(), default_assessment_rules(COUNTY, YEAR), as_of=AS_OF)
    lines = {x.measure_id: x.points for dim in town.dimensions for x in dim.lines}
    assert lines["congress_sessions"] == Decimal(16)
    assert lines["training_coverage"] == Decimal(10)
    assert lines["activities"] == Decimal(1)
    assert lines["solved_rate"] == Decimal(5)
    assert lines["manuscripts"] == Decimal("2.5")  # provincial single 10 × 0.25
    assert town.solved_rate == Decimal(1)
