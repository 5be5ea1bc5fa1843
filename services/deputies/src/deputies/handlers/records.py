"""Township work records: highlight work per year, manuscripts submitted and published."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from deputies import events
from deputies.adapters.repository import Repository
from deputies.domain.access import require_county_admin, require_read, require_write
from deputies.domain.errors import (
    NotFoundError,
    TransitionError,
    VersionConflictError,
    invalid,
)
from deputies.domain.model import (
    Highlight,
    HighlightState,
    Manuscript,
    ManuscriptState,
    OutletLevel,
    Placement,
)
from deputies.handlers.context import Caller, Services, new_id, record_creation
from kit import clock
from kit.audit import change_detail, snapshot


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
        same = await repo.same_highlight(highlight)
        if same is not None:
            raise TransitionError(f"the same highlight report is already recorded as {same}")
        await _within_rule(repo, cmd.township, cmd.year, adding=True)
        await repo.add_highlight(highlight)
        await record_creation(
            svc,
            uow,
            caller,
            events.highlight_reported(highlight, caller),
            resource_type="highlight",
            record_id=highlight.id,
            township=highlight.township,
        )
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
        await record_creation(
            svc,
            uow,
            caller,
            events.manuscript_submitted(manuscript, caller),
            resource_type="manuscript",
            record_id=manuscript.id,
            township=manuscript.township,
        )
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
        svc.audit.add(
            uow,
            actor=caller.principal,
            action="publish",
            resource_type="manuscript",
            resource_id=manuscript.id,
            township=manuscript.township,
        )
        uow.stage(events.manuscript_published(manuscript, caller))
        await uow.commit()
    return manuscript


async def _highlight(
    repo: Repository, caller: Caller, highlight_id: str, version: int
) -> Highlight:
    highlight = await repo.highlight(highlight_id)
    if highlight is None:
        raise NotFoundError(f"highlight {highlight_id}")
    require_write(caller.viewer, highlight.township)
    if highlight.state is HighlightState.withdrawn:
        raise TransitionError("the highlight report is withdrawn", state=highlight.state.value)
    if highlight.version != version:
        raise VersionConflictError(f"highlight is at version {highlight.version}")
    return highlight


async def correct_highlight(
    svc: Services,
    caller: Caller,
    highlight_id: str,
    expected_version: int,
    changes: dict[str, Any],
    reason: str,
) -> Highlight:
    """Correct a highlight report's year, title or summary, with a reason."""
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        highlight = await _highlight(repo, caller, highlight_id, expected_version)
        changed = sorted(
            n for n, v in changes.items() if v is not None and getattr(highlight, n) != v
        )
        if not changed:
            return highlight
        before = snapshot(highlight, changed)
        for name in changed:
            setattr(highlight, name, changes[name])
        if "year" in changed:
            await _within_rule(repo, highlight.township, highlight.year)
        highlight.version += 1
        await repo.save_highlight(highlight, expected_version=expected_version)
        await _audit(
            svc,
            uow,
            caller,
            "highlight",
            highlight.id,
            highlight.township,
            "correct",
            change_detail(before, snapshot(highlight, changed), reason=reason),
        )
        uow.stage(events.highlight_corrected(highlight, reason, caller))
        await uow.commit()
    return highlight


async def withdraw_highlight(
    svc: Services, caller: Caller, highlight_id: str, expected_version: int, reason: str
) -> Highlight:
    """Withdraw a highlight report: it no longer counts."""
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        highlight = await _highlight(repo, caller, highlight_id, expected_version)
        highlight.state = HighlightState.withdrawn
        highlight.version += 1
        await repo.save_highlight(highlight, expected_version=expected_version)
        await _audit(
            svc,
            uow,
            caller,
            "highlight",
            highlight.id,
            highlight.township,
            "withdraw",
            {"reason": reason},
        )
        uow.stage(events.highlight_withdrawn(highlight, reason, caller))
        await uow.commit()
    return highlight


async def _manuscript(
    repo: Repository, caller: Caller, manuscript_id: str, version: int
) -> Manuscript:
    manuscript = await repo.manuscript(manuscript_id)
    if manuscript is None:
        raise NotFoundError(f"manuscript {manuscript_id}")
    require_write(caller.viewer, manuscript.township)
    if manuscript.state is ManuscriptState.withdrawn:
        raise TransitionError("the manuscript is withdrawn", state=manuscript.state.value)
    if manuscript.version != version:
        raise VersionConflictError(f"manuscript is at version {manuscript.version}")
    return manuscript


#: Fields only a published manuscript has.
PUBLICATION = frozenset({"outlet_level", "placement", "published_on", "evidence_url"})


async def correct_manuscript(
    svc: Services,
    caller: Caller,
    manuscript_id: str,
    expected_version: int,
    changes: dict[str, Any],
    reason: str,
) -> Manuscript:
    """Correct a manuscript's record (e.g. a wrong outlet level), with a reason."""
    today = clock.today(svc.clock())
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        manuscript = await _manuscript(repo, caller, manuscript_id, expected_version)
        changed = sorted(
            n for n, v in changes.items() if v is not None and getattr(manuscript, n) != v
        )
        if not changed:
            return manuscript
        if manuscript.state is not ManuscriptState.published and PUBLICATION & set(changed):
            raise invalid("published_on", "publish the manuscript first; it has no publication")
        before = snapshot(manuscript, changed)
        for name in changed:
            setattr(manuscript, name, changes[name])
        if manuscript.submitted_on > today:
            raise invalid("submitted_on", "a manuscript cannot be submitted on a day still to come")
        if manuscript.published_on is not None and not (
            manuscript.submitted_on <= manuscript.published_on <= today
        ):
            raise invalid("published_on", "must lie between the submission and today")
        manuscript.version += 1
        await repo.save_manuscript(manuscript, expected_version=expected_version)
        await _audit(
            svc,
            uow,
            caller,
            "manuscript",
            manuscript.id,
            manuscript.township,
            "correct",
            change_detail(before, snapshot(manuscript, changed), reason=reason),
        )
        uow.stage(events.manuscript_corrected(manuscript, changed, reason, caller))
        await uow.commit()
    return manuscript


async def withdraw_manuscript(
    svc: Services, caller: Caller, manuscript_id: str, expected_version: int, reason: str
) -> Manuscript:
    """Withdraw a manuscript (and its publication): it no longer counts."""
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        manuscript = await _manuscript(repo, caller, manuscript_id, expected_version)
        was_published = manuscript.state is ManuscriptState.published
        manuscript.state = ManuscriptState.withdrawn
        manuscript.version += 1
        await repo.save_manuscript(manuscript, expected_version=expected_version)
        await _audit(
            svc,
            uow,
            caller,
            "manuscript",
            manuscript.id,
            manuscript.township,
            "withdraw",
            {"reason": reason},
        )
        uow.stage(events.manuscript_withdrawn(manuscript, was_published, reason, caller))
        await uow.commit()
    return manuscript


async def set_highlight_rule(
    svc: Services, caller: Caller, township: str, year: int, max_highlights: int
) -> None:
    """Set how many highlight reports a township may have standing in a year (county_admin)."""
    require_county_admin(caller.viewer, township)
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        if await repo.township(township) is None:
            raise NotFoundError(f"township {township}")
        await repo.put_highlight_rule(township, year, max_highlights)
        await _audit(
            svc,
            uow,
            caller,
            "highlight_rule",
            f"{township}:{year}",
            township,
            "configure",
            {"max_highlights": str(max_highlights)},
        )
        await uow.commit()


async def read_highlight_rule(
    svc: Services, caller: Caller, township: str, year: int
) -> int | None:
    """Return how many highlight reports a township may have in a year (None: no limit)."""
    require_read(caller.viewer, township)
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        if await repo.township(township) is None:
            raise NotFoundError(f"township {township}")
        return await repo.highlight_rule(township, year)


async def _within_rule(repo: Repository, township: str, year: int, *, adding: bool = False) -> None:
    limit = await repo.highlight_rule(township, year)
    if limit is None:
        return
    standing = await repo.standing_highlights(township, year)
    if standing + (1 if adding else 0) > limit:
        raise TransitionError(
            f"the rule for {township} in {year} allows {limit} highlight report(s); withdraw one first"
        )


async def _audit(
    svc: Services,
    uow: Any,
    caller: Caller,
    kind: str,
    record_id: str,
    township: str,
    action: str,
    detail: dict[str, Any],
) -> None:
    svc.audit.add(
        uow,
        actor=caller.principal,
        action=action,
        resource_type=kind,
        resource_id=record_id,
        township=township,
        detail=detail,
    )
