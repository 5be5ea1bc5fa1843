"""What the read side shares: pages, scope conditions as index-friendly ranges, access checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select

from deputies.domain.access import READERS, ScopeError, can_read
from kit.db.ranges import within
from kit.principal import Principal


@dataclass
class Page:
    """One page of a list, with the total over all pages."""

    items: list[dict[str, Any]]
    total: int
    page: int
    page_size: int
    clear_contacts: list[str] = field(default_factory=list)


def reads_all(viewer: Principal) -> bool:
    """Tell whether the viewer reads whole townships (not only a deputy's own record)."""
    return viewer.has(*READERS)


def scope_condition(column: Any, viewer: Principal, township: str | None) -> ColumnElement[bool]:
    """Return the viewer's scope narrowed by a township filter; refuse a filter outside it."""
    if township and not (township.startswith(viewer.scope) or viewer.scope.startswith(township)):
        raise ScopeError(f"{township} is outside your scope")
    narrowest = township if township and township.startswith(viewer.scope) else viewer.scope
    return within(column, narrowest)


def scoped(query: Select[Any], column: Any, viewer: Principal, township: str | None) -> Select[Any]:
    """Return the query limited to the viewer's scope (and a township filter inside it)."""
    return query.where(scope_condition(column, viewer, township))


def require_readable(viewer: Principal, code: str) -> None:
    if not can_read(viewer, code):
        raise ScopeError(f"no read access to {code}")
