"""Contract events become facts; every deputies and cases event type is read or knowingly ignored."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError
from scoring_harness import TOWN

from contracts import (
    RawEnvelope,
    UnknownEventVersion,
    cases as c,
    deputies as d,
    new_envelope,
    schema_uri,
)
from contracts.catalog import DataSchemaError
from contracts.common import EventData
from contracts.vocabulary import (
    ActivityType,
    Attendance,
    CaseKind,
    Clock,
    DeputyStatus,
    HandlingRole,
    Level,
    OutletLevel,
    Placement,
    ReopenReason,
    ReplyClass,
    Satisfaction,
    StatusReason,
    SuggestionTiming,
)
from scoring.domain import facts as f
from scoring.domain.translate import CUTTERS, fact_of

AT = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # 2027-01-01 01:00 in China
IGNORED = {
    c.CaseExtensionApplied,  # a unit asks for time: the due date moves only when granted
    c.CaseExtensionRefused,  # nothing changes for the deputy or the township
    c.CaseCoOpinionRecorded,  # a co-handler's opinion: the unit's work, no deputy's points
    d.StationUpdated,  # content freshness arrives as StationStale
    d.ActivityScheduled,  # a plan earns nothing; the logged activity does
    d.ActivityRescheduled,  # a plan moved: still nothing
    d.ActivityPlanCancelled,  # a plan called off: it never counted
    d.MandateTerminationFlagged,  # a legal trigger beside the points, decided by a person
    d.MandateTerminationFlagWithdrawn,  # withdraws that trigger: still no points
    d.DeputyStatusChangeScheduled,  # not yet effective: status_changed arrives on the day
    d.ContactChangeProposed,  # a deputy's own contacts: no points (the record's update is one too)
    d.ContactChangeApproved,
    d.ContactChangeRejected,
    c.OpinionSubmitted,  # received, not handled: its reply and overdue notice are what count
    c.CaseTriaged,  # a triage that ends the case arrives as CaseClosed (not replied)
    c.CaseReturned,  # 退办: the reassignment (CaseAssigned) restarts the clock
    c.CaseExtensionGranted,  # the due date moves: on_time and overdue notices use it
    c.CaseWarning,  # before the deadline: nothing is late yet
    c.CaseReminded,  # the same lateness as CaseOverdue, repeated
    c.CaseEscalated,  # the same lateness as CaseOverdue, one level up
    c.SupervisionTopicOpened,  # the topic line counts closed topics
    c.SupervisionFollowupLogged,  # progress; rectified arrives on topic_closed
    c.CaseInstructionGiven,  # its key-chase outcome arrives as CaseKeyChaseDesignated
    c.SupervisionMeasureAdded,  # 整改到位 arrives as rectified on topic_closed
    c.SupervisionMeasureWithdrawn,  # 整改到位 arrives as rectified on topic_closed
    c.SupervisionReportSubmitted,  # a step; the topic line counts the closed topic
    c.SupervisionVoteRecorded,  # the deciding vote arrives on topic_closed
    c.DigestPublished,  # counts of cases already read one by one
    d.EvidenceAdded,  # a file beside a work record; the record itself is what counts
    d.EvidenceRemoved,
    c.AttachmentAdded,  # a file beside a case; its reply or feedback is what counts
    c.AttachmentRemoved,
}


def cut(data: EventData) -> Any:
    return fact_of(new_envelope(data, source="/test", correlationid="t", time=AT))


def test_every_event_type_is_read_or_knowingly_ignored() -> None:
    published = set(d.EVENTS) | set(c.EVENTS)
    assert set(CUTTERS) | IGNORED == published
    assert not set(CUTTERS) & IGNORED


def activity(model: type[d.ActivityLogged] | type[d.ActivityCorrected], **extra: Any) -> Any:
    return model(
        activity_id="a1",
        township=TOWN,
        activity_type=ActivityType.congress_session,
        title="第一次会议",
        levels=frozenset({Level.township}),
        held_on=date(2026, 3, 1),
        duration_hours=7.5,
        attendance=(
            d.AttendanceMark(deputy_id="d1", attendance=Attendance.present),
            d.AttendanceMark(deputy_id="d2", attendance=Attendance.excused),
            d.AttendanceMark(deputy_id="d3", attendance=Attendance.unexcused_absence),
        ),
        aggregate_version=2 if model is d.ActivityCorrected else 1,
        **extra,
    )


def test_an_activity_keeps_its_attendance_levels_hours_and_version() -> None:
    fact = cut(activity(d.ActivityCorrected, reason="名单有误"))
    assert isinstance(fact, f.ActivityHeld)
    assert fact.attendance == (
        ("d1", f.Presence.present),
        ("d2", f.Presence.excused),
        ("d3", f.Presence.unexcused_absence),
    )
    assert (fact.hours, fact.version, fact.corrects) == (Decimal("7.5"), 2, True)
    assert fact.source.event_type == "deputies.activity.corrected"
    assert not cut(activity(d.ActivityLogged)).corrects


def test_a_suggestion_keeps_its_lead_and_distinct_co_signers() -> None:
    fact = cut(
        c.SuggestionSubmitted(
            case_id="c1",
            township=TOWN,
            title="修路",
            category="交通",
            level=Level.township,
            timing=SuggestionTiming.between_sessions,
            lead_deputy_id="d1",
            co_deputy_ids=("d2", "d1", "d3", "d2"),
            submitted_on=date(2026, 2, 1),
        )
    )
    assert isinstance(fact, f.SuggestionFiled)
    assert (fact.lead, fact.co_signers, fact.filed_on) == ("d1", ("d2", "d3"), date(2026, 2, 1))


def assigned(key_chase: bool) -> c.CaseAssigned:
    return c.CaseAssigned(
        case_id="c1",
        township=TOWN,
        kind=CaseKind.suggestion,
        title="修路",
        units=(c.HandlingUnit(unit_id="u1", name="县交通运输局", role=HandlingRole.lead),),
        assigned_on=date(2026, 2, 10),
        due_on=date(2026, 5, 10),
        clock=Clock.suggestion,
        key_chase=key_chase,
    )


def test_key_chase_comes_from_the_flag_at_assignment_or_a_designation() -> None:
    plain = cut(assigned(False))  # read for its kind (an overdue notice does not carry it)
    assert isinstance(plain, f.CaseAssigned)
    assert (plain.kind, plain.key_chase) == (CaseKind.suggestion, False)
    flagged = cut(assigned(True))
    assert isinstance(flagged, f.CaseAssigned)
    assert (flagged.key_chase, flagged.assigned_on) == (True, date(2026, 2, 10))
    later = cut(
        c.CaseKeyChaseDesignated(
            case_id="c1", township=TOWN, designated_by="u9", designated_on=date(2026, 3, 3)
        )
    )
    assert isinstance(later, f.KeyChaseDesignated)
    assert later.designated_on == date(2026, 3, 3)


def test_feedback_counts_on_the_china_day_it_was_published() -> None:
    fact = cut(
        c.CaseFeedbackGiven(
            case_id="c1",
            township=TOWN,
            deputy_id="d1",
            process=Satisfaction.satisfied,
            result=Satisfaction.satisfied,
        )
    )
    assert isinstance(fact, f.FeedbackGiven)
    assert fact.given_on == date(2027, 1, 1)


@pytest.mark.parametrize(
    ("vote", "passed"),
    [
        (c.VoteCount(satisfied=5, basically_satisfied=1, unsatisfied=6), False),  # half: not more
        (c.VoteCount(satisfied=4, basically_satisfied=3, unsatisfied=6), True),
        (None, None),
    ],
)
def test_a_topic_vote_passes_with_more_than_half(
    vote: c.VoteCount | None, passed: bool | None
) -> None:
    fact = cut(
        c.SupervisionTopicClosed(
            topic_id="t1",
            township=TOWN,
            closed_on=date(2026, 11, 1),
            progress_percent=100,
            rectified=True,
            vote=vote,
        )
    )
    assert isinstance(fact, f.TopicClosed)
    assert fact.vote_passed is passed


def test_roster_and_case_facts_carry_what_the_assessment_needs() -> None:
    verified = cut(
        d.RosterVerified(township=TOWN, verified_at=AT, verified_by="u1", active_deputies=40)
    )
    assert isinstance(verified, f.RosterVerified)
    assert verified.verified_on == date(2027, 1, 1)
    status = cut(
        d.DeputyStatusChanged(
            deputy_id="d1",
            township=TOWN,
            levels=frozenset({Level.township}),
            from_status=DeputyStatus.active,
            to_status=DeputyStatus.terminated,
            reason=StatusReason.resignation,
            effective_date=date(2026, 5, 1),
            aggregate_version=3,
        )
    )
    assert isinstance(status, f.DeputyOnRoster)
    assert (status.status, status.version) == (DeputyStatus.terminated, 3)
    closed = cut(
        c.CaseClosed(
            case_id="c1",
            township=TOWN,
            kind=CaseKind.opinion,
            reply_class=None,
            solved=False,
            on_time=True,
            closed_on=date(2026, 4, 1),
        )
    )
    assert isinstance(closed, f.CaseClosed)
    assert not closed.replied
    replied = cut(
        c.CaseReplied(
            case_id="c1",
            township=TOWN,
            kind=CaseKind.suggestion,
            unit_id="u1",
            reply_class=ReplyClass.A,
            replied_on=date(2026, 4, 1),
            due_on=date(2026, 5, 1),
            on_time=True,
        )
    )
    assert isinstance(replied, f.CaseReplied)
    assert (replied.reply_class, replied.due_on) == (ReplyClass.A, date(2026, 5, 1))
    paper = cut(
        d.ManuscriptPublished(
            manuscript_id="m1",
            township=TOWN,
            title="人大代表在行动",
            outlet="人民代表报",
            outlet_level=OutletLevel.npc_system,
            placement=Placement.single,
            published_on=date(2026, 6, 1),
        )
    )
    assert isinstance(paper, f.ManuscriptPublished)
    assert paper.outlet_level is OutletLevel.npc_system


def test_a_submitted_manuscript_is_a_fact_for_the_assessment() -> None:
    fact = cut(
        d.ManuscriptSubmitted(
            manuscript_id="m1",
            township=TOWN,
            title="人大代表在行动",
            author="通讯员",
            submitted_on=date(2026, 5, 1),
        )
    )
    assert isinstance(fact, f.ManuscriptSubmitted)
    assert (fact.manuscript_id, fact.submitted_on) == ("m1", date(2026, 5, 1))


def raw(event_type: str, data: dict[str, Any], version: int = 1) -> RawEnvelope:
    return RawEnvelope(
        type=event_type,
        source="/test",
        subject="x",
        township=TOWN,
        correlationid="t",
        dataschema=schema_uri(event_type, version),
        data=data,
    )


def test_a_type_scoring_does_not_read_is_skipped_unparsed() -> None:
    assert fact_of(raw("deputies.future.thing", {"anything": 1})) is None
    assert fact_of(raw("cases.case.reminded", {"not": "valid"})) is None


def test_a_type_it_reads_must_be_valid_at_a_known_version() -> None:
    with pytest.raises(ValidationError):
        fact_of(raw("cases.case.replied", {"case_id": "c1"}))
    for _ in range(2):  # the second time from the specs remembered per dataschema
        with pytest.raises(UnknownEventVersion):
            fact_of(raw("cases.case.replied", {"case_id": "c1"}, version=2))
        other = raw("cases.case.replied", {"case_id": "c1"}).model_copy(
            update={"dataschema": schema_uri("cases.case.closed", 1)}
        )
        with pytest.raises(DataSchemaError):
            fact_of(other)


def mark(model: type[d.AttendanceRecorded] | type[d.AttendanceCorrected], **extra: Any) -> Any:
    return model(
        activity_id="a1",
        deputy_id="d4",
        township=TOWN,
        attendance=Attendance.excused,
        activity_type=ActivityType.congress_session,
        levels=frozenset({Level.county, Level.township}),
        held_on=date(2026, 3, 1),
        aggregate_version=3,
        **extra,
    )


@pytest.mark.parametrize(
    "data",
    [
        mark(d.AttendanceRecorded),
        mark(d.AttendanceCorrected, previous_attendance=Attendance.present),
    ],
)
def test_a_deputys_own_mark_keeps_the_activity_and_its_version(data: EventData) -> None:
    fact = cut(data)
    assert fact == f.AttendanceMarked(
        fact.source,
        "a1",
        TOWN,
        "d4",
        f.Presence.excused,
        ActivityType.congress_session,
        frozenset({Level.county, Level.township}),
        date(2026, 3, 1),
        3,
    )


def test_highlight_corrections_and_withdrawals_carry_their_version() -> None:
    corrected = cut(
        d.HighlightCorrected(
            highlight_id="h1",
            township=TOWN,
            year=2026,
            title="代表进网格",
            summary="",
            reason="年份有误",
            aggregate_version=2,
        )
    )
    assert isinstance(corrected, f.HighlightReported)
    assert (corrected.year, corrected.version) == (2026, 2)
    withdrawn = cut(
        d.HighlightWithdrawn(
            highlight_id="h1", township=TOWN, year=2026, reason="重复", aggregate_version=3
        )
    )
    assert withdrawn == f.HighlightWithdrawn(withdrawn.source, "h1", TOWN, 3)


def manuscript(published: bool, **extra: Any) -> d.ManuscriptCorrected:
    return d.ManuscriptCorrected(
        manuscript_id="m1",
        township=TOWN,
        title="代表之家",
        author="东湖镇人大",
        submitted_on=date(2026, 4, 1),
        published=published,
        reason="级别有误",
        aggregate_version=2,
        **extra,
    )


def test_a_corrected_manuscript_stands_published_at_its_level_or_not() -> None:
    published = cut(
        manuscript(
            True,
            outlet="人民代表报",
            outlet_level=OutletLevel.central,
            placement=Placement.front_page_headline,
            published_on=date(2026, 5, 1),
        )
    )
    assert isinstance(published, f.ManuscriptCorrected)
    assert published.publication == f.ManuscriptPublished(
        published.source,
        "m1",
        TOWN,
        OutletLevel.central,
        Placement.front_page_headline,
        date(2026, 5, 1),
    )
    assert (published.submitted_on, published.version) == (date(2026, 4, 1), 2)
    unpublished = cut(manuscript(False, outlet_level=OutletLevel.central))
    assert isinstance(unpublished, f.ManuscriptCorrected)
    assert unpublished.publication is None
    withdrawn = cut(
        d.ManuscriptWithdrawn(
            manuscript_id="m1",
            township=TOWN,
            was_published=True,
            reason="撤稿",
            aggregate_version=3,
        )
    )
    assert withdrawn == f.ManuscriptWithdrawn(withdrawn.source, "m1", TOWN, 3)


def test_a_status_correction_gives_the_status_back() -> None:
    fact = cut(
        d.DeputyStatusCorrected(
            deputy_id="d1",
            township=TOWN,
            level=Level.township,
            corrected_change_id=4,
            was_scheduled=False,
            status=DeputyStatus.active,
            reason="误操作",
            aggregate_version=5,
        )
    )
    assert fact == f.StatusCorrected(fact.source, "d1", TOWN, DeputyStatus.active, 5)


def test_a_suspended_mandate_leaves_the_person_active_on_their_other_mandate() -> None:
    fact = cut(
        d.DeputyStatusChanged(
            deputy_id="d1",
            township=TOWN,
            levels=[Level.township],
            from_status=DeputyStatus.active,
            to_status=DeputyStatus.suspended,
            effective_date=date(2026, 5, 1),
            reason=StatusReason.custody,
            aggregate_version=6,
            level=Level.township,
            deputy_status=DeputyStatus.active,
            mandate_levels=[Level.county, Level.township],
        )
    )
    assert fact == f.DeputyOnRoster(
        fact.source, "d1", TOWN, frozenset({Level.county, Level.township}), DeputyStatus.active, 6
    )


def test_a_corrected_mandate_gives_the_person_their_own_status() -> None:
    fact = cut(
        d.DeputyStatusCorrected(
            deputy_id="d1",
            township=TOWN,
            level=Level.county,
            corrected_change_id=4,
            was_scheduled=False,
            status=DeputyStatus.active,
            deputy_status=DeputyStatus.suspended,
            reason="误操作",
            aggregate_version=7,
        )
    )
    assert fact == f.StatusCorrected(fact.source, "d1", TOWN, DeputyStatus.suspended, 7)


def test_a_case_closed_after_an_unsatisfied_rating_is_unsolved() -> None:
    fact = cut(
        c.CaseClosed(
            case_id="c1",
            township=TOWN,
            kind=CaseKind.suggestion,
            reply_class=ReplyClass.A,
            satisfaction=Satisfaction.unsatisfied,
            solved=False,
            on_time=True,
            closed_on=date(2026, 9, 1),
        )
    )
    assert isinstance(fact, f.CaseClosed)
    assert (fact.replied, fact.solved) == (True, False)


def test_a_reopening_and_an_overdue_notice_become_facts_with_their_round() -> None:
    reopened = cut(
        c.CaseReopened(
            case_id="c1",
            township=TOWN,
            reason=ReopenReason.unsatisfied,
            reopened_on=date(2026, 6, 1),
            due_on=date(2026, 7, 1),
            round=2,
        )
    )
    assert reopened == f.CaseReopened(
        reopened.source, "c1", TOWN, ReopenReason.unsatisfied, date(2026, 6, 1), 2
    )
    overdue = cut(
        c.CaseOverdue(case_id="c1", township=TOWN, unit_ids=("u1",), due_on=date(2026, 7, 1))
    )
    assert overdue == f.CaseOverdue(overdue.source, "c1", TOWN, date(2026, 7, 1), 1)


def test_a_moved_deadline_and_a_late_assignment_become_facts() -> None:
    moved = cut(
        c.CaseDueDateRecomputed(
            case_id="c1",
            township=TOWN,
            clock="reply",
            previous_due_on=date(2026, 9, 30),
            due_on=date(2026, 10, 9),
            calendar_year=2026,
        )
    )
    assert moved == f.DueDateMoved(
        moved.source, "c1", TOWN, False, date(2026, 9, 30), date(2026, 10, 9)
    )
    chase = {
        "case_id": "c1",
        "township": TOWN,
        "owed_by": TOWN,
        "received_on": date(2026, 3, 1),
        "assign_by": date(2026, 3, 10),
    }
    late = cut(c.CaseAssignmentChased(notice="overdue", **chase))
    assert late == f.AssignmentOverdue(late.source, "c1", TOWN, date(2026, 3, 10))
    assert cut(c.CaseAssignmentChased(notice="warning", **chase)) is None  # nothing late yet
