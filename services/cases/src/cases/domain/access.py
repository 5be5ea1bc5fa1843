"""Who may see and do what to a case: role, township scope and the caller's place on the case."""

from __future__ import annotations

from collections.abc import Callable

from cases.domain.errors import ForbiddenError
from cases.domain.model import Case
from kit.principal import Principal, Role

OVERSIGHT = frozenset({Role.county_admin, Role.county_leader, Role.auditor})
"""Roles that read every case in their scope."""

TRIAGE = frozenset({Role.county_admin, Role.township_staff})
"""Roles that enter, triage, assign, follow up and close cases in their scope."""


def on_case(principal: Principal, case: Case) -> bool:
    """Tell whether the caller is a deputy behind the case or a unit handling it."""
    if principal.has(Role.deputy) and principal.deputy_id in case.deputy_ids:
        return True
    units = {u.unit_id for u in case.units}
    return principal.has(Role.handling_unit) and principal.unit_id in units


def can_read(principal: Principal, case: Case) -> bool:
    """Tell whether the caller may see the case at all."""
    if principal.has(*OVERSIGHT, Role.township_staff) and principal.covers(case.township):
        return True
    return on_case(principal, case)


def require_read(principal: Principal, case: Case) -> None:
    """Refuse a caller who may not see the case."""
    if not can_read(principal, case):
        raise ForbiddenError(f"case {case.case_id} is not yours to see")


def require_staff(principal: Principal, township: str) -> None:
    """Refuse anyone but county or township staff whose scope covers the township."""
    if not (principal.has(*TRIAGE) and principal.covers(township)):
        raise ForbiddenError("only county or township staff of this township do this")


def require_county(principal: Principal, township: str, *roles: Role) -> None:
    """Refuse anyone but the given county roles whose scope covers the township."""
    if not (principal.has(*roles) and principal.covers(township)):
        raise ForbiddenError("this is decided by the county standing committee")


def require_unit(principal: Principal, case: Case, unit_id: str) -> None:
    """Refuse a handling-unit user acting for another unit; staff act for units on paper."""
    if principal.has(*TRIAGE) and principal.covers(case.township):
        return
    on_it = unit_id in {u.unit_id for u in case.units}
    if principal.has(Role.handling_unit) and principal.unit_id == unit_id and on_it:
        return
    raise ForbiddenError("only the handling unit itself (or staff on its behalf) does this")


def contacts_in_clear(principal: Principal, case: Case) -> bool:
    """Tell whether the caller sees a constituent's contacts unmasked.

    Only the receiving deputy, the township's staff and the assigned lead unit need them.
    """
    if principal.has(Role.township_staff) and principal.covers(case.township):
        return True
    if principal.has(Role.deputy) and principal.deputy_id in case.deputy_ids:
        return True
    lead = case.lead
    return bool(principal.has(Role.handling_unit) and lead and principal.unit_id == lead.unit_id)


def require_submit(principal: Principal, township: str, deputy_ids: tuple[str, ...]) -> None:
    """Let a deputy file for themselves, and staff enter items for deputies of their scope."""
    if principal.has(*TRIAGE) and principal.covers(township):
        return
    mine = principal.deputy_id in deputy_ids and principal.covers(township)
    if principal.has(Role.deputy) and mine:
        return
    raise ForbiddenError("deputies file their own items; staff enter them within their scope")


def _staff(p: Principal, case: Case) -> bool:
    return p.has(*TRIAGE) and p.covers(case.township)


def _unit(p: Principal, case: Case, *, lead_only: bool) -> bool:
    units = [case.lead] if lead_only else list(case.units)
    mine = any(u is not None and u.unit_id == p.unit_id for u in units)
    return _staff(p, case) or (p.has(Role.handling_unit) and mine)


def _own_unit(p: Principal, case: Case, *, lead: bool) -> bool:
    """Tell whether the caller is the unit itself: the lead unit, or a co-handler."""
    units = [case.lead] if lead else list(case.co_units)
    mine = any(u is not None and u.unit_id == p.unit_id for u in units)
    return p.has(Role.handling_unit) and mine


def require_own_unit(principal: Principal, case: Case, *, lead: bool) -> str:
    """Return the caller's unit id if it is the case's lead unit (or a co-handler); else refuse."""
    if not _own_unit(principal, case, lead=lead):
        role = "the lead unit (主办)" if lead else "a co-handling unit (会办)"
        raise ForbiddenError(f"only {role} of this case does this itself")
    assert principal.unit_id is not None
    return principal.unit_id


def _county(p: Principal, case: Case, *roles: Role) -> bool:
    return p.has(*roles) and p.covers(case.township)


_MAY: dict[str, Callable[[Principal, Case], bool]] = {
    "answer_on_spot": _staff,
    "not_accept": _staff,
    "merge": _staff,
    "to_suggestion": _staff,
    "accept": _staff,
    "assign": _staff,
    "resolve": _staff,
    "carry_over": _staff,
    "return": lambda p, c: _unit(p, c, lead_only=False),
    "reply": lambda p, c: _unit(p, c, lead_only=True),
    "extend": lambda p, c: _county(p, c, Role.county_admin, Role.county_leader),
    "apply_extension": lambda p, c: _own_unit(p, c, lead=True),
    "refuse_extension": lambda p, c: _county(p, c, Role.county_admin, Role.county_leader),
    "co_opinion": lambda p, c: _own_unit(p, c, lead=False),
    # county staff record a leader's decision on their behalf (with the meeting's reference)
    "designate_key_chase": lambda p, c: _county(p, c, Role.county_leader, Role.county_admin),
    "feedback": lambda p, c: p.has(Role.deputy) and p.deputy_id == c.submitter,
    "reopen": lambda p, c: _staff(p, c) or _county(p, c, Role.county_leader),
}
"""Who may take each action a case's state allows (``absorb`` happens only through a merge)."""


def actions_for(principal: Principal, case: Case) -> list[str]:
    """Return the actions the caller may take on the case now (state and role together)."""
    return sorted(
        a.value
        for a in case.allowed_actions()
        if (may := _MAY.get(a.value)) is not None and may(principal, case)
    )
