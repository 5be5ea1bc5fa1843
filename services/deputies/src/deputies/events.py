"""Turn domain changes into contract events (envelopes); no restricted data leaves this way."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contracts import deputies as ev, vocabulary as vocab
from contracts.catalog import new_envelope
from contracts.common import EventData
from contracts.envelope import Envelope
from deputies.domain.model import (
    Activity,
    Attendance,
    ChangeState,
    Deputy,
    DeputyStatus,
    Highlight,
    Level,
    Manuscript,
    ManuscriptState,
    Station,
    StatusChange,
    Township,
)
from deputies.domain.proposals import ContactProposal
from deputies.domain.rules import AbsenceKey, Flag, StalePeriod
from deputies.handlers.context import Caller

SOURCE = "/services/deputies"


def envelope(
    data: EventData, *, correlation_id: str, causation_id: str | None = None
) -> Envelope[Any]:
    """Wrap an event payload: its aggregate id is the subject (and Kafka key)."""
    return new_envelope(data, source=SOURCE, correlationid=correlation_id, causationid=causation_id)


def _levels(levels: frozenset[Level]) -> frozenset[vocab.Level]:
    return frozenset(vocab.Level(level.value) for level in levels)


def _from(caller: Caller, data: EventData) -> Envelope[Any]:
    return envelope(data, correlation_id=caller.correlation_id)


def township_registered(township: Township, caller: Caller) -> Envelope[Any]:
    """A township joined."""
    return _from(
        caller,
        ev.TownshipRegistered(
            township=township.code,
            county=township.county,
            name=township.name,
            kind=vocab.TownshipKind(township.kind.value),
        ),
    )


def roster_verified(township: Township, active: int, caller: Caller) -> Envelope[Any]:
    """A roster was verified."""
    assert township.roster_verified_at is not None
    return _from(
        caller,
        ev.RosterVerified(
            township=township.code,
            verified_at=township.roster_verified_at,
            verified_by=caller.subject[:64],
            active_deputies=active,
        ),
    )


def station_updated(station: Station, caller: Caller) -> Envelope[Any]:
    """A station was created or changed."""
    return _from(
        caller,
        ev.StationUpdated(
            station_id=station.id,
            township=station.township,
            name=station.name,
            kind=vocab.StationKind(station.kind.value),
            location=station.address,
            schedule=station.schedule,
            content_updated_at=station.content_updated_at,
            aggregate_version=station.version,
        ),
    )


def _profile(deputy: Deputy) -> dict[str, Any]:
    return {
        "deputy_id": deputy.id,
        "township": deputy.township,
        "name": deputy.name,
        "gender": vocab.Gender(deputy.gender.value),
        # The date of birth is restricted personal data (domain.md §7.3): it stays here.
        "birth_date": None,
        "ethnicity": deputy.ethnicity,
        "party": deputy.party,
        "occupation": deputy.occupation,
        "sector": deputy.sector,
        "levels": _levels(deputy.levels),
        "electoral_district": deputy.electoral_district,
        "deputy_group": deputy.deputy_group,
        "station_id": deputy.station_id,
        "term": deputy.term,
        "status": vocab.DeputyStatus(deputy.status.value),
        "elected_by": vocab.ElectedBy(deputy.elected_by.value),
        "aggregate_version": deputy.version,
    }


def deputy_registered(deputy: Deputy, caller: Caller) -> Envelope[Any]:
    """A deputy joined a roster."""
    return _from(caller, ev.DeputyRegistered(**_profile(deputy)))


def deputy_updated(deputy: Deputy, changed: list[str], caller: Caller) -> Envelope[Any]:
    """A deputy's record changed (restricted fields are named, never carried)."""
    return _from(caller, ev.DeputyUpdated(**_profile(deputy), changed=changed))


def deputy_status_changed(deputy: Deputy, change: StatusChange, caller: Caller) -> Envelope[Any]:
    """A mandate's status changed."""
    assert change.from_status is not None
    return _from(
        caller,
        ev.DeputyStatusChanged(
            deputy_id=deputy.id,
            township=deputy.township,
            levels=_levels(frozenset({change.level}) if change.level else deputy.levels),
            from_status=vocab.DeputyStatus(change.from_status.value),
            to_status=vocab.DeputyStatus(change.to_status.value),
            reason=vocab.StatusReason(change.reason.value),
            effective_date=change.effective_date,
            aggregate_version=deputy.version,
            level=vocab.Level(change.level.value) if change.level else None,
            deputy_status=vocab.DeputyStatus(deputy.status.value),
            mandate_levels=(
                _levels(deputy.levels) if deputy.status is not DeputyStatus.terminated else None
            ),
        ),
    )


def status_change_scheduled(deputy: Deputy, change: StatusChange, caller: Caller) -> Envelope[Any]:
    """A status change was recorded for a day still to come."""
    assert change.seq is not None
    return _from(
        caller,
        ev.DeputyStatusChangeScheduled(
            deputy_id=deputy.id,
            township=deputy.township,
            level=vocab.Level((change.level or _main_level(deputy)).value),
            change_id=change.seq,
            to_status=vocab.DeputyStatus(change.to_status.value),
            reason=vocab.StatusReason(change.reason.value),
            effective_date=change.effective_date,
        ),
    )


def status_corrected(
    deputy: Deputy, corrected: StatusChange, reason: str, caller: Caller
) -> Envelope[Any]:
    """A wrong status change was undone (or a scheduled one dropped)."""
    assert corrected.seq is not None
    return _from(
        caller,
        ev.DeputyStatusCorrected(
            deputy_id=deputy.id,
            township=deputy.township,
            level=vocab.Level((corrected.level or _main_level(deputy)).value),
            corrected_change_id=corrected.seq,
            was_scheduled=corrected.state is ChangeState.scheduled,
            status=vocab.DeputyStatus(
                deputy.mandate_status(corrected.level or _main_level(deputy)).value
            ),
            reason=reason,
            aggregate_version=deputy.version,
            deputy_status=vocab.DeputyStatus(deputy.status.value),
        ),
    )


def _main_level(deputy: Deputy) -> Level:
    return Level.county if Level.county in deputy.levels else Level.township


def _activity(activity: Activity) -> dict[str, Any]:
    return {
        "activity_id": activity.id,
        "township": _recorded_in(activity),
        "activity_type": vocab.ActivityType(activity.type.value),
        "title": activity.title,
        "levels": _levels(activity.levels),
        "held_on": activity.held_on,
        "duration_hours": activity.duration_hours,
        "station_id": activity.station_id,
        "attendance": tuple(
            ev.AttendanceMark(deputy_id=d, attendance=vocab.Attendance(m.value))
            for d, m in sorted(activity.attendance.items())
        ),
        "aggregate_version": activity.version,
        "host": activity.host,
        "participating_townships": tuple(sorted(activity.townships)),
    }


def _recorded_in(activity: Activity) -> str:
    """Return the 9-digit township the contract's ``township`` needs (place, else a participant)."""
    return activity.place or min(activity.townships)


def activity_logged(activity: Activity, caller: Caller) -> Envelope[Any]:
    """An activity was logged with its attendance."""
    return _from(caller, ev.ActivityLogged(**_activity(activity)))


def activity_corrected(activity: Activity, reason: str, caller: Caller) -> Envelope[Any]:
    """An activity was corrected (the whole record travels)."""
    return _from(caller, ev.ActivityCorrected(**_activity(activity), reason=reason))


def activity_cancelled(activity: Activity, reason: str, caller: Caller) -> Envelope[Any]:
    """An activity was cancelled."""
    return _from(
        caller,
        ev.ActivityCancelled(
            activity_id=activity.id,
            township=_recorded_in(activity),
            reason=reason,
            aggregate_version=activity.version,
            host=activity.host,
        ),
    )


def attendance_recorded(
    activity: Activity, deputy: Deputy, previous: Attendance | None, caller: Caller
) -> Envelope[Any]:
    """A deputy's attendance was recorded (first mark) or corrected (a mark replaced)."""
    mark = activity.attendance[deputy.id]
    fields: dict[str, Any] = {
        "activity_id": activity.id,
        "deputy_id": deputy.id,
        "township": deputy.township,
        "attendance": vocab.Attendance(mark.value),
        "activity_type": vocab.ActivityType(activity.type.value),
        "levels": _levels(activity.levels),
        "held_on": activity.held_on,
        "aggregate_version": activity.version,
    }
    if previous is None:
        return _from(caller, ev.AttendanceRecorded(**fields))
    return _from(
        caller,
        ev.AttendanceCorrected(**fields, previous_attendance=vocab.Attendance(previous.value)),
    )


def attendance_removed(
    activity: Activity, deputy: Deputy, removed: Attendance, reason: str, caller: Caller
) -> Envelope[Any]:
    """A mistaken mark was removed (a compensation for whatever it earned)."""
    return _from(
        caller,
        ev.AttendanceRemoved(
            activity_id=activity.id,
            deputy_id=deputy.id,
            township=deputy.township,
            removed_attendance=vocab.Attendance(removed.value),
            activity_type=vocab.ActivityType(activity.type.value),
            levels=_levels(activity.levels),
            held_on=activity.held_on,
            reason=reason,
            aggregate_version=activity.version,
        ),
    )


def highlight_reported(highlight: Highlight, caller: Caller) -> Envelope[Any]:
    """A highlight report was made."""
    return _from(
        caller,
        ev.HighlightReported(
            highlight_id=highlight.id,
            township=highlight.township,
            year=highlight.year,
            title=highlight.title,
            summary=highlight.summary,
        ),
    )


def highlight_corrected(highlight: Highlight, reason: str, caller: Caller) -> Envelope[Any]:
    """A highlight report was corrected (the whole report travels)."""
    return _from(
        caller,
        ev.HighlightCorrected(
            highlight_id=highlight.id,
            township=highlight.township,
            year=highlight.year,
            title=highlight.title,
            summary=highlight.summary,
            reason=reason,
            aggregate_version=highlight.version,
        ),
    )


def highlight_withdrawn(highlight: Highlight, reason: str, caller: Caller) -> Envelope[Any]:
    """A highlight report was withdrawn."""
    return _from(
        caller,
        ev.HighlightWithdrawn(
            highlight_id=highlight.id,
            township=highlight.township,
            year=highlight.year,
            reason=reason,
            aggregate_version=highlight.version,
        ),
    )


def manuscript_corrected(
    ms: Manuscript, changed: list[str], reason: str, caller: Caller
) -> Envelope[Any]:
    """A manuscript's record was corrected (the whole record travels)."""
    return _from(
        caller,
        ev.ManuscriptCorrected(
            manuscript_id=ms.id,
            township=ms.township,
            title=ms.title,
            author=ms.author,
            submitted_on=ms.submitted_on,
            published=ms.state is ManuscriptState.published,
            outlet=ms.outlet,
            outlet_level=vocab.OutletLevel(ms.outlet_level.value) if ms.outlet_level else None,
            placement=vocab.Placement(ms.placement.value) if ms.placement else None,
            published_on=ms.published_on,
            evidence_url=ms.evidence_url,
            changed=changed,
            reason=reason,
            aggregate_version=ms.version,
        ),
    )


def manuscript_withdrawn(
    ms: Manuscript, was_published: bool, reason: str, caller: Caller
) -> Envelope[Any]:
    """A manuscript (and its publication, if any) was withdrawn."""
    return _from(
        caller,
        ev.ManuscriptWithdrawn(
            manuscript_id=ms.id,
            township=ms.township,
            was_published=was_published,
            reason=reason,
            aggregate_version=ms.version,
        ),
    )


def manuscript_submitted(ms: Manuscript, caller: Caller) -> Envelope[Any]:
    """A manuscript was submitted."""
    return _from(
        caller,
        ev.ManuscriptSubmitted(
            manuscript_id=ms.id,
            township=ms.township,
            title=ms.title,
            author=ms.author,
            outlet=ms.outlet,
            submitted_on=ms.submitted_on,
        ),
    )


def manuscript_published(ms: Manuscript, caller: Caller) -> Envelope[Any]:
    """A manuscript was published."""
    assert ms.outlet
    assert ms.outlet_level
    assert ms.placement
    assert ms.published_on
    return _from(
        caller,
        ev.ManuscriptPublished(
            manuscript_id=ms.id,
            township=ms.township,
            title=ms.title,
            outlet=ms.outlet,
            outlet_level=vocab.OutletLevel(ms.outlet_level.value),
            placement=vocab.Placement(ms.placement.value),
            published_on=ms.published_on,
            evidence_url=ms.evidence_url,
        ),
    )


def _scheduled(data: EventData, aggregate_id: str) -> Envelope[Any]:
    return envelope(data, correlation_id=f"job:{data.EVENT_TYPE}:{aggregate_id}")


def roster_stale(
    township: str, last_verified_at: datetime | None, period: StalePeriod, days: int
) -> Envelope[Any]:
    """A roster went unverified for a period."""
    return _scheduled(
        ev.RosterStale(
            township=township,
            last_verified_at=last_verified_at,
            stale_since=period.started_on,
            period=period.number,
            threshold_days=days,
        ),
        township,
    )


def station_stale(
    station_id: str, township: str, updated_at: datetime, period: StalePeriod, days: int
) -> Envelope[Any]:
    """A station's content went unrefreshed for a period."""
    return _scheduled(
        ev.StationStale(
            station_id=station_id,
            township=township,
            content_updated_at=updated_at,
            stale_since=period.started_on,
            period=period.number,
            threshold_days=days,
        ),
        station_id,
    )


def mandate_termination_flag_withdrawn(
    deputy: Deputy, key: AbsenceKey, flag: Flag, remaining: list[str]
) -> Envelope[Any]:
    """A standing termination flag no longer holds: it is withdrawn, naming the flag's event."""
    return _scheduled(
        ev.MandateTerminationFlagWithdrawn(
            deputy_id=deputy.id,
            township=deputy.township,
            level=vocab.Level(key.level.value),
            term=key.term,
            flag_event_id=flag.event_id,
            session_activity_ids=flag.session_ids,
            remaining_session_activity_ids=tuple(remaining),
        ),
        f"{deputy.id}:{flag.event_id}",
    )


def mandate_termination_flagged(
    deputy: Deputy, key: AbsenceKey, session_ids: list[str]
) -> Envelope[Any]:
    """Two unexcused session absences: a person must decide on the mandate."""
    return _scheduled(
        ev.MandateTerminationFlagged(
            deputy_id=deputy.id,
            township=deputy.township,
            level=vocab.Level(key.level.value),
            term=key.term,
            session_activity_ids=tuple(session_ids),
        ),
        deputy.id,
    )


def _contact_change(p: ContactProposal) -> dict[str, Any]:
    return {
        "proposal_id": p.id,
        "deputy_id": p.deputy_id,
        "township": p.township,
        "fields": frozenset(vocab.ContactField(f) for f in p.fields),  # names only, never values
    }


def contact_change_proposed(p: ContactProposal, caller: Caller) -> Envelope[Any]:
    """A deputy proposed a change of their own contacts."""
    return _from(
        caller, ev.ContactChangeProposed(**_contact_change(p), base_version=p.base_version)
    )


def contact_change_approved(p: ContactProposal, caller: Caller) -> Envelope[Any]:
    """Staff approved a contact proposal (the record's own update event goes with it)."""
    assert p.deputy_version is not None
    return _from(
        caller,
        ev.ContactChangeApproved(
            **_contact_change(p),
            decided_by=caller.subject[:64],
            aggregate_version=p.deputy_version,
        ),
    )


def contact_change_rejected(p: ContactProposal, caller: Caller) -> Envelope[Any]:
    """Staff rejected a contact proposal, with a reason."""
    assert p.reason is not None
    return _from(
        caller,
        ev.ContactChangeRejected(
            **_contact_change(p), decided_by=caller.subject[:64], reason=p.reason
        ),
    )
