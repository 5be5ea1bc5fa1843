"""Contract events → facts: which events can earn or lose points or feed the township assessment.

Events not listed here (scheduling, warnings, reminders, digests, …) give no fact: scoring is a
tolerant reader and counts them as not covered. The README ("What counts") says, for every type
of the contract not read, why it changes no number.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any

from contracts import Envelope, cases as c, deputies as d, parse_data
from contracts.catalog import SPECS, EventSpec, version_of
from contracts.common import EventData
from contracts.vocabulary import Attendance
from kit.clock import china_day
from scoring.domain import facts as f

_PRESENCE = {
    Attendance.present: f.Presence.present,
    Attendance.excused: f.Presence.excused,
    Attendance.unexcused_absence: f.Presence.unexcused_absence,
}


@lru_cache(maxsize=1024, typed=True)
def _hours(duration: float) -> Decimal:
    """Return a duration as a Decimal, one object per value (a replay holds one per activity)."""
    return Decimal(str(duration))


def _township(e: d.TownshipRegistered, s: f.Source) -> f.TownshipKnown:
    return f.TownshipKnown(s, e.township, e.county, e.kind)


def _deputy(e: d.DeputyRegistered | d.DeputyUpdated, s: f.Source) -> f.DeputyOnRoster:
    return f.DeputyOnRoster(
        s, e.deputy_id, e.township, frozenset(e.levels), e.status, e.aggregate_version, e.name
    )


def _status(e: d.DeputyStatusChanged, s: f.Source) -> f.DeputyOnRoster:
    # Since mandates change one at a time, to_status and levels are the mandate's; the person's
    # status and running mandates are deputy_status and mandate_levels (absent in older events).
    status = e.deputy_status or e.to_status
    levels = e.levels if e.mandate_levels is None else e.mandate_levels
    return f.DeputyOnRoster(
        s, e.deputy_id, e.township, frozenset(levels), status, e.aggregate_version
    )


def _activity(e: d.ActivityLogged | d.ActivityCorrected, s: f.Source) -> f.ActivityHeld:
    return f.ActivityHeld(
        source=s,
        activity_id=e.activity_id,
        township=e.township,
        activity_type=e.activity_type,
        levels=frozenset(e.levels),
        held_on=e.held_on,
        hours=_hours(e.duration_hours),
        attendance=tuple((m.deputy_id, _PRESENCE[m.attendance]) for m in e.attendance),
        version=e.aggregate_version,
        corrects=isinstance(e, d.ActivityCorrected),
    )


def _mark(
    e: d.AttendanceRecorded | d.AttendanceCorrected | d.AttendanceRemoved, s: f.Source
) -> f.AttendanceMarked:
    return f.AttendanceMarked(
        source=s,
        activity_id=e.activity_id,
        township=e.township,
        deputy_id=e.deputy_id,
        presence=None if isinstance(e, d.AttendanceRemoved) else _PRESENCE[e.attendance],
        activity_type=e.activity_type,
        levels=frozenset(e.levels),
        held_on=e.held_on,
        version=e.aggregate_version,
    )


def _status_corrected(e: d.DeputyStatusCorrected, s: f.Source) -> f.StatusCorrected:
    # ``status`` is the corrected mandate's; the person's is ``deputy_status`` (absent in older events).
    status = e.deputy_status or e.status
    return f.StatusCorrected(s, e.deputy_id, e.township, status, e.aggregate_version)


def _cancelled(e: d.ActivityCancelled, s: f.Source) -> f.ActivityCancelled:
    return f.ActivityCancelled(s, e.activity_id, e.township, e.aggregate_version)


def _suggestion(e: c.SuggestionSubmitted, s: f.Source) -> f.SuggestionFiled:
    # The signatories are kept per case for the year: one string object per deputy (interned).
    lead = sys.intern(e.lead_deputy_id)
    co = tuple(dict.fromkeys(sys.intern(x) for x in e.co_deputy_ids if x != lead))
    return f.SuggestionFiled(s, e.case_id, e.township, lead, co, e.submitted_on)


def _replied(e: c.CaseReplied, s: f.Source) -> f.CaseReplied:
    return f.CaseReplied(
        s, e.case_id, e.township, e.kind, e.reply_class, e.on_time, e.replied_on, e.round, e.due_on
    )


def _assigned(e: c.CaseAssigned, s: f.Source) -> f.CaseAssigned:
    # Every assignment: the kind tells an overdue opinion from a suggestion (the overdue notice
    # does not carry it); a flag set at assignment earns the key-chase points.
    return f.CaseAssigned(s, e.case_id, e.township, e.kind, e.assigned_on, e.key_chase)


def _reopened(e: c.CaseReopened, s: f.Source) -> f.CaseReopened:
    return f.CaseReopened(s, e.case_id, e.township, e.reason, e.reopened_on, e.round)


def _overdue(e: c.CaseOverdue, s: f.Source) -> f.CaseOverdue:
    return f.CaseOverdue(s, e.case_id, e.township, e.due_on, e.round)


def _moved(e: c.CaseDueDateRecomputed, s: f.Source) -> f.DueDateMoved:
    # A holiday arrangement loaded after the deadline was counted: an overdue notice sent on the
    # old date may have been premature (the assessment reads the moved date).
    assignment = e.clock == "assignment"
    return f.DueDateMoved(s, e.case_id, e.township, assignment, e.previous_due_on, e.due_on)


def _assignment_chased(e: c.CaseAssignmentChased, s: f.Source) -> f.AssignmentOverdue | None:
    # The warning before the deadline counts nothing; the overdue notice is the township office's
    # late 交办 (≤ 7 working days, 上海 规定 Art. 11), a line of the assessment.
    if e.notice != "overdue":
        return None
    return f.AssignmentOverdue(s, e.case_id, e.owed_by, e.assign_by)


def _key_chase(e: c.CaseKeyChaseDesignated, s: f.Source) -> f.KeyChaseDesignated:
    return f.KeyChaseDesignated(s, e.case_id, e.township, e.designated_on)


def _feedback(e: c.CaseFeedbackGiven, s: f.Source) -> f.FeedbackGiven:
    # The event has no day of its own: the deputy's rating counts on the day it was published.
    return f.FeedbackGiven(s, e.case_id, e.township, e.deputy_id, e.result, s.published_on)


def _closed(e: c.CaseClosed, s: f.Source) -> f.CaseClosed:
    replied = e.reply_class is not None
    return f.CaseClosed(s, e.case_id, e.township, e.kind, replied, e.solved, e.on_time, e.closed_on)


def _topic(e: c.SupervisionTopicClosed, s: f.Source) -> f.TopicClosed:
    passed = None
    if e.vote is not None:
        votes = e.vote.satisfied + e.vote.basically_satisfied + e.vote.unsatisfied
        # 石泉县 passes a report with more than half voting 满意 (§1.3); here 基本满意 counts
        # with 满意, as the usual 满意率 does: a county wanting the strict reading changes this.
        passed = 2 * (e.vote.satisfied + e.vote.basically_satisfied) > votes
    return f.TopicClosed(s, e.topic_id, e.township, e.rectified, passed, e.closed_on)


def _verified(e: d.RosterVerified, s: f.Source) -> f.RosterVerified:
    return f.RosterVerified(s, e.township, china_day(e.verified_at))


def _roster_stale(e: d.RosterStale, s: f.Source) -> f.Stale:
    return f.Stale(s, e.township, None, e.stale_since)


def _station_stale(e: d.StationStale, s: f.Source) -> f.Stale:
    return f.Stale(s, e.township, e.station_id, e.stale_since)


def _highlight(e: d.HighlightReported, s: f.Source) -> f.HighlightReported:
    return f.HighlightReported(s, e.highlight_id, e.township, e.year)


def _highlight_corrected(e: d.HighlightCorrected, s: f.Source) -> f.HighlightReported:
    return f.HighlightReported(s, e.highlight_id, e.township, e.year, e.aggregate_version)


def _highlight_withdrawn(e: d.HighlightWithdrawn, s: f.Source) -> f.HighlightWithdrawn:
    return f.HighlightWithdrawn(s, e.highlight_id, e.township, e.aggregate_version)


def _submitted(e: d.ManuscriptSubmitted, s: f.Source) -> f.ManuscriptSubmitted:
    return f.ManuscriptSubmitted(s, e.manuscript_id, e.township, e.submitted_on)


def _manuscript(e: d.ManuscriptPublished, s: f.Source) -> f.ManuscriptPublished:
    return f.ManuscriptPublished(
        s, e.manuscript_id, e.township, e.outlet_level, e.placement, e.published_on
    )


def _manuscript_corrected(e: d.ManuscriptCorrected, s: f.Source) -> f.ManuscriptCorrected:
    publication = None
    level, placement, day = e.outlet_level, e.placement, e.published_on
    if e.published and level is not None and placement is not None and day is not None:
        publication = f.ManuscriptPublished(s, e.manuscript_id, e.township, level, placement, day)
    return f.ManuscriptCorrected(
        s, e.manuscript_id, e.township, e.submitted_on, publication, e.aggregate_version
    )


def _manuscript_withdrawn(e: d.ManuscriptWithdrawn, s: f.Source) -> f.ManuscriptWithdrawn:
    return f.ManuscriptWithdrawn(s, e.manuscript_id, e.township, e.aggregate_version)


Cutter = Callable[[Any, f.Source], f.Fact | None]
CUTTERS: dict[type[EventData], Cutter] = {
    d.TownshipRegistered: _township,
    d.DeputyRegistered: _deputy,
    d.DeputyUpdated: _deputy,
    d.DeputyStatusChanged: _status,
    d.ActivityLogged: _activity,
    d.ActivityCorrected: _activity,
    d.ActivityCancelled: _cancelled,
    d.AttendanceRecorded: _mark,
    d.AttendanceCorrected: _mark,
    d.AttendanceRemoved: _mark,
    d.DeputyStatusCorrected: _status_corrected,
    d.RosterVerified: _verified,
    d.RosterStale: _roster_stale,
    d.StationStale: _station_stale,
    d.HighlightReported: _highlight,
    d.HighlightCorrected: _highlight_corrected,
    d.HighlightWithdrawn: _highlight_withdrawn,
    d.ManuscriptSubmitted: _submitted,
    d.ManuscriptPublished: _manuscript,
    d.ManuscriptCorrected: _manuscript_corrected,
    d.ManuscriptWithdrawn: _manuscript_withdrawn,
    c.SuggestionSubmitted: _suggestion,
    c.CaseAssigned: _assigned,
    c.CaseKeyChaseDesignated: _key_chase,
    c.CaseReplied: _replied,
    c.CaseFeedbackGiven: _feedback,
    c.CaseReopened: _reopened,
    c.CaseOverdue: _overdue,
    c.CaseDueDateRecomputed: _moved,
    c.CaseAssignmentChased: _assignment_chased,
    c.CaseClosed: _closed,
    c.SupervisionTopicClosed: _topic,
}
"""Every contract event type scoring reads, and how it becomes a fact."""


READ_TYPES = frozenset(model.EVENT_TYPE for model in CUTTERS)


_SPECS: dict[tuple[str, str], EventSpec | None] = {}
"""The catalog's spec of each (type, dataschema) seen: the URI is parsed once, not per event."""


def _spec(envelope: Envelope[Any]) -> EventSpec | None:
    """Return the spec an envelope's dataschema names (None: a version the catalog does not know).

    Raises the catalog's error for a dataschema that does not name the type (not remembered)."""
    key = (envelope.type, envelope.dataschema)
    if key in _SPECS:
        return _SPECS[key]
    found = SPECS.get((envelope.type, version_of(envelope)))
    if len(_SPECS) < 1024:  # a few per type
        _SPECS[key] = found
    return found


def fact_of(envelope: Envelope[Any], parsed: Any = None) -> f.Fact | None:
    """Return the fact an event gives, or None when scoring does not read its type.

    A type scoring does not read is skipped unparsed (tolerant reader, new types included); a
    type it reads must validate at a known version, or this raises (the consumer dead-letters it).
    ``parsed`` is the payload already validated against its catalog model (the kit's runner
    validates every delivery): it is not validated twice.
    """
    if envelope.type not in READ_TYPES:
        return None
    spec = _spec(envelope)  # one lookup, not two scans (replay)
    if spec is None:
        data = parse_data(envelope)  # raises the catalog's error for an unknown version
    elif type(parsed) is spec.model:
        data = parsed
    elif isinstance(envelope.data, spec.model):
        data = envelope.data
    else:
        data = spec.model.model_validate(envelope.data)
    cutter = CUTTERS.get(type(data))
    if cutter is None:
        return None
    return cutter(data, f.Source(envelope.id, envelope.type, china_day(envelope.time)))
