"""A deputy as submitted (form or roster row), and the checks that need no database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from deputies.domain.errors import FieldError
from deputies.domain.model import ElectedBy, Gender, Level, TownshipKind


@dataclass
class DeputyDraft:
    """The fields of a new deputy, already typed but not yet checked against the roster."""

    township: str
    name: str
    gender: Gender
    levels: frozenset[Level]
    term: int
    status_since: date
    birth_date: date | None = None
    ethnicity: str | None = None
    party: str | None = None
    occupation: str | None = None
    sector: str | None = None
    electoral_district: str | None = None
    deputy_group: str | None = None
    station_id: str | None = None
    elected_by: ElectedBy = ElectedBy.general
    phone: str | None = None
    id_number: str | None = None
    address: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def check_draft(
    draft: DeputyDraft,
    *,
    township_kind: TownshipKind | None,
    valid_id_number: Callable[[str], bool],
    valid_mobile: Callable[[str], bool],
) -> list[FieldError]:
    """Return what is wrong with a draft on its own (township_kind None: unknown township)."""
    errors: list[FieldError] = []
    if township_kind is None:
        errors.append(FieldError(("township",), f"unknown township {draft.township}", "unknown"))
    elif township_kind is TownshipKind.subdistrict and Level.township in draft.levels:
        errors.append(
            FieldError(("levels",), "a subdistrict has no township congress", "value_error")
        )
    if not draft.name.strip():
        errors.append(FieldError(("name",), "must not be empty", "missing"))
    if not draft.levels:
        errors.append(FieldError(("levels",), "give at least one level", "missing"))
    if draft.term < 1:
        errors.append(FieldError(("term",), "must be a positive term number", "value_error"))
    if draft.id_number is not None and not valid_id_number(draft.id_number):
        errors.append(
            FieldError(("id_number",), "not a valid resident ID number (GB 11643)", "id_number")
        )
    if draft.phone is not None and not valid_mobile(draft.phone):
        errors.append(FieldError(("phone",), "not a valid mobile phone number", "phone"))
    if draft.birth_date is not None and draft.birth_date >= draft.status_since:
        errors.append(FieldError(("birth_date",), "must precede the mandate", "value_error"))
    return errors
