"""The default routing table (PRODUCT.md "notify") and its override from configuration (pure).

Every event type of the catalog is either routed here or listed in ``SILENT`` on purpose; a test
keeps it so when the catalog grows. Configuration (JSON, e.g. ``NOTIFY_ROUTES``) replaces the
routes of the event types it names; ``[]`` silences one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, Final

from contracts.common import EventData
from notify.domain.model import Timing
from notify.domain.routing import (
    Audience,
    Condition,
    Route,
    RoutingTable,
    check_table,
    freeze,
    unless,
    when,
)

A = Audience
T = Timing
RECEPTION_NOTICE = timedelta(days=3)
"""A reception day (接待选民日) is announced to its deputies three days ahead (domain.md §9)."""

DEFAULT_ROUTES: Final[RoutingTable] = freeze(
    {
        # cases: intake and triage are township work; the digest keeps it to one message a day
        "cases.suggestion.submitted": [
            Route(A.township_staff, "cases.suggestion.submitted", T.digest)
        ],
        "cases.opinion.submitted": [Route(A.township_staff, "cases.opinion.submitted", T.digest)],
        # assignment (交办): the lead unit and the co-handlers must act; the deputies are told
        "cases.case.assigned": [
            Route(A.units, "cases.case.assigned", T.working_hours, "units", role="lead"),
            Route(A.units, "cases.case.assigned.co", T.working_hours, "units", role="co"),
            Route(A.deputies, "cases.case.assigned.deputy", T.digest, "deputy_ids"),
        ],
        "cases.case.key_chase_designated": [
            Route(A.township_staff, "cases.case.key_chase_designated", T.working_hours)
        ],
        "cases.case.returned": [Route(A.township_staff, "cases.case.returned", T.working_hours)],
        "cases.case.extension_granted": [
            Route(A.units, "cases.case.extension_granted", T.working_hours, "unit_id")
        ],
        # a unit's application for extension (申请延期): county staff decide; the unit hears a refusal
        "cases.case.extension_applied": [
            Route(A.county_staff, "cases.case.extension_applied", T.working_hours)
        ],
        "cases.case.extension_refused": [
            Route(A.units, "cases.case.extension_refused", T.working_hours, "unit_id")
        ],
        # a co-handler's opinion (会办意见) is in: the lead unit reads it before replying
        "cases.case.co_opinion_recorded": [
            Route(A.units, "cases.case.co_opinion_recorded", T.working_hours, "lead_unit_id")
        ],
        # the submitting deputies hear that their item was merged into another (并案)
        "cases.case.triaged": [
            Route(
                A.deputies,
                "cases.case.triaged.merged",
                T.digest,
                "deputy_ids",
                conditions=(when("outcome", "merged"),),
            )
        ],
        # a reply goes to the deputies; an opinion's constituent hears it through them
        "cases.case.replied": [Route(A.deputies, "cases.case.replied", T.now, "deputy_ids")],
        "cases.case.feedback_given": [
            Route(
                A.township_staff,
                "cases.case.feedback_given",
                T.working_hours,
                conditions=(when("result", "unsatisfied"),),
            )
        ],
        "cases.case.reopened": [Route(A.township_staff, "cases.case.reopened", T.working_hours)],
        "cases.case.closed": [Route(A.deputies, "cases.case.closed", T.digest, "deputy_ids")],
        # chasing (督办): the handler; escalations go up the ladder, once per level, urgently
        "cases.case.warning": [Route(A.units, "cases.case.warning", T.working_hours, "unit_ids")],
        "cases.case.overdue": [
            Route(A.units, "cases.case.overdue", T.working_hours, "unit_ids"),
            Route(A.township_staff, "cases.case.overdue.staff", T.digest),
        ],
        "cases.case.reminded": [
            Route(A.units, "cases.case.reminded", T.working_hours, "unit_ids", throttle=True)
        ],
        "cases.case.escalated": [
            Route(
                A.township_chair,
                "cases.case.escalated",
                T.now,
                conditions=(when("level", "township_chair"),),
                urgent=True,
            ),
            Route(
                A.county_committee,
                "cases.case.escalated",
                T.now,
                conditions=(when("level", "county_committee"),),
                urgent=True,
            ),
            Route(
                A.vice_chair,
                "cases.case.escalated",
                T.now,
                conditions=(when("level", "vice_chair"),),
                urgent=True,
            ),
            Route(A.units, "cases.case.escalated.unit", T.working_hours, "unit_ids"),
        ],
        # a leader's instruction (批示): the units handling the case act on it; the deputies are told
        "cases.case.instruction_given": [
            Route(A.units, "cases.case.instruction_given", T.working_hours, "unit_ids"),
            Route(A.deputies, "cases.case.instruction_given.deputy", T.digest, "deputy_ids"),
        ],
        # assignment (交办) owed within 7 working days: the township office that owes it
        "cases.case.assignment_chased": [
            Route(A.township_staff, "cases.case.assignment_chased", T.working_hours, "owed_by")
        ],
        # the event names no units or deputies: township staff hear, and pass it on
        # the event names no unit or deputy: the case projection knows the lead unit and deputies
        "cases.case.due_date_recomputed": [
            Route(
                A.lead_unit,
                "cases.case.due_date_recomputed.unit",
                T.working_hours,
                conditions=(when("clock", "reply"),),
            ),
            Route(
                A.case_deputies,
                "cases.case.due_date_recomputed.deputy",
                T.digest,
                conditions=(when("clock", "reply"),),
            ),
            Route(A.township_staff, "cases.case.due_date_recomputed", T.digest),
        ],
        "cases.supervision.topic_opened": [
            Route(A.township_staff, "cases.supervision.topic_opened", T.digest)
        ],
        # a withdrawn measure names no unit: the projection knows the measure's owner unit
        "cases.supervision.measure_withdrawn": [
            Route(
                A.measure_owner,
                "cases.supervision.measure_withdrawn",
                T.working_hours,
                "measure_id",
            )
        ],
        "cases.supervision.measure_added": [
            Route(
                A.units, "cases.supervision.measure_added", T.working_hours, "measure.owner_unit_id"
            )
        ],
        # the rectification report goes to the satisfaction vote (满意度测评) county staff hold
        "cases.supervision.report_submitted": [
            Route(A.county_staff, "cases.supervision.report_submitted", T.working_hours)
        ],
        "cases.supervision.vote_recorded": [
            Route(A.county_staff, "cases.supervision.vote_recorded", T.working_hours)
        ],
        # deputies: staleness to the township's staff; activities to the invited deputies
        "deputies.roster.stale": [
            Route(A.township_staff, "deputies.roster.stale", T.working_hours)
        ],
        "deputies.station.stale": [
            Route(A.township_staff, "deputies.station.stale", T.working_hours)
        ],
        "deputies.activity.scheduled": [
            Route(
                A.deputies,
                "deputies.activity.scheduled",
                T.now,
                "invited_deputy_ids",
                conditions=(when("activity_type", "reception_day"),),
                lead=RECEPTION_NOTICE,
                lead_field="starts_at",
            ),
            Route(
                A.deputies,
                "deputies.activity.scheduled",
                T.now,
                "invited_deputy_ids",
                conditions=(unless("activity_type", "reception_day"),),
            ),
            # the township's office prepares the day (接待日通知): told when it is planned
            Route(A.township_staff, "deputies.activity.scheduled.staff", T.working_hours),
        ],
        # a plan moved or called off: whoever was invited hears it at once, the office too
        "deputies.activity.rescheduled": [
            Route(A.deputies, "deputies.activity.rescheduled", T.now, "invited_deputy_ids"),
            Route(A.township_staff, "deputies.activity.rescheduled", T.working_hours),
        ],
        "deputies.activity.plan_cancelled": [
            Route(A.deputies, "deputies.activity.plan_cancelled", T.now, "invited_deputy_ids"),
            Route(A.township_staff, "deputies.activity.plan_cancelled", T.working_hours),
        ],
        "deputies.mandate.termination_flagged": [
            Route(A.county_staff, "deputies.mandate.termination_flagged", T.working_hours),
            Route(A.township_chair, "deputies.mandate.termination_flagged", T.working_hours),
        ],
        # whoever was told of the flag must stop acting on it
        "deputies.mandate.termination_flag_withdrawn": [
            Route(A.county_staff, "deputies.mandate.termination_flag_withdrawn", T.working_hours),
            Route(A.township_chair, "deputies.mandate.termination_flag_withdrawn", T.working_hours),
        ],
        # scoring: the deputy hears about their points, grade and publication; the chair the assessment
        "scoring.points.recorded": [
            Route(A.deputies, "scoring.points.recorded", T.digest, "deputy_id")
        ],
        "scoring.points.reviewed": [
            Route(
                A.deputies,
                "scoring.points.reviewed",
                T.now,
                "deputy_id",
                conditions=(when("decision", "rejected"),),
            )
        ],
        # a live grade moves with every batch of points during the year: once a day at most
        "scoring.grade.changed": [
            Route(A.deputies, "scoring.grade.changed", T.digest, "deputy_id")
        ],
        "scoring.contest.resolved": [
            Route(A.deputies, "scoring.contest.resolved", T.now, "deputy_id")
        ],
        "scoring.score.published": [
            Route(A.deputies, "scoring.score.published", T.now, "deputy_ids")
        ],
        "scoring.assessment.published": [
            Route(A.township_chair, "scoring.assessment.published", T.working_hours)
        ],
    }
)
"""Who hears what, by default."""

SILENT: Final = frozenset(
    {
        "cases.supervision.followup_logged",
        "cases.supervision.topic_closed",
        "cases.digest.published",  # the digest itself is what cases sends to county leaders
        "cases.attachment.added",  # a file beside a case; the step it serves (a reply) is routed
        "cases.attachment.removed",
        "deputies.evidence.added",  # evidence beside a work record; staff attached it themselves
        "deputies.evidence.removed",
        "deputies.township.registered",
        "deputies.station.updated",
        "deputies.deputy.registered",
        "deputies.deputy.updated",
        "deputies.deputy.status_changed",
        "deputies.roster.verified",
        "deputies.activity.logged",
        "deputies.activity.corrected",
        "deputies.activity.cancelled",
        "deputies.attendance.removed",  # a correction of the record, for scoring
        "deputies.highlight.reported",
        "deputies.manuscript.submitted",
        "deputies.manuscript.published",
        "deputies.attendance.recorded",  # an attendance mark; two session absences come as a flag
        "deputies.attendance.corrected",  # a fixed mark; a flag it undoes comes as flag_withdrawn
        "deputies.highlight.corrected",  # the township's own report, fixed by its own staff
        "deputies.highlight.withdrawn",  # the township's own report, taken back by its own staff
        "deputies.manuscript.corrected",  # a record fix by staff; scoring recounts, nobody acts
        "deputies.manuscript.withdrawn",  # a record taken back by staff; scoring recounts
        "deputies.deputy.status_change_scheduled",  # staff recorded it; it applies itself on the day
        "deputies.deputy.status_corrected",  # a county role's own undo; the roster shows it
        # a deputy's own contact change: staff see the pending list, the deputy their own;
        # no message carries the new phone or address (routing them is a template away)
        "deputies.contact_change.proposed",
        "deputies.contact_change.approved",
        "deputies.contact_change.rejected",
        "scoring.rule_set.activated",  # county staff activated it themselves; points follow as events
        "scoring.score.changed",  # every entry moves the total: the points digest says it once a day
        "notify.notification.sent",  # never notify about notifications (no loops)
        "notify.notification.failed",
    }
)
"""Event types that deliberately notify nobody."""


class RoutesError(ValueError):
    """A routing configuration that does not fit the catalog; ``problems`` name the fields."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


def _route(raw: Mapping[str, Any]) -> Route:
    conditions = tuple(
        Condition(c["field"], frozenset(c["values"]), bool(c.get("negate", False)))
        for c in raw.get("conditions", ())
    )
    lead_days = raw.get("lead_days")
    return Route(
        audience=Audience(raw["audience"]),
        template=str(raw["template"]),
        timing=Timing(raw.get("timing", Timing.now.value)),
        field=raw.get("field"),
        role=raw.get("role"),
        conditions=conditions,
        urgent=bool(raw.get("urgent", False)),
        lead=None if lead_days is None else timedelta(days=float(lead_days)),
        lead_field=raw.get("lead_field"),
        throttle=bool(raw.get("throttle", False)),
    )


def parse_routes(
    config: Mapping[str, Sequence[Mapping[str, Any]]],
    models: Mapping[str, type[EventData]],
    base: RoutingTable = DEFAULT_ROUTES,
) -> RoutingTable:
    """Return ``base`` with the routes of the event types ``config`` names replaced; raise on any problem."""
    table = dict(base)
    problems: list[str] = []
    for event_type, raws in config.items():
        routes = []
        for n, raw in enumerate(raws):
            try:
                routes.append(_route(raw))
            except (KeyError, ValueError, TypeError) as exc:
                problems.append(f"{event_type}[{n}]: {type(exc).__name__}: {exc}")
        table[event_type] = tuple(routes)
    frozen = freeze(table)
    problems.extend(check_table(frozen, models))
    if problems:
        raise RoutesError(problems)
    return frozen
