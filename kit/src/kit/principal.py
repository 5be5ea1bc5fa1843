"""Who calls: roles and a scope that is an official division-code prefix (pure, no framework).

A scope is a prefix of the 12-digit statistical division code (统计用区划代码): "99" is a province,
"990101" a county, "990101001" a township. A principal covers a place when the place's code
starts with the scope, so one deployment serves a township, a county or a province unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

_SCOPE = re.compile(r"\d{2,12}", re.ASCII)
COUNTY_CODE_LENGTH = 6


class Role(StrEnum):
    """What a user may do; the scope says where (see research/domain.md §7.4)."""

    county_admin = "county_admin"  # 县人大常委会代工委 staff: rosters, assignment, rules, review
    county_leader = "county_leader"  # 主任会议 / vice-chairs: key chases, approvals
    township_staff = "township_staff"  # 镇人大主席团 / 街道人大工委 chair and staff
    deputy = "deputy"  # 人大代表: self and the constituents who contacted them
    handling_unit = "handling_unit"  # 承办单位: assigned cases only
    auditor = "auditor"  # reads audit logs; no business edits (separation of duties)
    operator = "operator"  # runs the platform: dead letters, jobs; no business data


COUNTY_ROLES = frozenset({Role.county_admin, Role.county_leader, Role.auditor})
"""The county roles: they read every record in a county-wide scope (only county_admin writes)."""

STAFF_ROLES = frozenset({Role.county_admin, Role.township_staff})
"""The roles that keep records: county administration and township staff, each in scope."""


class ScopeError(ValueError):
    """A scope that is not 2 to 12 digits."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """An authenticated user: id, display name, roles, scope and optional deputy / unit ids."""

    subject: str
    roles: frozenset[Role]
    scope: str
    name: str = ""
    deputy_id: str | None = None
    unit_id: str | None = None

    def __post_init__(self) -> None:
        if not _SCOPE.fullmatch(self.scope):
            raise ScopeError(f"scope must be 2 to 12 digits, got {self.scope!r}")
        if not self.subject:
            raise ValueError("subject must not be empty")
        # Accept role names from callers and tokens, keep members: Role("deputy") is Role.deputy.
        object.__setattr__(self, "roles", frozenset(Role(r) for r in self.roles))

    def has(self, *roles: Role) -> bool:
        """Tell whether the principal holds at least one of the roles."""
        return not self.roles.isdisjoint(roles)

    def covers(self, code: str) -> bool:
        """Tell whether a place (township, village or county code) lies inside the scope."""
        return code.isascii() and code.isdigit() and code.startswith(self.scope)

    @property
    def is_county_level(self) -> bool:
        """Tell whether the scope is a whole county or wider (a prefix of 6 digits or fewer)."""
        return len(self.scope) <= COUNTY_CODE_LENGTH
