"""Case numbers a person can say: per county, year and kind, gap-free (青山县2026年建议第37号)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from contracts.vocabulary import CaseKind
from kit.principal import COUNTY_CODE_LENGTH

KIND_LABELS: Mapping[CaseKind, str] = {CaseKind.suggestion: "建议", CaseKind.opinion: "意见"}
"""The word a number names its kind with."""

_KINDS = {label: kind for kind, label in KIND_LABELS.items()}
_NUMBER = re.compile(
    r"^\s*(?P<county>.*?)\s*(?P<year>\d{4})年(?P<kind>建议|意见)第(?P<seq>\d{1,9})号\s*$"
)
_CODE = re.compile(r"^\[?(\d{6})\]?$")


def county_of(township: str) -> str:
    """Return the county (first 6 digits) a township belongs to."""
    return township[:COUNTY_CODE_LENGTH]


def county_label(county: str, names: Mapping[str, str]) -> str:
    """Return the county's name, or its code in brackets when none is configured."""
    return names.get(county) or f"[{county}]"


@dataclass(frozen=True)
class CaseNumber:
    """A case's number: its county, the year it was filed, its kind and its place in that run."""

    county: str
    year: int
    kind: CaseKind
    seq: int
    county_name: str = ""

    @property
    def label(self) -> str:
        """Return the number as said and printed: 青山县2026年建议第37号."""
        name = self.county_name or f"[{self.county}]"
        return f"{name}{self.year}年{KIND_LABELS[self.kind]}第{self.seq}号"


@dataclass(frozen=True)
class NumberQuery:
    """What a searched number names: the county when given, year, kind and sequence."""

    county: str | None
    year: int
    kind: CaseKind
    seq: int


def parse_number(text: str, names: Mapping[str, str]) -> NumberQuery | None:
    """Read a number as a person writes it (the county may be left out); None if it is none.

    The county is its configured name or its 6-digit code; an unknown name reads as no match.
    """
    found = _NUMBER.match(text)
    if found is None:
        return None
    prefix = found["county"]
    county: str | None = None
    if prefix:
        code = _CODE.match(prefix)
        by_name = {name: code for code, name in names.items()}
        county = code.group(1) if code else by_name.get(prefix)
        if county is None:
            return None
    return NumberQuery(county, int(found["year"]), _KINDS[found["kind"]], int(found["seq"]))
