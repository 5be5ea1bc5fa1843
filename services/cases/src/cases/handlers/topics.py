"""Supervision topics (监督议题): open, add measures, follow up, report, vote, close."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import insert, select, update

from cases.adapters.codec import from_doc, to_doc
from cases.domain import topics as domain
from cases.domain.access import OVERSIGHT, require_staff
from cases.domain.errors import (
    FieldError,
    ForbiddenError,
    InputError,
    NotFoundError,
    VersionConflictError,
)
from cases.domain.topics import Measure, Topic, Vote
from cases.handlers.context import Caller, Services, new_id, remember_creation, replayed
from contracts import cases as ev
from contracts.common import EventData
from contracts.envelope import Envelope
from contracts.vocabulary import TopicOrigin
from kit.db.ranges import within
from kit.events import event
from kit.principal import Principal, Role
from kit.uow import UnitOfWork

SOURCE = "/services/cases"


@dataclass(frozen=True)
class MeasureDraft:
    """A rectification measure as given: what, by which unit, by when, how much it weighs."""

    description: str
    owner_unit_id: str
    due_on: date
    weight: int = 1


@dataclass(frozen=True)
class TopicDraft:
    """A supervision topic as opened."""

    township: str
    title: str
    origin: TopicOrigin
    year: int
    case_ids: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    measures: tuple[MeasureDraft, ...] = ()


def can_read(principal: Principal, topic: Topic) -> bool:
    """Tell whether the caller may see a topic: staff, oversight and deputies of its scope, and
    the units that own one of its measures."""
    if principal.has(*OVERSIGHT, Role.township_staff, Role.deputy):
        return principal.covers(topic.township)
    return bool(principal.has(Role.handling_unit) and principal.unit_id in topic.owners())


def require_owner_or_staff(principal: Principal, topic: Topic, measure_id: str | None) -> None:
    """Let staff log any follow-up, and an owner unit log one on its own measure."""
    if principal.has(Role.handling_unit) and not principal.has(*OVERSIGHT, Role.township_staff):
        if measure_id is None or topic.measure(measure_id).owner_unit_id != principal.unit_id:
            raise ForbiddenError("a unit logs follow-ups on its own measures only")
        return
    require_staff(principal, topic.township)


def _measure(draft: MeasureDraft) -> Measure:
    return Measure(
        measure_id=new_id(),
        description=draft.description,
        owner_unit_id=draft.owner_unit_id,
        due_on=draft.due_on,
        weight=draft.weight,
    )


async def _check_refs(
    svc: Services, uow: UnitOfWork, township: str, units: Sequence[str], cases: Sequence[str]
) -> None:
    errors: list[FieldError] = []
    known = await svc.store(uow).units(units)
    for i, unit_id in enumerate(units):
        if unit_id not in known:
            errors.append(
                FieldError(("measures", i, "owner_unit_id"), f"unknown unit {unit_id}", "unknown")
            )
    if cases:
        c = svc.tables.cases.c
        rows = await uow.session.execute(select(c.case_id, c.township).where(c.case_id.in_(cases)))
        found = dict(rows.tuples().all())
        for i, case_id in enumerate(cases):
            if found.get(case_id) != township:
                errors.append(
                    FieldError(("case_ids", i), f"no case {case_id} in {township}", "unknown")
                )
    if errors:
        raise InputError(errors)


def _contract_measure(m: Measure) -> ev.Measure:
    return ev.Measure(
        measure_id=m.measure_id,
        description=m.description,
        owner_unit_id=m.owner_unit_id,
        due_on=m.due_on,
    )


def _contract_measures(topic: Topic) -> tuple[ev.Measure, ...]:
    return tuple(_contract_measure(m) for m in topic.active)


def _topic_event(kind: type[EventData], topic: Topic, **data: Any) -> Envelope[Any]:
    return event(kind(topic_id=topic.topic_id, township=topic.township, **data), source=SOURCE)


def _opened(topic: Topic) -> Envelope[Any]:
    return event(
        ev.SupervisionTopicOpened(
            topic_id=topic.topic_id,
            township=topic.township,
            title=topic.title,
            origin=topic.origin,
            year=topic.year,
            case_ids=topic.case_ids,
            problems=topic.problems,
            measures=_contract_measures(topic),
            opened_on=topic.opened_on,
        ),
        source=SOURCE,
    )


async def open_topic(svc: Services, caller: Caller, draft: TopicDraft) -> str:
    """Open a topic from the annual plan or from a cluster of cases; return its id."""
    require_staff(caller.principal, draft.township)
    earlier = await replayed(svc, caller)
    if earlier is not None:
        return earlier
    topic = domain.open_topic(
        topic_id=new_id(),
        township=draft.township,
        title=draft.title,
        origin=draft.origin,
        year=draft.year,
        opened_on=svc.today(),
        case_ids=draft.case_ids,
        problems=draft.problems,
        measures=[_measure(m) for m in draft.measures],
    )
    async with svc.uow() as uow:
        units = [m.owner_unit_id for m in draft.measures]
        await _check_refs(svc, uow, draft.township, units, draft.case_ids)
        t = svc.tables.topics
        await uow.session.execute(insert(t).values(**_row(topic), updated_at=svc.clock()))
        await _audit(svc, uow, caller, topic, "open_topic")
        uow.stage(_opened(topic))
        await remember_creation(svc, uow, caller, topic.topic_id)
        await uow.commit()
    return topic.topic_id


def _row(topic: Topic) -> dict[str, Any]:
    return {
        "topic_id": topic.topic_id,
        "township": topic.township,
        "year": topic.year,
        "state": topic.state.value,
        "title": topic.title,
        "doc": to_doc(topic),
        "version": topic.version,
    }


async def load_topic(svc: Services, uow: UnitOfWork, topic_id: str) -> Topic:
    """Return a topic or raise ``NotFoundError``."""
    t = svc.tables.topics
    doc = await uow.session.scalar(select(t.c.doc).where(t.c.topic_id == topic_id))
    if doc is None:
        raise NotFoundError(f"topic {topic_id}")
    return from_doc(Topic, doc)


TopicStep = Callable[[Topic], list[Envelope[Any]]]


async def _step(
    svc: Services,
    caller: Caller,
    topic_id: str,
    version: int,
    action: str,
    decide: TopicStep,
    authorise: Callable[[Topic], None] | None = None,
) -> Topic:
    async with svc.uow() as uow:
        topic = await load_topic(svc, uow, topic_id)
        if not can_read(caller.principal, topic):
            raise ForbiddenError(f"topic {topic_id} is not yours to see")
        if authorise is None:
            require_staff(caller.principal, topic.township)
        else:
            authorise(topic)
        if topic.version != version:
            raise VersionConflictError(f"topic is at version {topic.version}; read it again")
        staged = decide(topic)
        t = svc.tables.topics
        done = await uow.session.execute(
            update(t)
            .where(t.c.topic_id == topic_id, t.c.version == version)
            .values(**_row(topic), updated_at=svc.clock())
        )
        if getattr(done, "rowcount", 0) != 1:
            raise VersionConflictError("the topic changed meanwhile; read it again")
        await _audit(svc, uow, caller, topic, action)
        uow.stage(*staged)
        await uow.commit()
    return topic


async def add_measure(
    svc: Services, caller: Caller, topic_id: str, version: int, draft: MeasureDraft
) -> Topic:
    """Add a rectification measure to an open topic."""
    async with svc.uow() as uow:
        known = await svc.store(uow).units([draft.owner_unit_id])

    def decide(topic: Topic) -> list[Envelope[Any]]:
        if draft.owner_unit_id not in known:  # after the caller was authorised (403 before 422)
            raise InputError(
                [FieldError(("owner_unit_id",), f"unknown unit {draft.owner_unit_id}", "unknown")]
            )
        measure = _measure(draft)
        domain.add_measure(topic, measure, on=svc.today())
        return [
            _topic_event(
                ev.SupervisionMeasureAdded,
                topic,
                measure=_contract_measure(measure),
                added_on=svc.today(),
            )
        ]

    return await _step(svc, caller, topic_id, version, "add_measure", decide)


async def withdraw_measure(
    svc: Services, caller: Caller, topic_id: str, version: int, measure_id: str, reason: str
) -> Topic:
    """Withdraw a mistaken measure with the reason; it stays on record and counts no more."""

    def decide(topic: Topic) -> list[Envelope[Any]]:
        measure = domain.withdraw_measure(
            topic, measure_id=measure_id, reason=reason, on=svc.today()
        )
        assert measure.withdrawn_reason is not None
        return [
            _topic_event(
                ev.SupervisionMeasureWithdrawn,
                topic,
                measure_id=measure.measure_id,
                reason=measure.withdrawn_reason,
                withdrawn_on=svc.today(),
            )
        ]

    return await _step(svc, caller, topic_id, version, "withdraw_measure", decide)


async def log_followup(
    svc: Services,
    caller: Caller,
    topic_id: str,
    version: int,
    *,
    note: str,
    measure_id: str | None,
    status: domain.MeasureStatus | None,
    progress: int | None,
) -> Topic:
    """Log what was found or done; a measure's status or progress may move with it."""

    def decide(topic: Topic) -> list[Envelope[Any]]:
        entry = domain.log_followup(
            topic,
            entry_id=new_id(),
            logged_on=svc.today(),
            by=caller.subject,
            note=note,
            measure_id=measure_id,
            status=status,
            progress=progress,
        )
        return [
            event(
                ev.SupervisionFollowupLogged(
                    topic_id=topic.topic_id,
                    township=topic.township,
                    entry_id=entry.entry_id,
                    measure_id=entry.measure_id,
                    logged_on=entry.logged_on,
                    progress_percent=entry.progress_percent,
                    note=entry.note,
                ),
                source=SOURCE,
            )
        ]

    return await _step(
        svc,
        caller,
        topic_id,
        version,
        "log_followup",
        decide,
        lambda topic: require_owner_or_staff(caller.principal, topic, measure_id),
    )


async def submit_report(
    svc: Services, caller: Caller, topic_id: str, version: int, text: str
) -> Topic:
    """Submit the rectification report for the satisfaction vote."""

    def decide(topic: Topic) -> list[Envelope[Any]]:
        report = domain.submit_report(topic, text=text, on=svc.today(), by=caller.subject)
        return [
            _topic_event(
                ev.SupervisionReportSubmitted,
                topic,
                report_version=report.version,
                submitted_on=report.submitted_on,
            )
        ]

    return await _step(svc, caller, topic_id, version, "submit_report", decide)


async def record_vote(
    svc: Services, caller: Caller, topic_id: str, version: int, vote: Vote
) -> Topic:
    """Record the satisfaction vote (满意度测评); a failing vote sends the report back."""

    def decide(topic: Topic) -> list[Envelope[Any]]:
        held = domain.record_vote(topic, vote, on=svc.today(), by=caller.subject)
        assert held.held_on is not None
        return [
            _topic_event(
                ev.SupervisionVoteRecorded,
                topic,
                report_version=max(held.report_version, 1),
                vote=ev.VoteCount(
                    satisfied=held.satisfied,
                    basically_satisfied=held.basically_satisfied,
                    unsatisfied=held.unsatisfied,
                ),
                passed=held.passes,
                held_on=held.held_on,
                recorded_by=caller.subject,
            )
        ]

    return await _step(svc, caller, topic_id, version, "record_vote", decide)


async def close_topic(svc: Services, caller: Caller, topic_id: str, version: int) -> Topic:
    """Close a topic whose report passed the vote."""

    def decide(topic: Topic) -> list[Envelope[Any]]:
        domain.close(topic, on=svc.today())
        last = topic.votes[-1] if topic.votes else None
        assert topic.closed_on is not None
        return [
            event(
                ev.SupervisionTopicClosed(
                    topic_id=topic.topic_id,
                    township=topic.township,
                    closed_on=topic.closed_on,
                    progress_percent=topic.progress,
                    rectified=topic.rectified,
                    vote=ev.VoteCount(
                        satisfied=last.satisfied,
                        basically_satisfied=last.basically_satisfied,
                        unsatisfied=last.unsatisfied,
                    )
                    if last
                    else None,
                ),
                source=SOURCE,
            )
        ]

    return await _step(svc, caller, topic_id, version, "close_topic", decide)


async def read_topic(svc: Services, caller: Caller, topic_id: str) -> Topic:
    """Return a topic the caller may see."""
    async with svc.uow() as uow:
        topic = await load_topic(svc, uow, topic_id)
    if not can_read(caller.principal, topic):
        raise ForbiddenError(f"topic {topic_id} is not yours to see")
    return topic


async def list_topics(
    svc: Services, caller: Caller, township: str | None, year: int | None
) -> list[Topic]:
    """Return the topics of the caller's scope (narrowed by township and year)."""
    p = caller.principal
    if not p.has(*OVERSIGHT, Role.township_staff, Role.deputy):
        raise ForbiddenError("your role reads no supervision topics")
    if township and not township.startswith(p.scope):
        raise ForbiddenError(f"{township} is outside your scope")
    t = svc.tables.topics
    query = select(t.c.doc).where(within(t.c.township, township or p.scope))
    if year is not None:
        query = query.where(t.c.year == year)
    async with svc.uow() as uow:
        rows = await uow.session.execute(query.order_by(t.c.year.desc(), t.c.title))
        return [from_doc(Topic, r.doc) for r in rows.all()]


async def _audit(svc: Services, uow: UnitOfWork, caller: Caller, topic: Topic, action: str) -> None:
    await svc.audit.record(
        uow.session,
        actor=caller.principal,
        action=action,
        resource_type="topic",
        resource_id=topic.topic_id,
        township=topic.township,
    )
