"""Turn case steps into contract events; content and constituents never leave this way."""

from __future__ import annotations

from datetime import date
from typing import Any

from cases.domain.chasing import Announcement, Notice
from cases.domain.model import Case
from cases.domain.records import ExtensionRequest, UnitOpinion
from cases.domain.states import FINAL, State
from contracts import cases as ev
from contracts.envelope import Envelope
from contracts.vocabulary import (
    CaseKind,
    Level,
    OpinionOrigin,
    ReopenReason,
    SuggestionTiming,
    TriageOutcome,
)
from kit.events import event

SOURCE = "/services/cases"


def number_of(case: Case) -> str | None:
    """Return the case's number as people say it, if it has one."""
    return case.number.label if case.number else None


def _units(case: Case) -> tuple[ev.HandlingUnit, ...]:
    return tuple(ev.HandlingUnit(unit_id=u.unit_id, name=u.name, role=u.role) for u in case.units)


def submitted(case: Case) -> Envelope[Any]:
    """A suggestion was filed or an opinion recorded."""
    if case.kind is CaseKind.suggestion:
        return event(
            ev.SuggestionSubmitted(
                case_id=case.case_id,
                township=case.township,
                case_number=number_of(case),
                title=case.title,
                category=case.category,
                level=case.level or Level.county,
                timing=case.timing or SuggestionTiming.between_sessions,
                lead_deputy_id=case.submitter,
                co_deputy_ids=case.deputy_ids[1:],
                confidential=case.confidential,
                submitted_on=case.received_on,
                from_opinion_id=case.from_opinion_id,
            ),
            source=SOURCE,
        )
    return event(
        ev.OpinionSubmitted(
            case_id=case.case_id,
            township=case.township,
            case_number=number_of(case),
            title=case.title,
            category=case.category,
            origin=case.origin or OpinionOrigin.deputy,
            receiving_deputy_ids=case.deputy_ids,
            station_id=case.station_id,
            activity_id=case.activity_id,
            received_on=case.received_on,
        ),
        source=SOURCE,
    )


def triaged(case: Case) -> Envelope[Any]:
    """Triage decided what happens to the case."""
    return event(
        ev.CaseTriaged(
            case_id=case.case_id,
            township=case.township,
            case_number=number_of(case),
            kind=case.kind,
            outcome=TriageOutcome(case.state.value),
            reason=case.not_accepted_reason,
            merged_into=case.merged_into,
            suggestion_case_id=case.suggestion_case_id,
            deputy_ids=case.deputy_ids,
        ),
        source=SOURCE,
    )


def assigned(case: Case) -> Envelope[Any]:
    """The case was assigned with its deadline."""
    assert case.assigned_on
    assert case.due_on
    assert case.clock
    return event(
        ev.CaseAssigned(
            case_id=case.case_id,
            township=case.township,
            case_number=number_of(case),
            kind=case.kind,
            title=case.title,
            deputy_ids=case.deputy_ids,
            units=_units(case),
            assigned_on=case.assigned_on,
            due_on=case.due_on,
            clock=case.clock,
            key_chase=case.key_chase,
            assignment=case.assignment,
        ),
        source=SOURCE,
    )


def key_chase_designated(case: Case, by: str, on: date) -> Envelope[Any]:
    """County leaders flagged the case for key chasing (or staff recorded it on their behalf)."""
    decision = case.key_chase_decision
    return event(
        ev.CaseKeyChaseDesignated(
            case_id=case.case_id,
            township=case.township,
            case_number=number_of(case),
            deputy_ids=case.deputy_ids,
            designated_by=by,
            designated_on=on,
            on_behalf_of=decision.leader if decision else None,
            meeting_ref=decision.meeting_ref if decision else None,
            decided_on=decision.decided_on if decision else None,
        ),
        source=SOURCE,
    )


def returned(case: Case, unit: ev.HandlingUnit, reason: str, on: date) -> Envelope[Any]:
    """A unit returned the case (or a co-handler left it)."""
    return event(
        ev.CaseReturned(
            case_id=case.case_id,
            township=case.township,
            case_number=number_of(case),
            unit_id=unit.unit_id,
            role=unit.role,
            reason=reason,
            returned_on=on,
        ),
        source=SOURCE,
    )


def extension_granted(case: Case) -> Envelope[Any]:
    """The one extension was granted (on the unit's application, or directly)."""
    assert case.extension is not None
    assert case.lead is not None
    x = case.extension
    last = case.extension_requests[-1] if case.extension_requests else None
    requested = last if last is not None and last.decision == "granted" else None
    return event(
        ev.CaseExtensionGranted(
            case_id=case.case_id,
            township=case.township,
            case_number=number_of(case),
            unit_id=case.lead.unit_id,
            previous_due_on=x.previous_due_on,
            due_on=x.due_on,
            reason=x.reason,
            granted_by=x.granted_by,
            requested_due_on=requested.due_on if requested else None,
        ),
        source=SOURCE,
    )


def extension_applied(case: Case, request: ExtensionRequest) -> Envelope[Any]:
    """The lead unit applied for the extension; a county role decides."""
    assert case.due_on is not None
    return event(
        ev.CaseExtensionApplied(
            case_id=case.case_id,
            township=case.township,
            unit_id=request.unit_id,
            due_on=case.due_on,
            requested_due_on=request.due_on,
            reason=request.reason,
            applied_by=request.applied_by,
            applied_on=request.applied_on,
            round=request.round,
        ),
        source=SOURCE,
    )


def extension_refused(case: Case, request: ExtensionRequest) -> Envelope[Any]:
    """A county role refused the application; the due date stays."""
    assert case.due_on is not None
    assert request.decided_by is not None
    assert request.decided_on is not None
    return event(
        ev.CaseExtensionRefused(
            case_id=case.case_id,
            township=case.township,
            unit_id=request.unit_id,
            due_on=case.due_on,
            requested_due_on=request.due_on,
            reason=request.answer,
            refused_by=request.decided_by,
            refused_on=request.decided_on,
        ),
        source=SOURCE,
    )


def co_opinion_recorded(case: Case, opinion: UnitOpinion) -> Envelope[Any]:
    """A co-handler recorded its opinion (its text stays in the cases service)."""
    assert case.lead is not None
    return event(
        ev.CaseCoOpinionRecorded(
            case_id=case.case_id,
            township=case.township,
            unit_id=opinion.unit_id,
            lead_unit_id=case.lead.unit_id,
            recorded_on=opinion.recorded_on,
            missing_unit_ids=case.opinions_missing(),
            round=opinion.round,
        ),
        source=SOURCE,
    )


def replied(case: Case) -> Envelope[Any]:
    """The lead unit replied."""
    r = case.last_reply
    assert r is not None
    return event(
        ev.CaseReplied(
            case_id=case.case_id,
            township=case.township,
            case_number=number_of(case),
            kind=case.kind,
            unit_id=r.unit_id,
            reply_class=r.reply_class,
            replied_on=r.replied_on,
            due_on=r.due_on,
            on_time=r.on_time,
            deputy_ids=case.deputy_ids,
            follow_up_due_on=r.follow_up_due_on,
            round=r.round,
        ),
        source=SOURCE,
    )


def feedback_given(case: Case) -> Envelope[Any]:
    """The submitting deputy rated the handling."""
    f = case.feedback[-1]
    return event(
        ev.CaseFeedbackGiven(
            case_id=case.case_id,
            township=case.township,
            case_number=number_of(case),
            deputy_id=f.deputy_id,
            process=f.process,
            result=f.result,
            round=f.round,
        ),
        source=SOURCE,
    )


def reopened(case: Case, reason: ReopenReason) -> Envelope[Any]:
    """The case is handled again on the re-handling clock."""
    assert case.clock_start
    assert case.due_on
    return event(
        ev.CaseReopened(
            case_id=case.case_id,
            township=case.township,
            case_number=number_of(case),
            reason=reason,
            reopened_on=case.clock_start,
            due_on=case.due_on,
            round=case.round,
        ),
        source=SOURCE,
    )


def instruction_given(
    case: Case,
    *,
    instruction_id: str,
    digest_id: str,
    leader: str,
    text: str,
    outcome: str,
    asked_case_id: str | None,
    on: date,
) -> Envelope[Any]:
    """A leader's instruction (批示) on the case, with its text: the unit and notify act on it."""
    return event(
        ev.CaseInstructionGiven(
            case_id=case.case_id,
            township=case.township,
            case_number=number_of(case),
            instruction_id=instruction_id,
            digest_id=digest_id,
            leader=leader,
            text=text,
            outcome=outcome,
            asked_case_id=asked_case_id,
            unit_ids=tuple(u.unit_id for u in case.units),
            deputy_ids=case.deputy_ids,
            given_on=on,
        ),
        source=SOURCE,
    )


def closed(case: Case, on: date) -> Envelope[Any]:
    """The case was closed (办结), at triage or after handling."""
    rating = case.feedback[-1] if case.feedback else None
    return event(
        ev.CaseClosed(
            case_id=case.case_id,
            township=case.township,
            case_number=number_of(case),
            kind=case.kind,
            reply_class=case.reply_class,
            satisfaction=rating.result if rating else None,
            solved=case.solved,
            on_time=case.on_time,
            deputy_ids=case.deputy_ids,
            closed_on=on,
        ),
        source=SOURCE,
    )


def after_step(case: Case, before: State, on: date) -> list[Envelope[Any]]:
    """Return the state events a step implies beyond its own: closing, follow-up, reopening."""
    if case.state is before:
        return []
    if case.state in FINAL or case.state is State.closed:
        return [closed(case, on)]
    return []


def assignment_chased(case: Case, announcement: Announcement) -> Envelope[Any]:
    """The assignment deadline is near or past; the township office owes the assignment."""
    return event(
        ev.CaseAssignmentChased(
            case_id=case.case_id,
            township=case.township,
            case_number=number_of(case),
            notice="overdue" if announcement.notice is Notice.overdue else "warning",
            owed_by=case.township,
            received_on=case.received_on,
            assign_by=case.assign_by,
        ),
        source=SOURCE,
    )


def chased(case: Case, announcement: Announcement) -> Envelope[Any]:
    """A warning, overdue notice, reminder or escalation the chase scheduler owes."""
    assert case.due_on is not None
    units = tuple(u.unit_id for u in case.units)
    common: dict[str, Any] = {
        "case_id": case.case_id,
        "township": case.township,
        "case_number": number_of(case),
        "unit_ids": units,
        "due_on": case.due_on,
    }
    data: ev.CaseEvent
    if announcement.notice is Notice.warning:
        assert announcement.threshold in (50, 75)
        data = ev.CaseWarning(**common, threshold=announcement.threshold, round=announcement.round)
    elif announcement.notice is Notice.overdue:
        data = ev.CaseOverdue(**common, round=announcement.round)
    elif announcement.notice is Notice.reminder:
        assert announcement.reminder is not None
        data = ev.CaseReminded(
            **common, days_overdue=announcement.days_overdue, reminder=announcement.reminder
        )
    else:
        assert announcement.level is not None
        data = ev.CaseEscalated(
            **common, level=announcement.level, days_overdue=announcement.days_overdue
        )
    return event(data, source=SOURCE)
