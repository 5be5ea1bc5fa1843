"""Who may see and do what in scoring: role plus township (or county) scope, pure."""

from __future__ import annotations

from kit.errors import ForbiddenError
from kit.principal import COUNTY_ROLES, Principal, Role

READERS = frozenset({*COUNTY_ROLES, Role.township_staff})
"""Roles that read ledgers, cards and assessments of every deputy in their scope."""


def within_county(principal: Principal, county: str) -> bool:
    """Tell whether the caller's scope is the county, wider, or a township inside it."""
    return principal.covers(county) or principal.scope.startswith(county)


def require_rule_reader(principal: Principal, county: str) -> None:
    """Refuse anyone who is not county staff, township staff or a deputy of the county."""
    if not (principal.has(*READERS, Role.deputy) and within_county(principal, county)):
        raise ForbiddenError("the rule sets are read by the county's staff and deputies")


def require_rule_manager(principal: Principal, county: str) -> None:
    """Refuse anyone but a county administrator of the county (rule sets are theirs)."""
    if not (principal.has(Role.county_admin) and principal.covers(county)):
        raise ForbiddenError("rule sets are managed by the county administration", township=county)


def can_read_deputy(principal: Principal, deputy_id: str, township: str) -> bool:
    """Tell whether the caller may read a deputy's ledger and card (a deputy: their own only)."""
    if principal.has(Role.deputy) and principal.deputy_id == deputy_id:
        return True
    return principal.has(*READERS) and principal.covers(township)


def require_deputy_reader(principal: Principal, deputy_id: str, township: str) -> None:
    """Refuse a caller who may not read the deputy's points."""
    if not can_read_deputy(principal, deputy_id, township):
        raise ForbiddenError("these points are not yours to see", township=township)


def require_reader(principal: Principal, code: str) -> None:
    """Refuse anyone but staff and county roles whose scope covers the township or county."""
    if not (principal.has(*READERS) and principal.covers(code)):
        raise ForbiddenError("only staff of this scope read this", township=code)
