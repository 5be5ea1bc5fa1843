"""The directory port: who a unit, a deputy or an office is, with their addresses (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Protocol

from contracts.vocabulary import RecipientKind
from notify.domain.model import Recipient, RecipientRef

COUNTY_DIGITS = 6


class Office(StrEnum):
    """Offices the routing names by role; the directory knows who holds them where."""

    township_staff = "township_staff"  # 镇人大主席团 / 街道人大工委 staff of the township
    township_chair = "township_chair"  # 人大主席 / 工委主任 of the township
    county_committee = "county_committee"  # 县人大常委会 代工委 staff of the county
    county_staff = "county_staff"  # county deputy-work staff (roster, mandates)
    vice_chair = "vice_chair"  # the vice-chair (分管副主任) responsible for the township


class Directory(Protocol):
    """Looks recipients up; its data comes from projections of deputies' events and notify's API."""

    def unit(self, unit_id: str) -> Recipient | None:
        """Return a handling unit (承办单位) with its office addresses, or None if unknown."""
        ...

    def deputy(self, deputy_id: str) -> Recipient | None:
        """Return a deputy with the addresses notify may use, or None if unknown."""
        ...

    def holders(self, office: Office, township: str) -> Sequence[Recipient]:
        """Return who holds an office for a township (county offices: the township's county)."""
        ...


class MemoryDirectory:
    """A directory held in memory: the seed for tests, demos and a projection's cache."""

    def __init__(
        self,
        recipients: Iterable[Recipient] = (),
        offices: Mapping[tuple[Office, str], Sequence[RecipientRef]] | None = None,
    ) -> None:
        self._by_ref = {r.ref: r for r in recipients}
        self._offices = {key: tuple(refs) for key, refs in (offices or {}).items()}

    def unit(self, unit_id: str) -> Recipient | None:
        """Return a handling unit, or None if unknown."""
        return self._by_ref.get(RecipientRef(RecipientKind.handling_unit, unit_id))

    def deputy(self, deputy_id: str) -> Recipient | None:
        """Return a deputy, or None if unknown."""
        return self._by_ref.get(RecipientRef(RecipientKind.deputy, deputy_id))

    def holders(self, office: Office, township: str) -> Sequence[Recipient]:
        """Return the office holders for the township, or for its county (first 6 digits)."""
        refs = self._offices.get((office, township)) or self._offices.get(
            (office, township[:COUNTY_DIGITS]), ()
        )
        return tuple(self._by_ref[ref] for ref in refs if ref in self._by_ref)
