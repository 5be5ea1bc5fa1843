"""Activities with attendance, highlights and manuscripts, in the caller's session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select

from deputies.adapters.rows import levels_of
from deputies.adapters.store import Store, now
from deputies.domain.model import (
    Activity,
    ActivityState,
    ActivityType,
    Attendance,
    Highlight,
    Level,
    Manuscript,
    ManuscriptState,
    OutletLevel,
    Placement,
)


class WorkStore(Store):
    """The township work record: activities with attendance, highlights, manuscripts."""

    # activities
    async def activity(self, activity_id: str) -> Activity | None:
        """Return an activity with its attendance."""
        row = (
            await self.session.execute(
                select(self.t.activities).where(self.t.activities.c.id == activity_id)
            )
        ).one_or_none()
        if row is None:
            return None
        marks = await self.session.execute(
            select(self.t.attendance.c.deputy_id, self.t.attendance.c.mark).where(
                self.t.attendance.c.activity_id == activity_id
            )
        )
        return self._activity(row, {d: Attendance(m) for d, m in marks})

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

    async def save_activity(self, activity: Activity, *, expected_version: int | None) -> None:
        """Insert an activity or update it (and replace its attendance) at a version."""
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
            await self.session.execute(
                self.t.activities.insert().values(id=activity.id, created_at=now(), **values)
            )
        else:
            await self._update_versioned(self.t.activities, activity.id, expected_version, values)
            await self.session.execute(
                self.t.attendance.delete().where(self.t.attendance.c.activity_id == activity.id)
            )
        if activity.attendance:
            await self.session.execute(
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
            await self.session.execute(
                select(a).where(
                    a.c.type == ActivityType.congress_session.value,
                    a.c.state == ActivityState.logged.value,
                )
            )
        ).all()
        if not rows:
            return []
        marks = await self.session.execute(
            select(at.c.activity_id, at.c.deputy_id, at.c.mark).where(
                at.c.activity_id.in_([r.id for r in rows]),
                at.c.mark == Attendance.unexcused_absence.value,
            )
        )
        by_activity: dict[str, dict[str, Attendance]] = {}
        for activity_id, deputy_id, mark in marks:
            by_activity.setdefault(activity_id, {})[deputy_id] = Attendance(mark)
        return [self._activity(r, by_activity.get(r.id, {})) for r in rows]

    # highlights and manuscripts
    async def add_highlight(self, highlight: Highlight) -> None:
        """Insert a highlight report."""
        await self.session.execute(
            self.t.highlights.insert().values(
                id=highlight.id,
                township=highlight.township,
                year=highlight.year,
                title=highlight.title,
                summary=highlight.summary,
                version=highlight.version,
                created_at=now(),
            )
        )

    async def manuscript(self, manuscript_id: str) -> Manuscript | None:
        """Return a manuscript by id."""
        row = (
            await self.session.execute(
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
            await self.session.execute(
                self.t.manuscripts.insert().values(id=ms.id, created_at=now(), **values)
            )
            return
        await self._update_versioned(self.t.manuscripts, ms.id, expected_version, values)
