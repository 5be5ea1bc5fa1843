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
    ReplyClass,
    Satisfaction,
    StatusReason,
    SuggestionTiming,
)
from scoring.domain import facts as f
from scoring.domain.translate import CUTTERS, fact_of

AT = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # 2027-01-01 01:00 in China
IGNORED = {
    d.StationUpdated,  # content freshness arrives as StationStale
    d.ActivityScheduled,  # a plan earns nothing; the logged activity does
    d.MandateTerminationFlagged,  # a legal trigger beside the points, decided by a person
    c.OpinionSubmitted,
    c.CaseTriaged,
    c.CaseReturned,
    c.CaseExtensionGranted,
    c.CaseReopened,
    c.CaseWarning,
    c.CaseOverdue,
    c.CaseReminded,
    c.CaseEscalated,
    c.SupervisionTopicOpened,
    c.SupervisionFollowupLogged,
    c.DigestPublished,
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
    assert cut(assigned(False)) is None
    flagged = cut(assigned(True))
    assert isinstance(flagged, f.KeyChaseDesignated)
    assert flagged.designated_on == date(2026, 2, 10)
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
    assert replied.reply_class is ReplyClass.A
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
    with pytest.raises(UnknownEventVersion):
        fact_of(raw("cases.case.replied", {"case_id": "c1"}, version=2))
