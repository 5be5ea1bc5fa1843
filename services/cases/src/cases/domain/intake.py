"""Intake and triage (梳理): receive an item, then answer, refuse, merge, convert or accept it."""

from __future__ import annotations

import re
from datetime import datetime

from cases.domain.clocks import Clocks
from cases.domain.errors import invalid
from cases.domain.model import Case, day_of, required_text
from cases.domain.records import Actor
from cases.domain.states import Action, State
from contracts.vocabulary import CaseKind, NotAcceptedReason

_TOWNSHIP = re.compile(r"\d{9}")


def receive(
    *,
    case_id: str,
    kind: CaseKind,
    township: str,
    title: str,
    content: str,
    category: str,
    deputy_ids: tuple[str, ...],
    by: Actor,
    at: datetime,
    clocks: Clocks,
    confidential: bool = False,
) -> Case:
    """Record a newly received suggestion or opinion; the assignment clock starts."""
    if not case_id:
        raise invalid("case_id", "must not be empty", "missing_text")
    if not _TOWNSHIP.fullmatch(township):
        raise invalid("township", "must be a 9-digit township division code", "township_code")
    if not deputy_ids or any(not d for d in deputy_ids):
        raise invalid("deputy_ids", "name at least one deputy", "missing_deputy")
    if len(set(deputy_ids)) != len(deputy_ids):
        raise invalid("deputy_ids", "each deputy appears once", "duplicate_deputy")
    day = day_of(at)
    case = Case(
        case_id=case_id,
        kind=kind,
        township=township,
        title=required_text("title", title, 200),
        content=required_text("content", content),
        category=required_text("category", category, 100),
        deputy_ids=deputy_ids,
        received_on=day,
        assign_by=clocks.assign_by(day),
        confidential=confidential,
    )
    case.record(Action.receive, None, by, at)
    return case


def answer_on_spot(case: Case, *, answer: str, by: Actor, at: datetime) -> None:
    """End the case at triage: it was answered on the spot (当场答复)."""
    case.require(Action.answer_on_spot)
    day_of(at)
    text = required_text("answer", answer)
    _triage(case, State.answered_on_spot, Action.answer_on_spot, by, at, text)


def not_accept(
    case: Case, *, reason: NotAcceptedReason, by: Actor, at: datetime, comment: str = ""
) -> None:
    """End the case at triage: not accepted, for a reason from the fixed list."""
    case.require(Action.not_accept)
    day_of(at)
    if reason is NotAcceptedReason.other:
        comment = required_text("comment", comment, 2000)
    case.not_accepted_reason = reason
    _triage(case, State.not_accepted, Action.not_accept, by, at, comment)


def merge(duplicate: Case, *, survivor: Case, by: Actor, at: datetime, comment: str = "") -> None:
    """Merge ``duplicate`` into ``survivor`` (并案); the survivor takes over its deputies."""
    duplicate.require(Action.merge)
    survivor.require(Action.absorb)
    day_of(at)
    if survivor.case_id == duplicate.case_id:
        raise invalid("merged_into", "a case cannot be merged into itself", "self_merge")
    if survivor.township != duplicate.township:
        raise invalid("merged_into", "merge only cases of the same township", "other_township")
    duplicate.merged_into = survivor.case_id
    _triage(duplicate, State.merged, Action.merge, by, at, comment)
    newcomers = tuple(d for d in duplicate.deputy_ids if d not in survivor.deputy_ids)
    survivor.deputy_ids += newcomers
    note = f"merged {duplicate.case_id}" + (f": {comment}" if comment else "")
    survivor.record(Action.absorb, survivor.state, by, at, note)


def to_suggestion(
    case: Case, *, suggestion_case_id: str, by: Actor, at: datetime, comment: str = ""
) -> None:
    """End an opinion at triage: a deputy turned it into a suggestion (转为建议)."""
    case.require(Action.to_suggestion)
    day_of(at)
    if not suggestion_case_id or suggestion_case_id == case.case_id:
        raise invalid("suggestion_case_id", "name the new suggestion", "missing_case")
    case.suggestion_case_id = suggestion_case_id
    _triage(case, State.to_suggestion, Action.to_suggestion, by, at, comment)


def accept(
    case: Case, *, by: Actor, at: datetime, complex_: bool = False, comment: str = ""
) -> None:
    """Accept the case for assignment; ``complex_`` flags a suggestion for the longer clock."""
    case.require(Action.accept)
    day_of(at)
    if complex_ and case.kind is not CaseKind.suggestion:
        raise invalid("complex", "only suggestions run on the complex clock", "not_suggestion")
    case.complex_ = complex_
    _triage(case, State.accepted, Action.accept, by, at, comment)


def _triage(case: Case, to: State, action: Action, by: Actor, at: datetime, comment: str) -> None:
    before = case.state
    case.state = to
    case.record(action, before, by, at, comment)
