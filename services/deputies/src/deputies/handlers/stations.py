"""Create liaison stations and update their content."""

from __future__ import annotations

from dataclasses import dataclass

from deputies import events
from deputies.domain.access import require_write
from deputies.domain.errors import NotFoundError, VersionConflictError, invalid
from deputies.domain.model import Station, StationKind
from deputies.handlers.context import Caller, Services, new_id, record_creation
from kit.audit import change_detail, snapshot

EDITABLE = ("name", "address", "schedule", "content")


@dataclass(frozen=True)
class CreateStation:
    """Open a station or contact point in a township."""

    township: str
    name: str
    kind: StationKind
    address: str
    schedule: str
    content: str = ""


@dataclass(frozen=True)
class UpdateStation:
    """Change a station's details; ``None`` keeps a field as it is."""

    station_id: str
    expected_version: int
    name: str | None = None
    address: str | None = None
    schedule: str | None = None
    content: str | None = None


async def create_station(svc: Services, caller: Caller, cmd: CreateStation) -> Station:
    """Create a station; its content counts as updated now."""
    require_write(caller.viewer, cmd.township)
    station = Station(
        id=new_id(),
        township=cmd.township,
        name=cmd.name,
        kind=cmd.kind,
        address=cmd.address,
        schedule=cmd.schedule,
        content=cmd.content,
        content_updated_at=svc.clock(),
    )
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        if await repo.township(cmd.township) is None:
            raise invalid("township", f"unknown township {cmd.township}", "unknown")
        await repo.save_station(station, expected_version=None)
        await record_creation(
            svc,
            uow,
            caller,
            events.station_updated(station, caller),
            resource_type="station",
            record_id=station.id,
            township=station.township,
        )
        await uow.commit()
    return station


async def update_station(svc: Services, caller: Caller, cmd: UpdateStation) -> Station:
    """Update a station at the version the caller read; new content refreshes its date."""
    async with svc.uow() as uow:
        repo = svc.repository(uow)
        station = await repo.station(cmd.station_id)
        if station is None:
            raise NotFoundError(f"station {cmd.station_id}")
        require_write(caller.viewer, station.township)
        if station.version != cmd.expected_version:
            raise VersionConflictError(f"station is at version {station.version}")
        before = snapshot(station, EDITABLE)
        changed = []
        for name in EDITABLE:
            value = getattr(cmd, name)
            if value is not None and value != getattr(station, name):
                setattr(station, name, value)
                changed.append(name)
        if not changed:  # a save that changes nothing: no version, no event, not fresher
            return station
        if "content" in changed:
            station.content_updated_at = svc.clock()
        station.version += 1
        await repo.save_station(station, expected_version=cmd.expected_version)
        svc.audit.add(
            uow,
            actor=caller.principal,
            action="update",
            resource_type="station",
            resource_id=station.id,
            township=station.township,
            detail=change_detail(before, snapshot(station, EDITABLE)),
        )
        uow.stage(events.station_updated(station, caller))
        await uow.commit()
    return station
