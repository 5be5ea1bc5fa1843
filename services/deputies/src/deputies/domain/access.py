"""Who may read and write what: roles, township scope, a deputy's own record (pure rules).

The caller is the kit's ``Principal`` (one meaning of roles and county roles for every service).
A county-hosted or joint activity, or a county mandate, lives at the county's 6-digit code: a
township's staff (scope of 9 digits) never covers it, so only county roles reach it.
"""

from __future__ import annotations

from deputies.domain.errors import ForbiddenError
from kit.principal import COUNTY_ROLES, STAFF_ROLES, Principal, Role

READERS = COUNTY_ROLES | {Role.township_staff}
CLEAR_VIEWERS = STAFF_ROLES


class ScopeError(ForbiddenError):
    """The caller's role or township scope does not reach the record (HTTP 403)."""


def can_read(viewer: Principal, township: str) -> bool:
    """Tell whether the viewer may read the township's records (not only its own)."""
    return viewer.covers(township) and viewer.has(*READERS)


def can_write(viewer: Principal, township: str) -> bool:
    """Tell whether the viewer may change the records of a township (or a county's own)."""
    return viewer.covers(township) and viewer.has(*STAFF_ROLES)


def can_read_deputy(viewer: Principal, township: str, deputy_id: str) -> bool:
    """Tell whether the viewer may read one deputy's record."""
    return can_read(viewer, township) or viewer.deputy_id == deputy_id


def sees_contact(viewer: Principal, township: str, deputy_id: str) -> bool:
    """Tell whether the viewer sees a deputy's restricted contact data in clear."""
    if viewer.deputy_id == deputy_id:
        return True
    return viewer.covers(township) and viewer.has(*CLEAR_VIEWERS)


def require_read(viewer: Principal, township: str) -> None:
    """Refuse unless the viewer may read the township's records."""
    if not can_read(viewer, township):
        raise ScopeError(f"no read access to township {township}")


def require_write(viewer: Principal, township: str) -> None:
    """Refuse unless the viewer may change the township's records."""
    if not can_write(viewer, township):
        raise ScopeError(f"no write access to township {township}")


def require_county_admin(viewer: Principal, code: str) -> None:
    """Refuse unless the viewer administers the county the code belongs to."""
    if not (viewer.covers(code[:6]) and viewer.has(Role.county_admin)):
        raise ScopeError("only the county administration may do this")
