"""The ledger under the seeded rules: each item, caps at the boundary, deductions, corrections."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from uuid import uuid5

import pytest
from hypothesis import given, strategies as st
from scoring_harness import (
    COUNTY_ONLY,
    JOINT,
    TOWNSHIP_ONLY,
    YEAR,
    P,
    activity,
    assigned,
    cancel,
    feedback,
    key_chase,
    reopened,
    reply,
    rules,
    src,
    suggestion,
)

from contracts.vocabulary import ActivityType as T, CaseKind, Level, ReplyClass, Satisfaction
from scoring.domain.documents import rule_set_from
from scoring.domain.entries import NAMESPACE, Entry, award_id, name_uuid
from scoring.domain.facts import AttendanceMarked, Fact, Presence
from scoring.domain.ledger import Ledger, derive

RULES = rules()


def by_deputy_rule(entries: list[Entry]) -> dict[tuple[str, str], Decimal]:
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for e in entries:
        totals[e.deputy_id, e.rule_id] += e.points
    return {k: v for k, v in totals.items() if v != 0}


D = Decimal


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        pytest.param(  # 江北区: 视察 3 per time
            [activity("a", T.inspection, {"d1": P.present})],
            {("d1", "activity.inspection.present"): D(3)},
            id="inspection-present-3",
        ),
        pytest.param(  # 皇城镇: an activity absence −2; excused leave at an inspection costs nothing
            [activity("a", T.research, {"d1": P.unexcused_absence, "d2": P.excused})],
            {("d1", "activity.research.unexcused_absence"): D(-2)},
            id="activity-absence-minus-2",
        ),
        pytest.param(  # 7.5 hours = 2 half-days × 5; 3 hours of leave = 1 half-day × −1; −30 unexcused
            [
                activity(
                    "s",
                    T.congress_session,
                    {"d1": P.present, "d2": P.excused, "d3": P.unexcused_absence},
                    hours="7.5",
                    levels=TOWNSHIP_ONLY,
                )
            ],
            {
                ("d1", "activity.congress_session.present"): D(10),
                ("d2", "activity.congress_session.excused"): D(-2),
                ("d3", "activity.congress_session.unexcused_absence"): D(-30),
            },
            id="session-per-half-day",
        ),
        pytest.param(  # a session of 4 hours is exactly one half-day
            [activity("s", T.congress_session, {"d1": P.present}, hours="4")],
            {("d1", "activity.congress_session.present"): D(5)},
            id="session-one-half-day-boundary",
        ),
        pytest.param(  # 闵行区政协: full training 10, partial 5
            [activity("t", T.training, {"d1": P.present, "d2": P.partial})],
            {("d1", "activity.training.present"): D(10), ("d2", "activity.training.partial"): D(5)},
            id="training-full-partial",
        ),
        pytest.param(  # 石鼓区: reception 5; 述职 5, absence −5 (皇城镇)
            [
                activity("r", T.reception_day, {"d1": P.present}),
                activity("v", T.report_to_voters, {"d1": P.present, "d2": P.unexcused_absence}),
            ],
            {
                ("d1", "activity.reception_day.present"): D(5),
                ("d1", "activity.report_to_voters.present"): D(5),
                ("d2", "activity.report_to_voters.unexcused_absence"): D(-5),
            },
            id="reception-and-report",
        ),
        pytest.param(  # 江北区 3 per suggestion; co-signers 0.6 each; a duplicate co-signer once
            [suggestion("c", "d1", "d2", "d3")],
            {
                ("d1", "suggestion.lead"): D(3),
                ("d2", "suggestion.co_signer"): D("0.6"),
                ("d3", "suggestion.co_signer"): D("0.6"),
            },
            id="suggestion-lead-and-co",
        ),
        pytest.param(  # class A: lead 2, co 0.4, once per case even over two rounds; class B nothing
            [
                suggestion("c", "d1", "d2"),
                reply("c", ReplyClass.B),
                reply("c", ReplyClass.A),
                reply("c", ReplyClass.A),
            ],
            {
                ("d1", "suggestion.lead"): D(3),
                ("d2", "suggestion.co_signer"): D("0.6"),
                ("d1", "quality.reply_class_a.lead"): D(2),
                ("d2", "quality.reply_class_a.co_signer"): D("0.4"),
            },
            id="reply-class-a-once",
        ),
        pytest.param(  # opinions earn no quality points; unknown cases neither
            [reply("o", ReplyClass.A, kind=CaseKind.opinion), key_chase("unknown")],
            {},
            id="opinion-and-unknown-case",
        ),
        pytest.param(  # 重点督办 once per case: flagged at assignment, then designated again
            [suggestion("c", "d1", "d2"), key_chase("c"), key_chase("c")],
            {
                ("d1", "suggestion.lead"): D(3),
                ("d2", "suggestion.co_signer"): D("0.6"),
                ("d1", "quality.key_chase.lead"): D(5),
                ("d2", "quality.key_chase.co_signer"): D(1),
            },
            id="key-chase-once",
        ),
        pytest.param(  # 满意 from a signatory: 1, once; 基本满意 and strangers: nothing
            [
                suggestion("c", "d1", "d2"),
                feedback("c", "d2"),
                feedback("c", "d2"),
                feedback("c", "d1", Satisfaction.basically_satisfied),
                feedback("c", "d9"),
            ],
            {
                ("d1", "suggestion.lead"): D(3),
                ("d2", "suggestion.co_signer"): D("0.6"),
                ("d2", "quality.satisfied_feedback"): D(1),
            },
            id="satisfied-feedback",
        ),
        pytest.param(  # another year or another county: nothing under this rule set
            [
                activity("x", T.inspection, {"d1": P.present}, on=date(YEAR + 1, 1, 2)),
                activity("y", T.inspection, {"d1": P.present}, township="330103001"),
            ],
            {},
            id="out-of-scope",
        ),
    ],
)
def test_each_item_gives_its_hand_computed_points(
    facts: list[Fact], expected: dict[tuple[str, str], Decimal]
) -> None:
    assert by_deputy_rule(derive(facts, RULES)) == expected


def test_a_joint_activity_earns_the_county_value() -> None:
    data = RULES.model_dump(mode="json")
    data["activities"]["inspection"]["present"]["county"] = 4
    ruled = rule_set_from(data)
    facts: list[Fact] = [
        activity("a", T.inspection, {"d1": P.present}, levels=JOINT),
        activity("b", T.inspection, {"d1": P.present}, levels=TOWNSHIP_ONLY),
        activity("c", T.inspection, {"d1": P.present}, levels=COUNTY_ONLY),
    ]
    assert [e.points for e in derive(facts, ruled)] == [D(4), D(3), D(4)]


def test_the_public_welfare_cap_holds_at_the_boundary_in_event_order() -> None:
    facts = [activity(f"w{i}", T.public_welfare, {"d1": P.present}) for i in range(6)]
    entries = derive(facts, RULES)
    assert [e.points for e in entries] == [D(2)] * 5 + [D(0)]
    assert entries[-1].capped_from == D(2)  # the line says why it is 0
    assert sum(e.points for e in entries) == D(10)


def test_a_cancellation_frees_room_under_the_cap_for_later_activities() -> None:
    facts: list[Fact] = [activity(f"w{i}", T.public_welfare, {"d1": P.present}) for i in range(5)]
    facts += [cancel("w0", 2), activity("w5", T.public_welfare, {"d1": P.present})]
    entries = derive(facts, RULES)
    assert [e.points for e in entries[5:]] == [D(-2), D(2)]
    assert sum(e.points for e in entries) == D(10)


def test_a_correction_reverses_then_awards_the_corrected_record() -> None:
    logged = activity("a", T.inspection, {"d1": P.present, "d2": P.unexcused_absence})
    corrected = activity("a", T.inspection, {"d1": P.excused, "d2": P.present}, version=2)
    entries = derive([logged, corrected], RULES)
    first, second = entries[:2], entries[2:]
    reversals = [e for e in second if e.compensates]
    assert {e.compensates for e in reversals} == {e.entry_id for e in first}
    assert all(
        r.points == -next(e for e in first if e.entry_id == r.compensates).points for r in reversals
    )
    assert by_deputy_rule(entries) == {("d2", "activity.inspection.present"): D(3)}
    assert {e.period for e in entries} == {f"{YEAR}-Q1"}


def test_a_cancellation_nets_every_line_of_the_activity_to_zero() -> None:
    entries = derive(
        [activity("a", T.congress_session, {"d1": P.present, "d2": P.excused}), cancel("a", 2)],
        RULES,
    )
    assert len(entries) == 4
    assert by_deputy_rule(entries) == {}


def test_a_correction_into_another_year_leaves_nothing_in_this_one() -> None:
    logged = activity("a", T.inspection, {"d1": P.present})
    moved = activity("a", T.inspection, {"d1": P.present}, version=2, on=date(YEAR + 1, 1, 5))
    entries = derive([logged, moved], RULES)
    assert [e.points for e in entries] == [D(3), D(-3)]


def test_a_redelivered_event_and_an_older_version_change_nothing() -> None:
    logged = activity("a", T.inspection, {"d1": P.present})
    corrected = activity("a", T.inspection, {"d1": P.unexcused_absence}, version=2)
    ledger = Ledger(RULES)
    assert ledger.apply(logged)
    assert ledger.apply(corrected)
    assert ledger.apply(corrected) == []  # the same event again
    assert ledger.apply(activity("a", T.inspection, {"d1": P.present})) == []  # version 1 again


def test_entry_ids_are_fixed_by_rule_event_and_deputy() -> None:
    fact = suggestion("c", "d1", "d2")
    one, two = derive([fact], RULES), derive([fact], RULES)
    assert one == two
    assert one[0].entry_id == award_id("suggestion.lead", fact.source.event_id, "d1")
    assert len({e.entry_id for e in one}) == len(one)
    assert all(e.rule_set_version == 1 and e.source_event_id == fact.source.event_id for e in one)


def test_an_id_given_as_text_is_the_id_of_the_uuid() -> None:
    fact = suggestion("c", "d1", "d2")
    given_text = Ledger(RULES).apply(fact, str(fact.source.event_id))
    assert given_text == Ledger(RULES).apply(fact)
    assert award_id("r", fact.source.event_id, "d1") == award_id(
        "r", str(fact.source.event_id), "d1"
    )


def test_clauses_are_made_once_per_rule_set() -> None:
    first, again = Ledger(RULES), Ledger(RULES)
    assert first._clauses is again._clauses  # the same rule set: made once
    other = rule_set_from({**RULES.model_dump(mode="json"), "version": 2})
    assert Ledger(other)._clauses is not first._clauses
    assert Ledger(other)._clauses == first._clauses  # equal documents, equal clauses


@given(st.text(max_size=80))
def test_entry_ids_are_rfc_name_based_uuids(name: str) -> None:
    assert name_uuid(name) == str(uuid5(NAMESPACE, name))


def mark(
    activity_id: str,
    deputy_id: str,
    presence: Presence | None,
    version: int,
    *,
    kind: T = T.inspection,
    levels: frozenset[Level] = COUNTY_ONLY,
) -> AttendanceMarked:
    """Return one deputy's mark recorded (or corrected) through the attendance route."""
    event = "deputies.attendance.corrected" if version > 2 else "deputies.attendance.recorded"
    return AttendanceMarked(
        src(event),
        activity_id,
        "330102001",
        deputy_id,
        presence,
        kind,
        levels,
        date(YEAR, 3, 10),
        version,
    )


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        pytest.param(  # recorded later through the attendance route: 视察 3, as if logged with it
            [activity("a", T.inspection, {}), mark("a", "d1", P.present, 2)],
            {("d1", "activity.inspection.present"): D(3)},
            id="recorded-later-earns-as-logged",
        ),
        pytest.param(  # the session's 7.5 hours come from the record: 2 half-days × 5
            [
                activity("s", T.congress_session, {}, hours="7.5", levels=TOWNSHIP_ONLY),
                mark("s", "d1", P.present, 2, kind=T.congress_session, levels=TOWNSHIP_ONLY),
                mark("s", "d2", P.excused, 3, kind=T.congress_session, levels=TOWNSHIP_ONLY),
            ],
            {
                ("d1", "activity.congress_session.present"): D(10),
                ("d2", "activity.congress_session.excused"): D(-2),
            },
            id="per-half-day-hours-from-the-record",
        ),
        pytest.param(  # a correction: the absence (−2) is compensated, the presence (3) awarded
            [
                activity("a", T.inspection, {"d1": P.unexcused_absence, "d2": P.present}),
                mark("a", "d1", P.present, 2),
            ],
            {
                ("d1", "activity.inspection.present"): D(3),
                ("d2", "activity.inspection.present"): D(3),
            },
            id="correction-compensates-only-that-deputy",
        ),
        pytest.param(  # the activity's own later version carries every mark: it wins over v2
            [
                activity("a", T.inspection, {}),
                mark("a", "d1", P.present, 2),
                activity("a", T.inspection, {"d1": P.unexcused_absence}, version=3),
            ],
            {("d1", "activity.inspection.unexcused_absence"): D(-2)},
            id="later-activity-version-wins",
        ),
        pytest.param(  # the deputy's mark v3 arrives before the activity's v2: v3 stands for d1
            [
                activity("a", T.inspection, {"d1": P.unexcused_absence, "d2": P.present}),
                mark("a", "d1", P.present, 3),
                activity(
                    "a", T.inspection, {"d1": P.excused, "d2": P.unexcused_absence}, version=2
                ),
            ],
            {
                ("d1", "activity.inspection.present"): D(3),
                ("d2", "activity.inspection.unexcused_absence"): D(-2),
            },
            id="older-activity-version-keeps-a-newer-mark",
        ),
        pytest.param(  # an older mark after the activity's newer version changes nothing
            [
                activity("a", T.inspection, {"d1": P.present}, version=3),
                mark("a", "d1", P.unexcused_absence, 2),
            ],
            {("d1", "activity.inspection.present"): D(3)},
            id="older-mark-ignored",
        ),
        pytest.param(  # a cancellation reverses the marks recorded on their own too
            [activity("a", T.inspection, {}), mark("a", "d1", P.present, 2), cancel("a", 3)],
            {},
            id="cancellation-reverses-own-marks",
        ),
    ],
)
def test_a_deputys_own_mark_earns_what_a_mark_in_the_activity_does(
    facts: list[Fact], expected: dict[tuple[str, str], Decimal]
) -> None:
    assert by_deputy_rule(derive(facts, RULES)) == expected


def test_a_mark_correction_compensates_the_old_entry_and_a_redelivery_changes_nothing() -> None:
    ledger = Ledger(RULES)
    first = ledger.apply(activity("a", T.inspection, {"d1": P.present, "d2": P.present}))
    corrected = mark("a", "d1", P.unexcused_absence, 2)
    entries = ledger.apply(corrected)
    assert [(e.deputy_id, e.points) for e in entries] == [("d1", D(-3)), ("d1", D(-2))]
    assert entries[0].compensates == first[0].entry_id
    assert entries[1].source_event_type == "deputies.attendance.recorded"
    assert ledger.apply(corrected) == []


def test_a_removed_mark_reverses_what_it_earned_and_nothing_else() -> None:
    ledger = Ledger(RULES)
    first = ledger.apply(activity("a", T.inspection, {"d1": P.present, "d2": P.present}))
    entries = ledger.apply(mark("a", "d1", None, 2))
    assert [(e.deputy_id, e.points) for e in entries] == [("d1", D(-3))]
    assert entries[0].compensates == first[0].entry_id
    assert sum(e.points for e in [*first, *entries] if e.deputy_id == "d1") == 0
    assert sum(e.points for e in [*first, *entries] if e.deputy_id == "d2") == D(3)
    assert ledger.apply(mark("a", "d1", None, 2)) == []


def test_a_reopening_takes_back_the_rounds_class_a_and_satisfied_points_only() -> None:
    """重新办理: the last round's reply and rating no longer stand; filing and 重点督办 do."""
    before: list[Fact] = [
        suggestion("c", "d1", "d2"),
        key_chase("c"),
        reply("c", ReplyClass.A),
        feedback("c", "d1"),
    ]
    ledger = Ledger(RULES)
    for fact in before:
        ledger.apply(fact)
    back = ledger.apply(reopened("c"))
    assert sorted((e.deputy_id, e.rule_id, e.points) for e in back) == [
        ("d1", "quality.reply_class_a.lead", D(-2)),
        ("d1", "quality.satisfied_feedback", D(-1)),
        ("d2", "quality.reply_class_a.co_signer", D("-0.4")),
    ]
    assert all(e.compensates is not None for e in back)
    kept = by_deputy_rule(derive([*before, reopened("c")], RULES))
    assert kept == {
        ("d1", "suggestion.lead"): D(3),
        ("d2", "suggestion.co_signer"): D("0.6"),
        ("d1", "quality.key_chase.lead"): D(5),
        ("d2", "quality.key_chase.co_signer"): D(1),
    }
    # the new round earns them again, once; a class-B answer earns nothing
    again: list[Fact] = [
        *before,
        reopened("c"),
        reply("c", ReplyClass.A, round_=2),
        feedback("c", "d1"),
    ]
    assert by_deputy_rule(derive(again, RULES)) == by_deputy_rule(derive(before, RULES))
    worse: list[Fact] = [*before, reopened("c"), reply("c", ReplyClass.B, round_=2)]
    assert by_deputy_rule(derive(worse, RULES)) == kept


def test_a_county_may_keep_the_markers_of_a_reopened_case() -> None:
    keep = rule_set_from(
        {
            **RULES.model_dump(mode="json"),
            "quality": {**RULES.quality.model_dump(mode="json"), "reopen_reverses": False},
        }
    )
    facts: list[Fact] = [suggestion("c", "d1"), reply("c", ReplyClass.A), reopened("c")]
    assert by_deputy_rule(derive(facts, keep)) == {
        ("d1", "suggestion.lead"): D(3),
        ("d1", "quality.reply_class_a.lead"): D(2),
    }


def test_a_flag_at_assignment_earns_key_chase_once_and_a_plain_assignment_nothing() -> None:
    facts: list[Fact] = [
        suggestion("c", "d1"),
        assigned("c"),
        assigned("c", key_chase=True),
        key_chase("c"),
    ]
    assert by_deputy_rule(derive(facts, RULES)) == {
        ("d1", "suggestion.lead"): D(3),
        ("d1", "quality.key_chase.lead"): D(5),
    }
