"""Township work records: highlight work per year, manuscripts submitted and published."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from deputies import events
from deputies.domain.access import require_write
from deputies.domain.errors import (
    NotFoundError,
    TransitionError,
    VersionConflictError,
    invalid,
)
from deputies.domain.model import (
    Highlight,
    Manuscript,
    ManuscriptState,
    OutletLevel,
    Placement,
)
from deputies.handlers.context import Caller, Services, new_id, remember_creation
from kit import clock


@dataclass(frozen=True)
class ReportHighlight:
    """A township reports its highlight work (特色亮点) of a year."""

    township: str
    year: int
    title: str
    summary: str


async def report_highlight(svc: Services, caller: Caller, cmd: ReportHighlight) -> Highlight:
    """Record a highlight report."""
    require_write(caller.viewer, cmd.township)
    highlight = Highlight(
        id=new_id(), township=cmd.township, year=cmd.year, title=cmd.title, summary=cmd.summary
    )
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        if await repo.township(cmd.township) is None:
            raise invalid("township", f"unknown township {cmd.township}", "unknown")
        await repo.add_highlight(highlight)
        await svc.audit.record(
            uow.session,
            actor=caller.principal,
            action="create",
            resource_type="highlight",
            resource_id=highlight.id,
            township=highlight.township,
        )
        uow.stage(events.highlight_reported(highlight, caller))
        await remember_creation(svc, uow, caller, highlight.id)
        await uow.commit()
    return highlight


@dataclass(frozen=True)
class SubmitManuscript:
    """A township submits a manuscript (稿件) to an outlet."""

    township: str
    title: str
    author: str
    submitted_on: date
    outlet: str | None = None


async def submit_manuscript(svc: Services, caller: Caller, cmd: SubmitManuscript) -> Manuscript:
    """Record a submitted manuscript (not on a day still to come)."""
    require_write(caller.viewer, cmd.township)
    if cmd.submitted_on > clock.today(svc.clock()):
        raise invalid("submitted_on", "a manuscript cannot be submitted on a day still to come")
    manuscript = Manuscript(
        id=new_id(),
        township=cmd.township,
        title=cmd.title,
        author=cmd.author,
        submitted_on=cmd.submitted_on,
        outlet=cmd.outlet,
    )
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        if await repo.township(cmd.township) is None:
            raise invalid("township", f"unknown township {cmd.township}", "unknown")
        await repo.save_manuscript(manuscript, expected_version=None)
        await svc.audit.record(
            uow.session,
            actor=caller.principal,
            action="create",
            resource_type="manuscript",
            resource_id=manuscript.id,
            township=manuscript.township,
        )
        uow.stage(events.manuscript_submitted(manuscript, caller))
        await remember_creation(svc, uow, caller, manuscript.id)
        await uow.commit()
    return manuscript


@dataclass(frozen=True)
class PublishManuscript:
    """An outlet used (published) a manuscript; the evidence links to it."""

    manuscript_id: str
    outlet: str
    outlet_level: OutletLevel
    placement: Placement
    published_on: date
    evidence_url: str
    expected_version: int | None = None


async def publish_manuscript(svc: Services, caller: Caller, cmd: PublishManuscript) -> Manuscript:
    """Mark a submitted manuscript as published, once."""
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        manuscript = await repo.manuscript(cmd.manuscript_id)
        if manuscript is None:
            raise NotFoundError(f"manuscript {cmd.manuscript_id}")
        require_write(caller.viewer, manuscript.township)
        if manuscript.state is ManuscriptState.published:
            raise TransitionError("the manuscript is already published")
        if cmd.expected_version is not None and cmd.expected_version != manuscript.version:
            raise VersionConflictError(f"manuscript is at version {manuscript.version}")
        if cmd.published_on < manuscript.submitted_on:
            raise invalid("published_on", "must not precede the submission date")
        if cmd.published_on > clock.today(svc.clock()):
            raise invalid("published_on", "a day still to come")
        before = manuscript.version
        manuscript.state = ManuscriptState.published
        manuscript.outlet = cmd.outlet
        manuscript.outlet_level = cmd.outlet_level
        manuscript.placement = cmd.placement
        manuscript.published_on = cmd.published_on
        manuscript.evidence_url = cmd.evidence_url
        manuscript.version += 1
        await repo.save_manuscript(manuscript, expected_version=before)
        await svc.audit.record(
            uow.session,
            actor=caller.principal,
            action="publish",
            resource_type="manuscript",
            resource_id=manuscript.id,
            township=manuscript.township,
        )
        uow.stage(events.manuscript_published(manuscript, caller))
        await uow.commit()
    return manuscript
