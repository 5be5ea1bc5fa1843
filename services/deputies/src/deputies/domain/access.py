"""Who may read and write what: roles, township scope, a deputy's own record (pure rules)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from deputies.domain.errors import ForbiddenError

COUNTY_ROLES = frozenset({"county_admin", "county_leader", "auditor"})
WRITERS = frozenset({"county_admin", "township_staff"})
CLEAR_VIEWERS = frozenset({"county_admin", "township_staff"})


class ScopeError(ForbiddenError):
    """The caller's role or township scope does not reach the record (HTTP 403)."""


@dataclass(frozen=True)
class Viewer:
    """The part of a principal the rules look at."""

    subject: str
    roles: frozenset[str]
    scope: str
    deputy_id: str | None = None

    def covers(self, code: str) -> bool:
        """Tell whether a division code lies inside this viewer's scope."""
        return code.startswith(self.scope)

    def has(self, roles: Collection[str]) -> bool:
        """Tell whether the viewer holds any of the roles."""
        return bool(self.roles & set(roles))


def can_read(viewer: Viewer, township: str) -> bool:
    """Tell whether the viewer may read the township's records (not only its own)."""
    if not viewer.covers(township):
        return False
    return viewer.has(COUNTY_ROLES | {"township_staff"})


def can_write(viewer: Viewer, township: str) -> bool:
    """Tell whether the viewer may change the township's records."""
    return viewer.covers(township) and viewer.has(WRITERS)


def can_read_deputy(viewer: Viewer, township: str, deputy_id: str) -> bool:
    """Tell whether the viewer may read one deputy's record."""
    return can_read(viewer, township) or viewer.deputy_id == deputy_id


def sees_contact(viewer: Viewer, township: str, deputy_id: str) -> bool:
    """Tell whether the viewer sees a deputy's restricted contact data in clear."""
    if viewer.deputy_id == deputy_id:
        return True
    return viewer.covers(township) and viewer.has(CLEAR_VIEWERS)


def require_read(viewer: Viewer, township: str) -> None:
    """Refuse unless the viewer may read the township's records."""
    if not can_read(viewer, township):
        raise ScopeError(f"no read access to township {township}")


def require_write(viewer: Viewer, township: str) -> None:
    """Refuse unless the viewer may change the township's records."""
    if not can_write(viewer, township):
        raise ScopeError(f"no write access to township {township}")


def require_county_admin(viewer: Viewer, code: str) -> None:
    """Refuse unless the viewer administers the county the code belongs to."""
    if not (viewer.covers(code) and viewer.has({"county_admin"})):
        raise ScopeError("only the county administration may do this")
