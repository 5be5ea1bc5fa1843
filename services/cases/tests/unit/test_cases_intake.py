"""Intake and triage rules: what a new case needs, merging, refusal reasons, acceptance."""

from __future__ import annotations

import copy
from datetime import date, datetime

import pytest
from cases_harness import STAFF, TOWNSHIP, at, case_in, clocks, new_case

from cases.domain import intake
from cases.domain.errors import IllegalTransitionError, InputError
from cases.domain.states import Action, State
from contracts.vocabulary import CaseKind, NotAcceptedReason


def receive(**changes: object) -> None:
    """Receive a case with ``changes`` to otherwise valid fields."""
    fields: dict[str, object] = {
        "case_id": "case-1",
        "kind": CaseKind.suggestion,
        "township": TOWNSHIP,
        "title": "修缮村道",
        "content": "村口道路破损。",
        "category": "交通",
        "deputy_ids": ("dep-1",),
        "by": STAFF,
        "at": at(date(2025, 3, 3)),
        "clocks": clocks(),
    }
    fields.update(changes)
    intake.receive(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"content": "   "}, "content"),
        ({"title": ""}, "title"),
        ({"title": "路" * 201}, "title"),
        ({"category": ""}, "category"),
        ({"township": "330102"}, "township"),
        ({"deputy_ids": ()}, "deputy_ids"),
        ({"deputy_ids": ("dep-1", "dep-1")}, "deputy_ids"),
        ({"case_id": ""}, "case_id"),
        ({"at": datetime(2025, 3, 3, 10)}, "at"),
    ],
)
def test_bad_input_is_refused_naming_the_field(changes: dict[str, object], loc: str) -> None:
    with pytest.raises(InputError) as caught:
        receive(**changes)
    assert caught.value.errors[0].loc == (loc,)


def test_a_received_case_starts_its_assignment_clock_and_timeline() -> None:
    case = new_case(on=date(2026, 2, 12))
    assert case.state is State.received
    assert case.assign_by == date(2026, 2, 28)  # 7 working days across Spring Festival
    assert case.submitter == "dep-1"
    assert case.content == "村口道路破损，雨天积水，请求修缮。"
    [entry] = case.timeline
    assert (entry.action, entry.before, entry.after, entry.actor) == (
        Action.receive,
        None,
        State.received,
        STAFF.user_id,
    )
    assert case.version == 1


def test_not_accepted_keeps_the_reason_and_other_needs_a_comment() -> None:
    case = new_case()
    with pytest.raises(InputError):
        intake.not_accept(case, reason=NotAcceptedReason.other, by=STAFF, at=at(date(2025, 3, 4)))
    assert case.state is State.received
    intake.not_accept(
        case, reason=NotAcceptedReason.outside_jurisdiction, by=STAFF, at=at(date(2025, 3, 4))
    )
    assert (case.state, case.not_accepted_reason) == (
        State.not_accepted,
        NotAcceptedReason.outside_jurisdiction,
    )
    assert not case.solved
    assert case.ended


def test_answer_on_the_spot_needs_the_answer() -> None:
    case = new_case(CaseKind.opinion)
    with pytest.raises(InputError):
        intake.answer_on_spot(case, answer=" ", by=STAFF, at=at(date(2025, 3, 3)))
    intake.answer_on_spot(case, answer="已当场解释。", by=STAFF, at=at(date(2025, 3, 3)))
    assert case.timeline[-1].comment == "已当场解释。"


def test_merging_keeps_every_submitter_informed() -> None:
    survivor = new_case(case_id="case-a", deputies=("dep-1", "dep-2"))
    duplicate = new_case(case_id="case-b", deputies=("dep-3", "dep-2"))
    intake.merge(
        duplicate, survivor=survivor, by=STAFF, at=at(date(2025, 3, 4)), comment="同一路段"
    )
    assert duplicate.state is State.merged
    assert duplicate.merged_into == "case-a"
    assert survivor.deputy_ids == ("dep-1", "dep-2", "dep-3")
    assert survivor.submitter == "dep-1"
    assert survivor.timeline[-1].action is Action.absorb
    assert survivor.timeline[-1].comment == "merged case-b: 同一路段"


@pytest.mark.parametrize(
    ("survivor_id", "township", "loc"),
    [("case-b", TOWNSHIP, "merged_into"), ("case-a", "330102002", "merged_into")],
)
def test_merging_needs_another_case_of_the_same_township(
    survivor_id: str, township: str, loc: str
) -> None:
    survivor = new_case(case_id=survivor_id, township=township)
    duplicate = new_case(case_id="case-b")
    with pytest.raises(InputError) as caught:
        intake.merge(duplicate, survivor=survivor, by=STAFF, at=at(date(2025, 3, 4)))
    assert caught.value.errors[0].loc == (loc,)
    assert duplicate.state is State.received
    assert survivor.version == 1


def test_merging_into_a_closed_case_changes_neither() -> None:
    survivor = case_in(State.closed)
    duplicate = new_case(CaseKind.opinion, case_id="case-b")
    before = copy.deepcopy(vars(duplicate))
    with pytest.raises(IllegalTransitionError):
        intake.merge(duplicate, survivor=survivor, by=STAFF, at=at(date(2025, 6, 1)))
    assert vars(duplicate) == before


def test_an_opinion_turns_into_a_new_suggestion() -> None:
    case = new_case(CaseKind.opinion)
    with pytest.raises(InputError):
        intake.to_suggestion(case, suggestion_case_id="case-1", by=STAFF, at=at(date(2025, 3, 4)))
    intake.to_suggestion(case, suggestion_case_id="case-9", by=STAFF, at=at(date(2025, 3, 4)))
    assert (case.state, case.suggestion_case_id) == (State.to_suggestion, "case-9")


def test_only_suggestions_are_flagged_complex() -> None:
    with pytest.raises(InputError):
        intake.accept(new_case(CaseKind.opinion), by=STAFF, at=at(date(2025, 3, 4)), complex_=True)
    case = new_case()
    intake.accept(case, by=STAFF, at=at(date(2025, 3, 4)), complex_=True)
    assert case.complex_
