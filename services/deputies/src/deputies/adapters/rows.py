"""Rows to domain records and back (SQLite's naive datetimes made UTC-aware on the way in)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row

from deputies.domain.model import (
    Contact,
    Deputy,
    DeputyStatus,
    ElectedBy,
    Gender,
    Level,
    StatusReason,
)


def levels_of(county: bool, township: bool) -> frozenset[Level]:
    """Return the level set stored as two flags."""
    return frozenset(
        level for level, on in ((Level.county, county), (Level.township, township)) if on
    )


def deputy_from_row(row: Row[Any]) -> Deputy:
    """Rebuild a deputy from its row."""
    m = row._mapping
    return Deputy(
        id=m["id"],
        township=m["township"],
        name=m["name"],
        gender=Gender(m["gender"]),
        levels=levels_of(m["level_county"], m["level_township"]),
        term=m["term"],
        status=DeputyStatus(m["status"]),
        status_reason=StatusReason(m["status_reason"]),
        status_since=m["status_since"],
        elected_on=m["elected_on"],
        birth_date=m["birth_date"],
        ethnicity=m["ethnicity"],
        party=m["party"],
        occupation=m["occupation"],
        sector=m["sector"],
        electoral_district=m["electoral_district"],
        deputy_group=m["deputy_group"],
        station_id=m["station_id"],
        elected_by=ElectedBy(m["elected_by"]),
        contact=Contact(phone=m["phone"], id_number=m["id_number"], address=m["address"]),
        version=m["version"],
        suspended=levels_of(m["suspended_county"], m["suspended_township"]),
    )


def deputy_values(deputy: Deputy) -> dict[str, Any]:
    """Return the column values of a deputy (without timestamps)."""
    return {
        "id": deputy.id,
        "township": deputy.township,
        "name": deputy.name,
        "gender": deputy.gender.value,
        "birth_date": deputy.birth_date,
        "ethnicity": deputy.ethnicity,
        "party": deputy.party,
        "occupation": deputy.occupation,
        "sector": deputy.sector,
        "level_county": Level.county in deputy.levels,
        "level_township": Level.township in deputy.levels,
        "electoral_district": deputy.electoral_district,
        "deputy_group": deputy.deputy_group,
        "station_id": deputy.station_id,
        "term": deputy.term,
        "elected_by": deputy.elected_by.value,
        "status": deputy.status.value,
        "status_reason": deputy.status_reason.value,
        "status_since": deputy.status_since,
        "elected_on": deputy.elected_on,
        "phone": deputy.contact.phone,
        "id_number": deputy.contact.id_number,
        "address": deputy.contact.address,
        "version": deputy.version,
        "suspended_county": Level.county in deputy.suspended,
        "suspended_township": Level.township in deputy.suspended,
    }


def aware(value: datetime) -> datetime:
    """Return a stored instant as UTC-aware (SQLite hands back naive datetimes)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def maybe_aware(value: datetime | None) -> datetime | None:
    """Return ``aware(value)``, or None."""
    return aware(value) if value is not None else None
