"""Who may read, write and see restricted fields (the pure rules behind every route)."""

from __future__ import annotations

import pytest

from deputies.domain.access import (
    ScopeError,
    can_read,
    can_read_deputy,
    can_write,
    require_county_admin,
    sees_contact,
)
from kit.principal import Principal, Role

OWN = "990101001"
OTHER = "990101002"


def viewer(role: str, scope: str = "990101", deputy_id: str | None = None) -> Principal:
    return Principal(subject="u", roles=frozenset({Role(role)}), scope=scope, deputy_id=deputy_id)


@pytest.mark.parametrize(
    ("who", "read", "write", "clear"),
    [
        (viewer("county_admin"), True, True, True),
        (viewer("county_leader"), True, False, False),
        (viewer("auditor"), True, False, False),
        (viewer("township_staff", OWN), True, True, True),
        (viewer("deputy", OWN, "d1"), False, False, False),
        (viewer("handling_unit"), False, False, False),
        (viewer("operator"), False, False, False),
    ],
)
def test_roles_on_their_own_township(who: Principal, read: bool, write: bool, clear: bool) -> None:
    assert can_read(who, OWN) is read
    assert can_write(who, OWN) is write
    assert sees_contact(who, OWN, "d2") is clear


def test_township_staff_reach_no_other_township() -> None:
    staff = viewer("township_staff", OWN)
    assert not can_read(staff, OTHER)
    assert not can_write(staff, OTHER)
    assert not sees_contact(staff, OTHER, "d2")


def test_a_deputy_reads_and_sees_only_their_own_record() -> None:
    me = viewer("deputy", OWN, "d1")
    assert can_read_deputy(me, OWN, "d1")
    assert sees_contact(me, OWN, "d1")
    assert not can_read_deputy(me, OWN, "d2")


def test_a_county_scope_does_not_reach_another_county() -> None:
    admin = viewer("county_admin", "990101")
    assert not can_read(admin, "990102001")
    with pytest.raises(ScopeError):
        require_county_admin(admin, "990102001")
    require_county_admin(admin, OWN)


def test_the_access_rules_use_the_kits_principal_and_county_roles() -> None:
    from deputies.domain import access
    from kit import principal

    assert not hasattr(access, "Viewer")
    assert not hasattr(access, "COUNTY_ROLES") or access.COUNTY_ROLES is principal.COUNTY_ROLES
    for role in principal.COUNTY_ROLES:
        county = Principal(subject="u", roles=frozenset({role}), scope="990101")
        assert can_read(county, OWN)
        assert can_write(county, OWN) is (role is Role.county_admin)
    staff = Principal(subject="s", roles=frozenset({Role.township_staff}), scope=OWN)
    assert not can_write(staff, OWN[:6])  # a county record (joint activity, county mandate)
