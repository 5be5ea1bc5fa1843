"""The township assessment on two hand-computed townships: every line, the grade and the rank."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from scoring_harness import (
    AS_OF,
    COUNTY,
    COUNTY_ONLY,
    JOINT,
    STREET,
    TOWN,
    TOWNSHIP_ONLY,
    YEAR,
    P,
    activity,
    assigned,
    cancel,
    closed,
    deputy,
    overdue,
    published,
    reopened,
    reply,
    src,
    township,
)

from contracts.vocabulary import (
    ActivityType as T,
    AssessmentDimension as Dim,
    AssessmentGrade,
    CaseKind,
    DeputyStatus,
    Level,
    OutletLevel as L,
    Placement as Pl,
    ReplyClass,
    TownshipKind,
)
from scoring.domain import facts as f
from scoring.domain.assessment import LineScore, TownshipAssessment, assess
from scoring.domain.assessment_rules import AssessmentRules, Metric
from scoring.domain.documents import assessment_rules_from, default_assessment_rules
from scoring.domain.metrics import READERS

D = Decimal
RULES = default_assessment_rules(COUNTY, YEAR)
EMPTY_A, EMPTY_B = "330102003", "330102004"


def topic(
    topic_id: str, code: str, *, passed: bool | None, on: date = date(YEAR, 10, 1)
) -> f.TopicClosed:
    return f.TopicClosed(src("cases.supervision.topic_closed"), topic_id, code, True, passed, on)


def answered(
    case_id: str, *, solved: bool, on_time: bool, township: str = TOWN
) -> tuple[f.CaseReplied, f.CaseClosed]:
    """Return a suggestion's reply (A when solved, else D) and its closure."""
    reply_class = ReplyClass.A if solved else ReplyClass.D
    return (
        reply(case_id, reply_class, on_time=on_time, township=township),
        closed(case_id, solved=solved, on_time=on_time, township=township),
    )


def town_facts() -> list[f.Fact]:
    """东湖镇: a town with a patchy year."""
    return [
        township(TOWN),
        *(deputy(x) for x in ("d1", "d2", "d3", "d4")),
        deputy("d5", status=DeputyStatus.terminated),
        f.RosterVerified(src(), TOWN, date(YEAR, 3, 1)),
        f.Stale(src(), TOWN, None, date(YEAR, 9, 1)),
        f.Stale(src(), TOWN, "st1", date(YEAR, 9, 1)),
        activity("s1", T.congress_session, {}, levels=TOWNSHIP_ONLY),
        activity("s2", T.congress_session, {}, levels=TOWNSHIP_ONLY, on=date(YEAR, 12, 1)),
        activity("tr", T.training, {"d1": P.present, "d2": P.partial, "d3": P.excused}),
        activity("i1", T.inspection, {}, levels=JOINT),
        activity("i2", T.research, {}),
        activity("i3", T.law_inspection, {}),
        activity("i4", T.inspection, {}),
        cancel("i4", 2),
        activity("r1", T.reception_day, {}),
        activity("r2", T.reception_day, {}),
        *(reply(f"o{i}", ReplyClass.B, kind=CaseKind.opinion, on_time=i < 3) for i in range(4)),
        *answered("c1", solved=True, on_time=True),
        *answered("c2", solved=True, on_time=False),
        *answered("c3", solved=False, on_time=True),
        *answered("c4", solved=False, on_time=True),
        closed("c5", solved=False, on_time=True, replied=False),  # closed at triage
        topic("t1", TOWN, passed=True),
        topic("t2", TOWN, passed=False),
        topic("t3", TOWN, passed=True, on=date(YEAR - 1, 10, 1)),
        f.HighlightReported(src(), "h1", TOWN, YEAR),
        f.HighlightReported(src(), "h0", TOWN, YEAR - 1),
        published("m1", L.city, Pl.single),
        published("m1", L.provincial, Pl.front_page_headline),  # the same piece, higher: 20 once
        published("m2", L.central, Pl.combined),
        published("m3", L.county, Pl.single),
        published("m4", L.central, Pl.single, on=date(YEAR - 1, 7, 1)),
    ]


def street_facts() -> list[f.Fact]:
    """城关街道: a subdistrict (no congress of its own) with a full year."""
    return [
        township(STREET, TownshipKind.subdistrict),
        deputy("e1", STREET),
        deputy("e2", STREET),
        f.RosterVerified(src(), STREET, date(YEAR, 1, 5)),
        activity("str", T.training, {"e1": P.present, "e2": P.present}, township=STREET),
        *(
            activity(
                f"si{i}", T.inspection, {}, township=STREET, levels=JOINT if i < 6 else COUNTY_ONLY
            )
            for i in range(10)
        ),
        *(activity(f"sr{i}", T.reception_day, {}, township=STREET) for i in range(12)),
        *answered("sc1", solved=True, on_time=True, township=STREET),
        *answered("sc2", solved=True, on_time=True, township=STREET),
        *(topic(f"st{i}", STREET, passed=True) for i in range(3)),
        f.HighlightReported(src(), "sh", STREET, YEAR),
        *(published(f"sm{i}", L.central, Pl.single, STREET) for i in range(3)),
        township("330103001"),  # another county: not assessed here
        township(EMPTY_A),
        township(EMPTY_B),
    ]


def results() -> dict[str, TownshipAssessment]:
    return {a.township: a for a in assess([*town_facts(), *street_facts()], RULES, as_of=AS_OF)}


def dims(a: TownshipAssessment) -> dict[Dim, Decimal]:
    return {d.dimension: d.points for d in a.dimensions}


def lines(a: TownshipAssessment) -> dict[str, Decimal]:
    return {x.measure_id: x.points for d in a.dimensions for x in d.lines}


def test_the_town_scores_every_line_as_computed_by_hand() -> None:
    town = results()[TOWN]
    assert lines(town) == {
        "roster_verified": D(4),
        "roster_stale": D(-2),
        "station_stale": D(-1),
        "congress_sessions": D(16),  # 2 sessions × 8
        "topics_passing": D(5),  # t1 only: t2 failed its vote, t3 was last year
        "training_coverage": D(5),  # d1, d2 of 4 active (d5 terminated) = 0.5 × 10
        "activities": D(3),  # i1–i3; i4 cancelled
        "joint_activities": D(1),  # i1
        "reception_days": D(1),  # 2 × 0.5
        "opinions_on_time": D(3),  # 3 of 4 = 0.75 × 4
        # every reply due in the year: o0–o2, c1, c3, c4 on time of o0–o3, c1–c4 (o3, c2 late;
        # c5 closed at triage, never due) = 0.75 × 5
        "cases_on_time": D("3.75"),
        "solved_rate": D("1.25"),  # c1, c2 of the same 8 (the opinions in 跟踪办理) = 0.25 × 5
        "assignments_overdue": D(0),
        "highlight": D(10),
        "manuscripts": D(8),  # m1 20 (provincial headline) + m2 10 + m3 2 = 32 × 0.25
        "manuscripts_beyond_quota": D(0),
    }
    assert dims(town) == {
        Dim.basic_work: D(17),
        Dim.supervision: D(5),
        Dim.deputy_work: D(9),
        Dim.reception_and_cases: D(9),
        Dim.highlight: D(10),
        Dim.publicity: D(8),
        Dim.bonus: D(0),
    }
    assert town.total == D(58)
    assert town.grade is AssessmentGrade.criticised
    assert town.solved_rate == D("0.25")


def test_the_subdistrict_gets_the_congress_line_in_full_and_caps_hold() -> None:
    street = results()[STREET]
    assert lines(street)["congress_sessions"] == D(16)
    line = next(
        x for d in street.dimensions for x in d.lines if x.measure_id == "congress_sessions"
    )
    assert "not applicable" in line.note
    assert dims(street) == {
        Dim.basic_work: D(20),
        Dim.supervision: D(15),
        Dim.deputy_work: D(25),  # coverage 10 + activities 10 (cap) + joint 5 (cap, 6 held)
        Dim.reception_and_cases: D(16),  # 6 (cap) + no opinions: 0 + 5 + 5
        Dim.highlight: D(10),
        Dim.publicity: D(10),  # 60 manuscript points, capped
        Dim.bonus: D(2),  # (60 − 40) × 0.1
    }
    assert street.total == D(98)
    assert street.grade is AssessmentGrade.excellent


def test_every_line_shows_its_evidence() -> None:
    town = results()[TOWN]
    evidence = {x.measure_id: x.evidence for d in town.dimensions for x in d.lines}
    assert evidence["activities"] == ("i1", "i2", "i3")
    assert evidence["training_coverage"] == ("d1", "d2")
    assert evidence["manuscripts"] == (
        "m1: provincial/front_page_headline 20",
        "m2: central/combined 10",
        "m3: county/single 2",
    )


def test_townships_of_the_county_are_ranked_ties_sharing_a_place() -> None:
    ranked = assess([*town_facts(), *street_facts()], RULES, as_of=AS_OF)
    assert [(a.township, a.rank, a.ranked) for a in ranked] == [
        (STREET, 1, 4),
        (TOWN, 2, 4),
        (EMPTY_A, 3, 4),
        (EMPTY_B, 3, 4),
    ]
    assert ranked[2].total == 0
    assert ranked[2].solved_rate is None


def test_every_metric_has_a_reader() -> None:
    assert set(READERS) == set(Metric)


def test_redelivered_facts_change_no_assessment() -> None:
    facts = [*town_facts(), *street_facts()]
    assert assess([*facts, *reversed(facts)], RULES, as_of=AS_OF) == assess(
        facts, RULES, as_of=AS_OF
    )


def test_a_county_can_count_submitted_manuscripts() -> None:
    data = RULES.model_dump(mode="json")
    data["dimensions"]["bonus"]["measures"].append(
        {
            "id": "submitted",
            "label": "报送稿件",
            "metric": "manuscripts_submitted",
            "points": 0.5,
            "max": 2,
        }
    )
    counted = assessment_rules_from(data)
    facts: list[f.Fact] = [
        township(TOWN),
        *(f.ManuscriptSubmitted(src(), f"m{i}", TOWN, date(YEAR, 2, i + 1)) for i in range(3)),
        f.ManuscriptSubmitted(src(), "old", TOWN, date(YEAR - 1, 12, 1)),
    ]
    (town,) = assess(facts, counted, as_of=AS_OF)
    line = next(x for d in town.dimensions for x in d.lines if x.measure_id == "submitted")
    assert (line.value, line.points, line.evidence) == (D(3), D("1.5"), ("m0", "m1", "m2"))


def test_a_deputy_who_moved_counts_on_the_new_roster_only() -> None:
    facts: list[f.Fact] = [
        township(TOWN),
        township(STREET, TownshipKind.subdistrict),
        deputy("d1"),
        deputy("d2"),
        deputy("d2", STREET, version=2),  # moved to the subdistrict
        deputy("d1", version=1),  # an old record redelivered under a new event id: ignored
        activity("tr", T.training, {"d1": P.present}),
    ]
    result = {a.township: a for a in assess(facts, RULES, as_of=AS_OF)}
    coverage = {
        code: next(x for d in a.dimensions for x in d.lines if x.measure_id == "training_coverage")
        for code, a in result.items()
    }
    assert (coverage[TOWN].value, coverage[TOWN].evidence) == (D(1), ("d1",))
    assert (coverage[STREET].value, coverage[STREET].evidence) == (D(0), ())


def line(
    facts: list[f.Fact], measure_id: str, as_of: date = AS_OF
) -> tuple[Decimal | None, tuple[str, ...]]:
    (town,) = assess([township(TOWN), *facts], RULES, as_of=as_of)
    found = next(x for d in town.dimensions for x in d.lines if x.measure_id == measure_id)
    return found.value, found.evidence


def own_mark(deputy_id: str, presence: f.Presence, version: int) -> f.AttendanceMarked:
    return f.AttendanceMarked(
        src("deputies.attendance.recorded"),
        "tr",
        TOWN,
        deputy_id,
        presence,
        T.training,
        frozenset({Level.county}),
        date(YEAR, 3, 10),
        version,
    )


def test_training_coverage_counts_each_deputys_latest_mark() -> None:
    facts: list[f.Fact] = [
        *(deputy(x) for x in ("d1", "d2", "d3", "d4")),
        own_mark("d3", P.present, 4),  # newer than the record below, though it came first
        activity("tr", T.training, {"d1": P.present, "d3": P.excused, "d4": P.present}),
        own_mark("d2", P.present, 2),  # recorded later through the attendance route
        own_mark("d1", P.unexcused_absence, 3),  # corrected
        own_mark("d4", P.excused, 1),  # no newer than the record's version 1: ignored
    ]
    # d2, d3, d4 trained of 4 active deputies
    assert line(facts, "training_coverage") == (D("0.75"), ("d2", "d3", "d4"))


def test_an_activity_version_newer_than_a_mark_carries_every_mark() -> None:
    facts: list[f.Fact] = [
        deputy("d1"),
        deputy("d2"),
        activity("tr", T.training, {}),
        own_mark("d1", P.present, 2),
        activity("tr", T.training, {"d2": P.present}, version=3),  # d1's mark is gone
    ]
    assert line(facts, "training_coverage") == (D("0.5"), ("d2",))


def test_a_status_correction_puts_the_deputy_back_on_the_active_roster() -> None:
    corrected = f.StatusCorrected(src(), "d2", TOWN, DeputyStatus.active, 3)
    facts: list[f.Fact] = [
        deputy("d1"),
        deputy("d2"),
        deputy("d2", status=DeputyStatus.terminated, version=2),
        activity("tr", T.training, {"d1": P.present}),
    ]
    assert line(facts, "training_coverage") == (D(1), ("d1",))  # d1 of 1 active
    assert line([*facts, corrected], "training_coverage") == (D("0.5"), ("d1",))  # d1 of 2
    stale = f.StatusCorrected(src(), "d2", TOWN, DeputyStatus.active, 2)  # not newer: ignored
    assert line([*facts, stale], "training_coverage") == (D(1), ("d1",))


def test_a_highlight_counts_as_corrected_and_not_once_withdrawn() -> None:
    facts: list[f.Fact] = [
        f.HighlightReported(src(), "h1", TOWN, YEAR),
        f.HighlightReported(src(), "h1", TOWN, YEAR - 1, version=2),  # corrected to last year
        f.HighlightReported(src(), "h2", TOWN, YEAR),
        f.HighlightWithdrawn(src(), "h2", TOWN, 2),
        f.HighlightReported(src(), "h2", TOWN, YEAR),  # the report again, new event id: withdrawn
        f.HighlightReported(src(), "h3", TOWN, YEAR - 1),
        f.HighlightReported(src(), "h3", TOWN, YEAR, version=2),  # corrected into this year
    ]
    assert line(facts, "highlight") == (D(1), ("h3",))


def corrected(
    manuscript_id: str, publication: f.ManuscriptPublished | None, version: int = 2
) -> f.ManuscriptCorrected:
    return f.ManuscriptCorrected(
        src("deputies.manuscript.corrected"),
        manuscript_id,
        TOWN,
        date(YEAR, 6, 1),
        publication,
        version,
    )


def test_a_manuscript_counts_once_at_its_corrected_level_and_not_once_withdrawn() -> None:
    facts: list[f.Fact] = [
        published("m1", L.provincial, Pl.front_page_headline),
        corrected("m1", published("m1", L.county, Pl.single)),  # 20 corrected to 2
        published("m1", L.city, Pl.single),  # published again higher after it: 5, once
        published("m2", L.central, Pl.combined),
        f.ManuscriptWithdrawn(src(), "m2", TOWN, 2),  # 10 no longer counts
        published("m2", L.central, Pl.single),  # a late publication of a withdrawn piece
        published("m3", L.central, Pl.single),
        corrected("m3", None),  # stands unpublished
        f.ManuscriptSubmitted(src(), "m4", TOWN, date(YEAR, 5, 1)),
        corrected("m4", published("m4", L.npc_system, Pl.single)),  # now published: 5
        corrected("m4", None, version=1),  # older: ignored
    ]
    assert line(facts, "manuscripts") == (
        D(10),
        ("m1: city/single 5", "m4: npc_system/single 5"),
    )


def test_a_reopened_case_stays_answered_and_is_solved_only_once_closed_again() -> None:
    first: list[f.Fact] = [*answered("c1", solved=True, on_time=True)]
    first += answered("c2", solved=True, on_time=True)
    assert line(first, "solved_rate")[0] == D(1)
    facts: list[f.Fact] = [*first, reopened("c1")]
    assert line(facts, "solved_rate") == (D("0.5"), ("c2",))  # c1 is being handled again
    assert line(facts, "cases_on_time") == (D(1), ("c1", "c2"))  # its reply stands, on time
    again: list[f.Fact] = [
        *facts,
        reply("c1", ReplyClass.D, on_time=False, on=date(YEAR, 8, 1), round_=2),
        closed("c1", solved=False, on_time=False, on=date(YEAR, 8, 1)),
    ]
    assert line(again, "solved_rate")[0] == D("0.5")
    assert line(again, "cases_on_time") == (D("0.5"), ("c2",))  # round 2 answered late


def test_a_reply_counts_without_a_closure_in_the_year_it_was_due() -> None:
    facts: list[f.Fact] = [
        assigned("c1"),
        reply("c1", ReplyClass.B, on=date(YEAR, 4, 1), due=date(YEAR, 5, 10)),  # 跟踪办理
        assigned("c2"),
        reply("c2", ReplyClass.C, on_time=False, on=date(YEAR, 6, 1), due=date(YEAR, 5, 10)),
        assigned("c3"),  # due next year, answered early: next year's
        reply("c3", ReplyClass.B, on=date(YEAR, 12, 20), due=date(YEAR + 1, 1, 10)),
        assigned("c4"),  # due this year, answered late next year: late in this year
        reply("c4", ReplyClass.A, on_time=False, on=date(YEAR + 1, 1, 5), due=date(YEAR, 12, 31)),
    ]
    # old: only closures counted, so none of them (value None) until closed, maybe years later
    assert line(facts, "cases_on_time") == (D("0.3333"), ("c1",))
    assert line(facts, "solved_rate") == (D(0), ())  # none closed solved yet, all three due


def test_an_unanswered_overdue_case_or_opinion_counts_as_late_in_its_due_year() -> None:
    facts: list[f.Fact] = [
        *answered("c1", solved=True, on_time=True),
        assigned("c2"),
        overdue("c2", date(YEAR, 6, 30)),  # never answered: late in YEAR
        assigned("c3"),
        overdue("c3", date(YEAR + 1, 1, 15)),  # due next year: not this year's
        reply("o1", ReplyClass.B, kind=CaseKind.opinion),
        assigned("o2", CaseKind.opinion),
        overdue("o2", date(YEAR, 7, 1)),  # an opinion never answered
        assigned("o3", CaseKind.opinion),
        overdue("o3", date(YEAR, 7, 1)),
        reply(
            "o3",
            ReplyClass.B,
            kind=CaseKind.opinion,
            on_time=False,
            on=date(YEAR, 8, 1),
            due=date(YEAR, 7, 1),
        ),  # answered late
    ]
    # 建议意见按时答复率 (every kind): c1, o1 on time; c2, o2 unanswered and o3 late → 2 of 5
    assert line(facts, "cases_on_time") == (D("0.4"), ("c1", "o1"))
    # opinions: o1 on time, o3's late reply, o2 unanswered → 1 of 3
    assert line(facts, "opinions_on_time") == (D("0.3333"), ("o1",))


def test_an_unanswered_overdue_case_is_not_solved_in_its_due_year() -> None:
    facts: list[f.Fact] = [
        *answered("c1", solved=True, on_time=True),
        assigned("c2"),
        overdue("c2", date(YEAR, 6, 30)),
    ]
    # old: the rate divided over closed cases only (1 of 1)
    assert line(facts, "solved_rate") == (D("0.5"), ("c1",))


def test_a_reopened_opinion_answered_twice_counts_once() -> None:
    first = reply("o1", ReplyClass.B, kind=CaseKind.opinion)
    again = reply("o1", ReplyClass.B, kind=CaseKind.opinion, on=date(YEAR, 7, 1), round_=2)
    facts: list[f.Fact] = [assigned("o1", CaseKind.opinion), first, reopened("o1"), again]
    facts += [assigned("o2", CaseKind.opinion), reply("o2", ReplyClass.B, kind=CaseKind.opinion)]
    # old: 3 replies of 3, "o1" twice in the evidence
    assert line(facts, "opinions_on_time") == (D(1), ("o1", "o2"))
    late = reply(
        "o1", ReplyClass.B, kind=CaseKind.opinion, on_time=False, on=date(YEAR, 7, 1), round_=2
    )
    facts[3] = late
    assert line(facts, "opinions_on_time") == (D("0.5"), ("o2",))  # o1 once, late


def test_a_reopened_case_overdue_in_its_new_round_is_late_until_answered() -> None:
    facts: list[f.Fact] = [
        assigned("c1"),
        *answered("c1", solved=True, on_time=True),
        reopened("c1"),
        overdue("c1", date(YEAR, 7, 1), round_=2),
    ]
    assert line(facts, "cases_on_time") == (D(0), ())
    late = [*facts, reply("c1", ReplyClass.A, on_time=False, on=date(YEAR, 7, 5), round_=2)]
    assert line(late, "cases_on_time") == (D(0), ())  # answered, late
    assert line(late, "solved_rate") == (D(0), ())  # not closed again yet


def moved(case_id: str, before: date, after: date, *, assignment: bool = False) -> f.DueDateMoved:
    return f.DueDateMoved(
        src("cases.case.due_date_recomputed"), case_id, TOWN, assignment, before, after
    )


def test_a_deadline_moved_past_an_overdue_notice_withdraws_it_until_the_new_day_passes() -> None:
    facts: list[f.Fact] = [
        *answered("c0", solved=True, on_time=True),
        assigned("c1"),
        overdue("c1", date(YEAR, 9, 30)),
        moved("c1", date(YEAR, 9, 30), date(YEAR, 10, 9)),  # 国庆 arrangement loaded late
        assigned("c2"),
        overdue("c2", date(YEAR, 12, 30)),
        moved("c2", date(YEAR, 12, 30), date(YEAR + 1, 1, 4)),  # now next year's
        assigned("c3"),
        overdue("c3", date(YEAR, 6, 1)),
        moved("c3", date(YEAR, 5, 1), date(YEAR, 12, 1)),  # another deadline: the notice stands
    ]
    # on 10-05 c1 is not overdue after all (old: late): c0 on time of c0, c3
    assert line(facts, "cases_on_time", as_of=date(YEAR, 10, 5)) == (D("0.5"), ("c0",))
    assert line(facts, "solved_rate", as_of=date(YEAR, 10, 5)) == (D("0.5"), ("c0",))
    # on 10-10 its new day has passed unanswered: late again, without a new notice
    assert line(facts, "cases_on_time", as_of=date(YEAR, 10, 10)) == (D("0.3333"), ("c0",))
    answered_on_time = [
        *facts,
        reply("c1", ReplyClass.A, on=date(YEAR, 10, 8), due=date(YEAR, 10, 9)),
    ]
    assert line(answered_on_time, "cases_on_time", as_of=date(YEAR, 10, 10)) == (
        D("0.6667"),
        ("c0", "c1"),
    )
    # c2 moved into next year: not this year's, and next year's only once overdue there
    (town,) = assess([township(TOWN), *facts], next_year(), as_of=date(YEAR + 1, 1, 3))
    assert town_line(town, "cases_on_time").value is None
    (town,) = assess([township(TOWN), *facts], next_year(), as_of=date(YEAR + 1, 1, 5))
    assert town_line(town, "cases_on_time").evidence == ()
    assert town_line(town, "cases_on_time").value == D(0)


def next_year() -> AssessmentRules:
    return default_assessment_rules(COUNTY, YEAR + 1)


def town_line(town: TownshipAssessment, measure_id: str) -> LineScore:
    return next(x for d in town.dimensions for x in d.lines if x.measure_id == measure_id)


def chased(case_id: str, assign_by: date) -> f.AssignmentOverdue:
    return f.AssignmentOverdue(src("cases.case.assignment_chased"), case_id, TOWN, assign_by)


def test_a_late_assignment_costs_half_a_point_each_in_its_year_up_to_two() -> None:
    facts: list[f.Fact] = [
        chased("c1", date(YEAR, 3, 10)),
        chased("c1", date(YEAR, 3, 10)),  # the same item announced again: once
        chased("c2", date(YEAR, 9, 29)),
        moved("c2", date(YEAR, 9, 29), date(YEAR, 10, 12), assignment=True),
        chased("c3", date(YEAR - 1, 12, 1)),  # last year's
    ]
    assert line(facts, "assignments_overdue", as_of=date(YEAR, 10, 10)) == (D(1), ("c1",))
    assert line(facts, "assignments_overdue") == (D(2), ("c1", "c2"))
    (town,) = assess([township(TOWN), *facts], RULES, as_of=AS_OF)
    assert town_line(town, "assignments_overdue").points == D(-1)
    many = [chased(f"x{i}", date(YEAR, 5, 1)) for i in range(6)]
    (town,) = assess([township(TOWN), *many], RULES, as_of=AS_OF)
    assert town_line(town, "assignments_overdue").points == D(-2)  # at most 2
