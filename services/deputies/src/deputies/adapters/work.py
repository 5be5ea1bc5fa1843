"""Activities with attendance, highlights and manuscripts, in the caller's session."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Row, func, select, update

from deputies.adapters.rows import levels_of
from deputies.adapters.store import Store, now
from deputies.domain.model import (
    Activity,
    ActivityState,
    ActivityType,
    Attendance,
    Highlight,
    HighlightState,
    Level,
    Manuscript,
    ManuscriptState,
    OutletLevel,
    Placement,
)
from deputies.domain.rules import AbsenceKey, Flag


class WorkStore(Store):
    """The township work record: activities with attendance, highlights, manuscripts."""

    # activities
    async def activity(self, activity_id: str) -> Activity | None:
        """Return an activity with its attendance."""
        row = (
            await self._run(select(self.t.activities).where(self.t.activities.c.id == activity_id))
        ).one_or_none()
        if row is None:
            return None
        marks = await self._run(
            select(self.t.attendance.c.deputy_id, self.t.attendance.c.mark).where(
                self.t.attendance.c.activity_id == activity_id
            )
        )
        townships = await self.session.scalars(
            select(self.t.activity_townships.c.township).where(
                self.t.activity_townships.c.activity_id == activity_id
            )
        )
        found = self._activity(row, {d: Attendance(m) for d, m in marks})
        found.participants = frozenset(townships)
        return found

    async def same_activity(self, activity: Activity) -> str | None:
        """Return the id of a logged activity identical to this one (a double post), if any."""
        a = self.t.activities
        return await self.session.scalar(
            select(a.c.id)
            .where(
                a.c.township == activity.township,
                a.c.type == activity.type.value,
                a.c.title == activity.title,
                a.c.held_on == activity.held_on,
                a.c.level_county == (Level.county in activity.levels),
                a.c.level_township == (Level.township in activity.levels),
                a.c.state == ActivityState.logged.value,
            )
            .limit(1)
        )

    async def put_mark(self, activity: Activity, deputy: Any, mark: Attendance) -> int:
        """Insert or replace one deputy's mark, add their township; return the new version."""
        at, a = self.t.attendance, self.t.activities
        await self._run(
            at.delete().where(at.c.activity_id == activity.id, at.c.deputy_id == deputy.id)
        )
        await self._run(
            at.insert().values(activity_id=activity.id, deputy_id=deputy.id, mark=mark.value)
        )
        if deputy.township not in activity.participants:
            await self._run(
                self.t.activity_townships.insert().values(
                    activity_id=activity.id, township=deputy.township
                )
            )
            activity.participants = activity.participants | {deputy.township}
        version = await self._scalar(
            update(a)
            .where(a.c.id == activity.id)
            .values(version=a.c.version + 1, updated_at=now())
            .returning(a.c.version)
        )
        return int(version or 0)

    async def drop_mark(self, activity: Activity, deputy_id: str) -> int:
        """Delete one deputy's mark; return the activity's new version."""
        at, a = self.t.attendance, self.t.activities
        await self._run(
            at.delete().where(at.c.activity_id == activity.id, at.c.deputy_id == deputy_id)
        )
        version = await self._scalar(
            update(a)
            .where(a.c.id == activity.id)
            .values(version=a.c.version + 1, updated_at=now())
            .returning(a.c.version)
        )
        return int(version or 0)

    @staticmethod
    def _activity(row: Row[Any], attendance: dict[str, Attendance]) -> Activity:
        m = row._mapping
        return Activity(
            id=m["id"],
            township=m["township"],
            type=ActivityType(m["type"]),
            title=m["title"],
            levels=levels_of(m["level_county"], m["level_township"]),
            held_on=m["held_on"],
            duration_hours=m["duration_hours"],
            station_id=m["station_id"],
            attendance=attendance,
            state=ActivityState(m["state"]),
            version=m["version"],
        )

    async def save_activity(
        self, activity: Activity, *, expected_version: int | None, marks: bool = True
    ) -> None:
        """Insert an activity with its attendance, or update its details at a version.

        An update never touches the attendance (``marks`` is for the insert only); new
        participating townships are added, none removed.
        """
        values = {
            "township": activity.township,
            "type": activity.type.value,
            "title": activity.title,
            "level_county": Level.county in activity.levels,
            "level_township": Level.township in activity.levels,
            "held_on": activity.held_on,
            "duration_hours": activity.duration_hours,
            "station_id": activity.station_id,
            "state": activity.state.value,
            "version": activity.version,
            "updated_at": now(),
        }
        if expected_version is None:
            await self._run(
                self.t.activities.insert().values(id=activity.id, created_at=now(), **values)
            )
        else:
            await self._update_versioned(self.t.activities, activity.id, expected_version, values)
        known = set(
            await self.session.scalars(
                select(self.t.activity_townships.c.township).where(
                    self.t.activity_townships.c.activity_id == activity.id
                )
            )
        )
        added = sorted(activity.townships - known)
        if added:
            await self._run(
                self.t.activity_townships.insert(),
                [{"activity_id": activity.id, "township": code} for code in added],
            )
        if marks and expected_version is None and activity.attendance:
            await self._run(
                self.t.attendance.insert(),
                [
                    {"activity_id": activity.id, "deputy_id": d, "mark": m.value}
                    for d, m in activity.attendance.items()
                ],
            )

    async def session_activities(self) -> list[Activity]:
        """Return every logged congress session with unexcused absences, with attendance."""
        a, at = self.t.activities, self.t.attendance
        rows = (
            await self._run(
                select(a).where(
                    a.c.type == ActivityType.congress_session.value,
                    a.c.state == ActivityState.logged.value,
                )
            )
        ).all()
        if not rows:
            return []
        marks = await self._run(
            select(at.c.activity_id, at.c.deputy_id, at.c.mark).where(
                at.c.activity_id.in_([r.id for r in rows]),
                at.c.mark == Attendance.unexcused_absence.value,
            )
        )
        by_activity: dict[str, dict[str, Attendance]] = {}
        for activity_id, deputy_id, mark in marks:
            by_activity.setdefault(activity_id, {})[deputy_id] = Attendance(mark)
        return [self._activity(r, by_activity.get(r.id, {})) for r in rows]

    # termination flags
    async def standing_flags(self) -> dict[AbsenceKey, Flag]:
        """Return every termination flag raised and not withdrawn."""
        f = self.t.termination_flags
        rows = await self._run(select(f).where(f.c.state == "flagged"))
        return {
            AbsenceKey(r.deputy_id, Level(r.level), r.term): Flag(
                r.event_id, tuple(json.loads(r.session_ids))
            )
            for r in rows
        }

    async def raise_flag(self, key: AbsenceKey, event_id: str, session_ids: list[str]) -> bool:
        """Record a raised flag (new, or again after a withdrawal); False if it stands already."""
        f = self.t.termination_flags
        values = {
            "state": "flagged",
            "event_id": event_id,
            "session_ids": json.dumps(session_ids),
            "changed_at": now(),
        }
        where = (f.c.deputy_id == key.deputy_id, f.c.level == key.level.value, f.c.term == key.term)
        result = await self._run(update(f).where(*where, f.c.state == "withdrawn").values(**values))
        if result.rowcount == 1:
            return True
        if await self._scalar(select(f.c.state).where(*where)) is not None:
            return False
        await self._run(
            f.insert().values(
                deputy_id=key.deputy_id, level=key.level.value, term=key.term, **values
            )
        )
        return True

    async def withdraw_flag(self, key: AbsenceKey, event_id: str) -> bool:
        """Mark the flag raised by an event withdrawn; False if it is no longer standing."""
        f = self.t.termination_flags
        result = await self._run(
            update(f)
            .where(
                f.c.deputy_id == key.deputy_id,
                f.c.level == key.level.value,
                f.c.term == key.term,
                f.c.state == "flagged",
                f.c.event_id == event_id,
            )
            .values(state="withdrawn", changed_at=now())
        )
        return bool(result.rowcount == 1)

    # highlights and manuscripts
    async def add_highlight(self, highlight: Highlight) -> None:
        """Insert a highlight report."""
        await self._run(
            self.t.highlights.insert().values(
                id=highlight.id,
                township=highlight.township,
                year=highlight.year,
                title=highlight.title,
                summary=highlight.summary,
                state=highlight.state.value,
                version=highlight.version,
                created_at=now(),
            )
        )

    async def same_highlight(self, highlight: Highlight) -> str | None:
        """Return the id of a standing highlight report identical to this one, if any."""
        h = self.t.highlights
        return await self.session.scalar(
            select(h.c.id)
            .where(
                h.c.township == highlight.township,
                h.c.year == highlight.year,
                h.c.title == highlight.title,
                h.c.summary == highlight.summary,
                h.c.state == HighlightState.reported.value,
            )
            .limit(1)
        )

    async def highlight(self, highlight_id: str) -> Highlight | None:
        """Return a highlight report by id."""
        row = (
            await self._run(select(self.t.highlights).where(self.t.highlights.c.id == highlight_id))
        ).one_or_none()
        if row is None:
            return None
        m = row._mapping
        return Highlight(
            id=m["id"],
            township=m["township"],
            year=m["year"],
            title=m["title"],
            summary=m["summary"],
            state=HighlightState(m["state"]),
            version=m["version"],
        )

    async def save_highlight(self, highlight: Highlight, *, expected_version: int) -> None:
        """Update a highlight report at a version."""
        values = {
            "year": highlight.year,
            "title": highlight.title,
            "summary": highlight.summary,
            "state": highlight.state.value,
            "version": highlight.version,
        }
        await self._update_versioned(self.t.highlights, highlight.id, expected_version, values)

    async def standing_highlights(self, township: str, year: int) -> int:
        """Return how many highlight reports of a township and year stand (not withdrawn)."""
        h = self.t.highlights
        return int(
            await self._scalar(
                select(func.count()).where(
                    h.c.township == township,
                    h.c.year == year,
                    h.c.state == HighlightState.reported.value,
                )
            )
            or 0
        )

    async def highlight_rule(self, township: str, year: int) -> int | None:
        """Return how many highlight reports the township may have standing in a year, if set."""
        r = self.t.highlight_rules
        return await self.session.scalar(
            select(r.c.max_highlights).where(r.c.township == township, r.c.year == year)
        )

    async def put_highlight_rule(self, township: str, year: int, max_highlights: int) -> None:
        """Set (insert or replace) a township's highlight rule for a year."""
        r = self.t.highlight_rules
        await self._run(r.delete().where(r.c.township == township, r.c.year == year))
        await self._run(
            r.insert().values(
                township=township, year=year, max_highlights=max_highlights, updated_at=now()
            )
        )

    async def manuscript(self, manuscript_id: str) -> Manuscript | None:
        """Return a manuscript by id."""
        row = (
            await self._run(
                select(self.t.manuscripts).where(self.t.manuscripts.c.id == manuscript_id)
            )
        ).one_or_none()
        if row is None:
            return None
        m = row._mapping
        return Manuscript(
            id=m["id"],
            township=m["township"],
            title=m["title"],
            author=m["author"],
            submitted_on=m["submitted_on"],
            state=ManuscriptState(m["state"]),
            outlet=m["outlet"],
            outlet_level=OutletLevel(m["outlet_level"]) if m["outlet_level"] else None,
            placement=Placement(m["placement"]) if m["placement"] else None,
            published_on=m["published_on"],
            evidence_url=m["evidence_url"],
            version=m["version"],
        )

    async def save_manuscript(self, ms: Manuscript, *, expected_version: int | None) -> None:
        """Insert a manuscript or update it at a version."""
        values = {
            "township": ms.township,
            "title": ms.title,
            "author": ms.author,
            "submitted_on": ms.submitted_on,
            "state": ms.state.value,
            "outlet": ms.outlet,
            "outlet_level": ms.outlet_level.value if ms.outlet_level else None,
            "placement": ms.placement.value if ms.placement else None,
            "published_on": ms.published_on,
            "evidence_url": ms.evidence_url,
            "version": ms.version,
        }
        if expected_version is None:
            await self._run(
                self.t.manuscripts.insert().values(id=ms.id, created_at=now(), **values)
            )
            return
        await self._update_versioned(self.t.manuscripts, ms.id, expected_version, values)
