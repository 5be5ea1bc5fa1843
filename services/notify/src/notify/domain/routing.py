"""Routing: which recipients an event is for, when, and with which template (pure).

A route names an audience declaratively (the units in a field, the deputies in a field, or the
holders of an office, for the event's township or the one a field names); a field may be a dotted
path into a part (``measure.owner_unit_id``). The directory turns the audience into recipients. A named recipient the directory does
not know, or an office nobody holds, comes back as ``Unresolved``: a visible failure, never a drop.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from contracts.common import EventData
from contracts.vocabulary import RecipientKind
from notify.domain.directory import Directory, Office, SubjectKind
from notify.domain.model import Recipient, RecipientRef, Timing


class Audience(StrEnum):
    """Who a route is for: ids found in an event field, or an office for the event's township."""

    units = "units"  # handling units named in ``field`` (ids, or parts with unit_id and role)
    deputies = "deputies"  # deputies named in ``field``
    township_staff = Office.township_staff.value
    township_chair = Office.township_chair.value
    county_committee = Office.county_committee.value
    county_staff = Office.county_staff.value
    vice_chair = Office.vice_chair.value
    lead_unit = "lead_unit"  # the case's lead unit (主办), from notify's case projection
    case_deputies = "case_deputies"  # the deputies behind the case, from the projection
    measure_owner = "measure_owner"  # the owner unit of the measure named in ``field``

    @property
    def names_ids(self) -> bool:
        """Tell whether the audience is read from an event field (else an office)."""
        return self in (Audience.units, Audience.deputies, Audience.measure_owner)

    @property
    def projected(self) -> bool:
        """Tell whether the audience comes from the case projection (the event names nobody)."""
        return self in (Audience.lead_unit, Audience.case_deputies, Audience.measure_owner)


@dataclass(frozen=True, slots=True)
class Condition:
    """A route applies when ``field`` is (or, negated, is not) one of ``values``."""

    field: str
    values: frozenset[str]
    negate: bool = False

    def holds(self, data: EventData) -> bool:
        """Tell whether the event satisfies the condition."""
        return (str(getattr(data, self.field)) in self.values) != self.negate


@dataclass(frozen=True, slots=True)
class Route:
    """One rule: an audience, a template, when it may go, and whether it is urgent or throttled.

    ``lead`` with ``lead_field`` holds the notice until ``lead`` before that instant (a
    reception-day notice three days ahead); ``throttle`` marks repeated reminders. For an office
    audience, ``field`` (optional) names the township whose office hears, instead of the event's.
    """

    audience: Audience
    template: str
    timing: Timing = Timing.now
    field: str | None = None
    role: str | None = None
    conditions: tuple[Condition, ...] = ()
    urgent: bool = False
    lead: timedelta | None = None
    lead_field: str | None = None
    throttle: bool = False

    def applies(self, data: EventData) -> bool:
        """Tell whether every condition of the route holds for the event."""
        return all(c.holds(data) for c in self.conditions)


@dataclass(frozen=True, slots=True)
class Event:
    """An event as notify reads it: envelope id, type and time, and the validated payload."""

    id: UUID
    type: str
    time: datetime
    data: EventData


@dataclass(frozen=True, slots=True)
class Notice:
    """One recipient to tell about one event, with the route's template and timing."""

    event: Event
    recipient: Recipient
    template: str
    timing: Timing
    urgent: bool = False
    not_before: datetime | None = None
    throttle_key: str | None = None


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A recipient the routing named but the directory cannot reach: a visible failure."""

    event: Event
    template: str
    recipient: RecipientRef | None
    reason: str


@dataclass(frozen=True, slots=True)
class Routed:
    """The notices of one event, and what could not be resolved."""

    notices: tuple[Notice, ...] = ()
    unresolved: tuple[Unresolved, ...] = ()


RoutingTable = Mapping[str, tuple[Route, ...]]


def _get(data: Any, path: str) -> Any:
    for name in path.split("."):
        data = getattr(data, name)
    return data


def _has_field(model: type[BaseModel], path: str) -> bool:
    head, _, rest = path.partition(".")
    info = model.model_fields.get(head)
    if info is None:
        return False
    if not rest:
        return True
    inner = info.annotation
    return isinstance(inner, type) and issubclass(inner, BaseModel) and _has_field(inner, rest)


def _named_ids(value: Any, role: str | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    ids: list[str] = []
    for item in value:
        if isinstance(item, str):
            ids.append(item)
        elif role is None or str(getattr(item, "role", "")) == role:
            ids.append(str(item.unit_id))
    return ids


def _projected(
    route: Route, event: Event, directory: Directory
) -> tuple[list[Recipient], list[Unresolved]]:
    data = event.data
    if route.audience is Audience.measure_owner:
        assert route.field is not None  # checked when the table is built
        subject = directory.subject(SubjectKind.measure, str(_get(data, route.field)))
        unit_ids = [subject.lead_unit_id] if subject and subject.lead_unit_id else []
        deputy_ids: list[str] = []
    else:
        subject = directory.subject(SubjectKind.case, data.event_subject())
        unit_ids = [subject.lead_unit_id] if subject and subject.lead_unit_id else []
        deputy_ids = list(subject.deputy_ids) if subject else []
    if subject is None:
        reason = f"{route.audience.value}: the case projection does not know {data.event_subject()}"
        return [], [Unresolved(event, route.template, None, reason[:200])]
    wanted = deputy_ids if route.audience is Audience.case_deputies else unit_ids
    if not wanted and route.audience is not Audience.case_deputies:
        reason = f"{route.audience.value}: {subject.id} has no unit yet"
        return [], [Unresolved(event, route.template, None, reason[:200])]
    unit = route.audience is not Audience.case_deputies
    kind = RecipientKind.handling_unit if unit else RecipientKind.deputy
    found: list[Recipient] = []
    missing: list[Unresolved] = []
    for rid in dict.fromkeys(wanted):
        recipient = directory.unit(rid) if unit else directory.deputy(rid)
        if recipient is None:
            ref = RecipientRef(kind, rid)
            missing.append(Unresolved(event, route.template, ref, "not in the directory"))
        else:
            found.append(recipient)
    return found, missing


def _audience(
    route: Route, event: Event, directory: Directory
) -> tuple[list[Recipient], list[Unresolved]]:
    found: list[Recipient] = []
    missing: list[Unresolved] = []
    data = event.data
    if route.audience.projected:
        return _projected(route, event, directory)
    if route.audience.names_ids:
        assert route.field is not None  # checked when the table is built
        unit = route.audience is Audience.units
        kind = RecipientKind.handling_unit if unit else RecipientKind.deputy
        for rid in dict.fromkeys(_named_ids(_get(data, route.field), route.role)):
            recipient = directory.unit(rid) if unit else directory.deputy(rid)
            if recipient is None:
                ref = RecipientRef(kind, rid)
                missing.append(Unresolved(event, route.template, ref, "not in the directory"))
            else:
                found.append(recipient)
        return found, missing
    township = str(_get(data, route.field)) if route.field else data.event_township()
    holders = list(directory.holders(Office(route.audience.value), township))
    if not holders:
        reason = f"no {route.audience.value} for {township}"
        missing.append(Unresolved(event, route.template, None, reason))
    return holders, missing


def concerns(event_type: str, data: EventData, table: RoutingTable) -> bool:
    """Tell whether any route of the event's type applies to it (else it reaches nobody)."""
    return any(route.applies(data) for route in table.get(event_type, ()))


def reads_projection(event_type: str, table: RoutingTable) -> bool:
    """Tell whether routing the type asks the case projection who hears (its state matters)."""
    return any(route.audience.projected for route in table.get(event_type, ()))


def route_event(event: Event, table: RoutingTable, directory: Directory) -> Routed:
    """Return who must hear about an event; a recipient named twice hears once (the first route)."""
    notices: dict[RecipientRef, Notice] = {}
    unresolved: list[Unresolved] = []
    for route in table.get(event.type, ()):
        if not route.applies(event.data):
            continue
        recipients, missing = _audience(route, event, directory)
        unresolved.extend(missing)
        not_before = None
        if route.lead is not None and route.lead_field is not None:
            not_before = _get(event.data, route.lead_field) - route.lead
        for recipient in recipients:
            if recipient.ref in notices:
                continue
            throttle = f"{route.template}:{event.data.event_subject()}" if route.throttle else None
            notices[recipient.ref] = Notice(
                event, recipient, route.template, route.timing, route.urgent, not_before, throttle
            )
    return Routed(tuple(notices.values()), tuple(unresolved))


def check_table(table: RoutingTable, models: Mapping[str, type[EventData]]) -> list[str]:
    """Return the problems of a routing table against the event catalog (empty when sound)."""
    problems: list[str] = []
    for event_type, routes in table.items():
        model = models.get(event_type)
        if model is None:
            problems.append(f"{event_type}: not an event type of the catalog")
            continue
        fields = model.model_fields
        for n, route in enumerate(routes):
            where = f"{event_type}[{n}]"
            named = route.field is not None or route.audience.names_ids
            if named and (route.field is None or not _has_field(model, route.field)):
                problems.append(
                    f"{where}.field: {route.field!r} is not a field of {model.__name__}"
                )
            for cond in route.conditions:
                if cond.field not in fields:
                    problems.append(f"{where}.conditions: no field {cond.field!r}")
            if (route.lead is None) != (route.lead_field is None):
                problems.append(f"{where}.lead: lead and lead_field go together")
            elif route.lead_field is not None and route.lead_field not in fields:
                problems.append(f"{where}.lead_field: no field {route.lead_field!r}")
    return problems


def freeze(table: Mapping[str, Iterable[Route]]) -> RoutingTable:
    """Return a read-only copy of a routing table."""
    return MappingProxyType({k: tuple(v) for k, v in table.items()})


def templates_of(table: RoutingTable) -> Sequence[str]:
    """Return every template key a table uses, sorted, each once."""
    return sorted({route.template for routes in table.values() for route in routes})


def when(field_name: str, *values: str) -> Condition:
    """Return a condition: ``field_name`` is one of ``values``."""
    return Condition(field_name, frozenset(values))


def unless(field_name: str, *values: str) -> Condition:
    """Return a condition: ``field_name`` is none of ``values``."""
    return Condition(field_name, frozenset(values), negate=True)
