"""Periods and their publication, contest resolutions, the 履职档案 and grade proposals as tables."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from scoring_harness import (
    COUNTY,
    TOWN,
    YEAR,
    P as Presence,
    activity,
    closed,
    deputy,
    feedback,
    key_chase,
    reply,
    rules,
    suggestion,
)

from contracts.scoring import ContestOutcome
from contracts.vocabulary import ActivityType, DeputyGrade, ReplyClass
from kit.errors import InputError, TransitionError
from kit.principal import Principal
from scoring.adapters.docx_dossier import render
from scoring.domain import facts as f
from scoring.domain.clauses import Category
from scoring.domain.dossier import dossier, live
from scoring.domain.entries import Entry
from scoring.domain.ledger import derive
from scoring.domain.proposals import Consequence, proposed
from scoring.domain.publication import check_period, period_bounds, standings, unreviewed
from scoring.domain.reviews import Action, Status, require_resolver, resolve, step
from scoring.domain.rules import Cadence
from scoring.domain.scorecard import score_cards

A = ActivityType


@pytest.mark.parametrize(
    ("label", "first", "last"),
    [
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2028-02", date(2028, 2, 1), date(2028, 2, 29)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("2026-H2", date(2026, 7, 1), date(2026, 12, 31)),
    ],
)
def test_a_period_label_gives_its_first_and_last_day(label: str, first: date, last: date) -> None:
    assert period_bounds(label) == (first, last)


@pytest.mark.parametrize(
    ("label", "cadence"),
    [
        ("2026-03", Cadence.quarterly),  # a month under a quarterly cadence
        ("2027-Q1", Cadence.quarterly),  # another year
        ("2026-Q5", Cadence.quarterly),
        ("2026-13", Cadence.monthly),
        ("Q1", Cadence.quarterly),
    ],
)
def test_a_period_not_of_the_cadence_is_refused_naming_the_field(
    label: str, cadence: Cadence
) -> None:
    with pytest.raises(InputError) as refused:
        check_period(label, YEAR, cadence)
    assert refused.value.errors[0].loc == ("period",)


def _entry(deputy_id: str, on: date, points: str, township: str = TOWN) -> Entry:
    return Entry(
        entry_id=str(uuid4()),
        deputy_id=deputy_id,
        township=township,
        year=on.year,
        period=f"{on.year}-Q{(on.month - 1) // 3 + 1}",
        occurred_on=on,
        rule_id="activity.inspection.present",
        rule_set_version=1,
        category=Category.activity,
        points=Decimal(points),
        subject=f"activity:{uuid4()}",
        source_event_id=uuid4(),
        source_event_type="deputies.activity.logged",
    )


def test_only_the_townships_entries_of_the_period_awaiting_review_hold_a_publication() -> None:
    start, end = period_bounds("2026-Q1")
    inside = _entry("d1", date(2026, 3, 31), "3")
    rows = [
        (inside, "first_reviewed"),
        (_entry("d1", date(2026, 2, 1), "3"), "rechecked"),
        (_entry("d1", date(2026, 2, 1), "3"), "voided"),
        (_entry("d1", date(2026, 4, 1), "3"), "provisional"),  # next quarter
        (_entry("d1", date(2026, 1, 5), "3", "990101002"), "contested"),  # another township
    ]
    assert unreviewed(rows, TOWN, start, end) == [inside.entry_id]


def test_standings_rank_the_townships_deputies_with_the_periods_points() -> None:
    r = rules()
    entries = [
        _entry("d1", date(2026, 1, 10), "3"),
        _entry("d1", date(2026, 4, 10), "3"),
        _entry("d2", date(2026, 2, 10), "6"),
        _entry("d3", date(2026, 2, 10), "9", "990101002"),
    ]
    roster = {"d1": TOWN, "d2": TOWN, "d3": "990101002", "d4": TOWN}
    lines = standings(score_cards(entries, r, roster), roster, TOWN, "2026-Q1")
    assert [(s.deputy_id, s.total, s.period_points, s.rank) for s in lines] == [
        ("d1", Decimal(66), Decimal(3), 1),
        ("d2", Decimal(66), Decimal(6), 1),
        ("d4", Decimal(60), Decimal(0), 3),
    ]
    assert lines[0].as_json()["total"] == "66"


@pytest.mark.parametrize(
    ("outcome", "before", "end"),
    [
        (ContestOutcome.upheld, Status.rechecked, Status.voided),
        (ContestOutcome.corrected, Status.rechecked, Status.rechecked),
        (ContestOutcome.rejected, Status.first_reviewed, Status.first_reviewed),
        (ContestOutcome.rejected, Status.provisional, Status.provisional),
    ],
)
def test_a_resolution_voids_an_upheld_contest_and_otherwise_restores_the_status(
    outcome: ContestOutcome, before: Status, end: Status
) -> None:
    assert resolve(outcome, Status.contested, before, "核对") is end


def test_a_resolution_needs_a_contested_entry_and_an_explanation() -> None:
    with pytest.raises(TransitionError):
        resolve(ContestOutcome.upheld, Status.rechecked, Status.rechecked, "x")
    with pytest.raises(InputError):
        resolve(ContestOutcome.upheld, Status.contested, Status.rechecked, "  ")


def test_only_a_county_admin_of_the_county_resolves() -> None:
    def who(role: str, scope: str) -> Principal:
        return Principal(subject="u", roles=frozenset({role}), scope=scope)  # type: ignore[arg-type]

    require_resolver(who("county_admin", COUNTY), TOWN)
    for principal in (who("county_admin", "990102"), who("township_staff", TOWN)):
        with pytest.raises(Exception, match="county administration"):
            require_resolver(principal, TOWN)


def test_a_late_contest_names_when_the_window_opened() -> None:
    with pytest.raises(TransitionError, match="after the publication"):
        step(
            Action.contest,
            Status.rechecked,
            reason="错",
            recorded_at=datetime(2026, 4, 1, tzinfo=UTC),
            now=datetime(2026, 4, 9, tzinfo=UTC),
            contest_days=7,
            window_opened="the publication (亮分) of 2026-Q1",
        )


def test_grades_only_propose_consequences() -> None:
    assert proposed(DeputyGrade.excellent) == (Consequence.commendation, Consequence.reelection)
    assert proposed(DeputyGrade.competent) == (Consequence.reelection,)
    assert proposed(DeputyGrade.not_competent) == (Consequence.talk,)


def test_the_dossier_holds_the_record_as_it_stands_and_renders_as_a4() -> None:
    r = rules()
    facts: list[f.Fact] = [
        deputy("d1"),
        deputy("d2"),
        activity("a1", A.inspection, {"d1": Presence.present}),
        activity("a1", A.inspection, {"d1": Presence.present}, version=2, on=date(YEAR, 3, 12)),
        activity("r1", A.reception_day, {"d1": Presence.present}),
        activity("t1", A.training, {"d1": Presence.present}),
        suggestion("c1", "d2", "d1"),
        key_chase("c1"),
        reply("c1", ReplyClass.A),
        feedback("c1", "d1"),
        closed("c1", solved=True, on_time=True),
        suggestion("c2", "d2"),
    ]
    entries = derive(facts, r)
    assert len(live(entries)) < len(entries)  # the correction reversed a1's first record
    card = score_cards(entries, r, ["d1"])["d1"]
    d = dossier(card, TOWN, facts, [{"proposal": "talk"}])
    assert [(a.activity_id, a.state, a.on) for a in d.activities] == [
        ("a1", "present", date(YEAR, 3, 12))
    ]
    assert [a.activity_id for a in d.reception_days] == ["r1"]
    assert [a.activity_id for a in d.training] == ["t1"]
    [s] = d.suggestions
    assert (s.case_id, s.role, s.reply_class, s.key_chase, s.solved, s.feedback) == (
        "c1",
        "co_signer",
        "A",
        True,
        True,
        "satisfied",
    )
    assert d.base + sum((i.points for i in d.items), Decimal(0)) == d.total == card.total
    assert d.grade == card.grade.value
    assert render(d)[:2] == b"PK"  # a zip: the .docx container
