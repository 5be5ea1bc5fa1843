"""Load and save the domain's records inside the caller's session (never commits)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update

from deputies.adapters.rows import aware, deputy_from_row, deputy_values, maybe_aware
from deputies.adapters.store import Store, now
from deputies.adapters.work import WorkStore
from deputies.domain.model import (
    ChangeState,
    Deputy,
    DeputyStatus,
    Level,
    Station,
    StationKind,
    StatusChange,
    StatusReason,
    Township,
    TownshipKind,
)

_CHUNK = 5000


class RosterStore(Store):
    """Townships, stations, deputies and their history."""

    # townships
    async def township(self, code: str) -> Township | None:
        """Return a township by code."""
        row = (
            await self._run(select(self.t.townships).where(self.t.townships.c.code == code))
        ).one_or_none()
        if row is None:
            return None
        m = row._mapping
        return Township(
            code=m["code"],
            name=m["name"],
            kind=TownshipKind(m["kind"]),
            created_at=aware(m["created_at"]),
            roster_verified_at=maybe_aware(m["roster_verified_at"]),
            roster_verified_by=m["roster_verified_by"],
        )

    async def add_township(self, township: Township) -> None:
        """Insert a township."""
        await self._run(
            self.t.townships.insert().values(
                code=township.code,
                name=township.name,
                kind=township.kind.value,
                created_at=township.created_at,
            )
        )

    async def record_verification(
        self, township: str, *, at: datetime, by: str, deputy_count: int, note: str | None
    ) -> None:
        """Record who verified a roster and when."""
        await self._run(
            self.t.roster_verifications.insert().values(
                township=township,
                verified_at=at,
                verified_by=by,
                deputy_count=deputy_count,
                note=note,
            )
        )
        await self._run(
            update(self.t.townships)
            .where(self.t.townships.c.code == township)
            .values(roster_verified_at=at, roster_verified_by=by)
        )

    # stations
    async def station(self, station_id: str) -> Station | None:
        """Return a station by id."""
        row = (
            await self._run(select(self.t.stations).where(self.t.stations.c.id == station_id))
        ).one_or_none()
        if row is None:
            return None
        m = row._mapping
        return Station(
            id=m["id"],
            township=m["township"],
            name=m["name"],
            kind=StationKind(m["kind"]),
            address=m["address"],
            schedule=m["schedule"],
            content=m["content"],
            content_updated_at=aware(m["content_updated_at"]),
            version=m["version"],
        )

    async def save_station(self, station: Station, *, expected_version: int | None) -> None:
        """Insert a station (expected_version None) or update it if still at that version."""
        values = {
            "township": station.township,
            "name": station.name,
            "kind": station.kind.value,
            "address": station.address,
            "schedule": station.schedule,
            "content": station.content,
            "content_updated_at": station.content_updated_at,
            "version": station.version,
        }
        if expected_version is None:
            await self._run(self.t.stations.insert().values(id=station.id, **values))
            return
        await self._update_versioned(self.t.stations, station.id, expected_version, values)

    # deputies
    async def deputy(self, deputy_id: str) -> Deputy | None:
        """Return a deputy by id."""
        row = (
            await self._run(select(self.t.deputies).where(self.t.deputies.c.id == deputy_id))
        ).one_or_none()
        return deputy_from_row(row) if row is not None else None

    async def deputies(self, ids: Iterable[str]) -> dict[str, Deputy]:
        """Return the deputies among some ids, by id."""
        wanted = list(set(ids))
        if not wanted:
            return {}
        rows = await self._run(select(self.t.deputies).where(self.t.deputies.c.id.in_(wanted)))
        return {d.id: d for d in map(deputy_from_row, rows)}

    async def holders(self, pairs: set[tuple[str, int]]) -> dict[tuple[str, int], str]:
        """Return which deputy holds each (ID number, term) pair already, in chunks."""
        found: dict[tuple[str, int], str] = {}
        numbers = sorted({n for n, _ in pairs})
        d = self.t.deputies
        for start in range(0, len(numbers), _CHUNK):
            rows = await self._run(
                select(d.c.id_number, d.c.term, d.c.id).where(
                    d.c.id_number.in_(numbers[start : start + _CHUNK])
                )
            )
            for number, term, deputy_id in rows:
                if (number, term) in pairs:
                    found[(number, term)] = deputy_id
        return found

    async def station_townships(self, ids: set[str]) -> dict[str, str]:
        """Return the township of each existing station among some ids."""
        if not ids:
            return {}
        s = self.t.stations
        rows = await self._run(select(s.c.id, s.c.township).where(s.c.id.in_(ids)))
        return dict(rows.tuples().all())

    def add_deputies(self, deputies: Sequence[Deputy]) -> list[dict[str, Any]]:
        """Queue deputies (written with the unit of work's commit); return their rows."""
        at = now()
        rows = [{**deputy_values(d), "created_at": at, "updated_at": at} for d in deputies]
        self.uow.add_all(self.t.deputies, rows)
        return rows

    async def save_deputy(self, deputy: Deputy, *, expected_version: int) -> None:
        """Update a deputy if it is still at the version the change was based on."""
        values = deputy_values(deputy)
        values.pop("id")
        await self._update_versioned(
            self.t.deputies, deputy.id, expected_version, {**values, "updated_at": now()}
        )

    def add_history(self, changes: Sequence[StatusChange], *, by: str) -> None:
        """Queue status history entries (written with the unit of work's commit)."""
        at = now()
        self.uow.add_all(self.t.status_history, [_history_values(c, at, by) for c in changes])

    async def add_change(self, change: StatusChange, *, by: str) -> int:
        """Append one status history entry; return its sequence number (the change's id)."""
        seq = await self._scalar(
            self.t.status_history.insert()
            .values(**_history_values(change, now(), by))
            .returning(self.t.status_history.c.seq)
        )
        return int(seq or 0)

    async def history(self, deputy_id: str) -> list[StatusChange]:
        """Return a deputy's status history entries, oldest first."""
        h = self.t.status_history
        rows = await self._run(select(h).where(h.c.deputy_id == deputy_id).order_by(h.c.seq))
        return [_change_from_row(r._mapping) for r in rows]

    async def due_changes(self, today: date) -> list[StatusChange]:
        """Return the scheduled status changes whose day has come, oldest first."""
        h = self.t.status_history
        rows = await self._run(
            select(h)
            .where(h.c.state == ChangeState.scheduled.value, h.c.effective_date <= today)
            .order_by(h.c.effective_date, h.c.seq)
        )
        return [_change_from_row(r._mapping) for r in rows]

    async def set_change_state(
        self, seq: int, state: ChangeState, *, was: ChangeState, note: str | None = None
    ) -> bool:
        """Move a history entry from one state to another; False if it moved meanwhile."""
        h = self.t.status_history
        values: dict[str, Any] = {"state": state.value}
        if note is not None:
            values["note"] = note
        result = await self._run(
            update(h).where(h.c.seq == seq, h.c.state == was.value).values(**values)
        )
        return bool(result.rowcount == 1)

    async def active_count(self, township: str) -> int:
        """Return how many deputies of a township are not terminated."""
        return int(
            await self._scalar(
                select(func.count()).where(
                    self.t.deputies.c.township == township,
                    self.t.deputies.c.status != DeputyStatus.terminated.value,
                )
            )
            or 0
        )


def _history_values(c: StatusChange, at: datetime, by: str) -> dict[str, Any]:
    return {
        "deputy_id": c.deputy_id,
        "from_status": c.from_status.value if c.from_status else None,
        "to_status": c.to_status.value,
        "reason": c.reason.value,
        "effective_date": c.effective_date,
        "note": c.note,
        "level": c.level.value if c.level else None,
        "state": c.state.value,
        "corrects_seq": c.corrects_seq,
        "recorded_at": at,
        "recorded_by": by,
    }


def _change_from_row(m: Any) -> StatusChange:
    return StatusChange(
        deputy_id=m["deputy_id"],
        from_status=DeputyStatus(m["from_status"]) if m["from_status"] else None,
        to_status=DeputyStatus(m["to_status"]),
        reason=StatusReason(m["reason"]),
        effective_date=m["effective_date"],
        note=m["note"],
        level=Level(m["level"]) if m["level"] else None,
        state=ChangeState(m["state"]),
        corrects_seq=m["corrects_seq"],
        seq=m["seq"],
    )


class Repository(RosterStore, WorkStore):
    """The service's records in one session; writes join the caller's transaction."""
