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
    elected_on: date | None
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
    today: date,
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
    errors.extend(date_errors(draft, today))
    return errors


#: 选举法 Art. 4: a citizen of 18 or more may be elected.
ELECTION_AGE = 18
#: A roster holds the current and the previous terms, not dates decades ago.
OLDEST_ELECTION = 1949


def _adult_on(birth: date, day: date) -> bool:
    try:
        came_of_age = birth.replace(year=birth.year + ELECTION_AGE)
    except ValueError:  # born on 29 February
        came_of_age = date(birth.year + ELECTION_AGE, 3, 1)
    return came_of_age <= day


def date_errors(draft: DeputyDraft, today: date) -> list[FieldError]:
    """Return the implausible dates of a draft: a future election, a minor elected."""
    errors: list[FieldError] = []
    if draft.elected_on is not None and draft.elected_on > today:
        errors.append(FieldError(("elected_on",), "an election date cannot be in the future"))
    elif draft.elected_on is not None and draft.elected_on.year < OLDEST_ELECTION:
        errors.append(FieldError(("elected_on",), f"must not be before {OLDEST_ELECTION}"))
    if draft.birth_date is not None:
        day = draft.elected_on or today
        if draft.birth_date > today:
            errors.append(FieldError(("birth_date",), "a birth date cannot be in the future"))
        elif not _adult_on(draft.birth_date, day):
            errors.append(
                FieldError(
                    ("birth_date",),
                    f"a deputy must be at least {ELECTION_AGE} on the election day (选举法)",
                )
            )
    return errors
