"""Case numbers on the read side: the label of a list row, and a list narrowed to a number."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, false

from cases.domain.numbering import CaseNumber, NumberQuery, county_label
from contracts.vocabulary import CaseKind


def number_label(row: Mapping[str, Any], names: Mapping[str, str]) -> str | None:
    """Return the number of a case row (columns number_county/year/seq and kind), if it has one."""
    seq = row.get("number_seq")
    if seq is None:
        return None
    county = str(row["number_county"])
    kind = CaseKind(row["kind"])
    return CaseNumber(
        county, int(row["number_year"]), kind, int(seq), county_label(county, names)
    ).label


def numbered(query: Select[Any], c: Any, wanted: NumberQuery | None) -> Select[Any]:
    """Narrow a case query to the number asked for (nothing when it is not a number)."""
    if wanted is None:
        return query.where(false())
    query = query.where(
        c.number_year == wanted.year, c.kind == wanted.kind.value, c.number_seq == wanted.seq
    )
    return query if wanted.county is None else query.where(c.number_county == wanted.county)
