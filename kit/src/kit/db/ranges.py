"""Division-code prefixes as index-friendly ranges (a scope is a code prefix)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, true


def _successor(prefix: str) -> str | None:
    """Return the smallest digit string after every string starting with ``prefix``."""
    stem = prefix.rstrip("9")
    return stem[:-1] + str(int(stem[-1]) + 1) if stem else None


def within(column: Any, prefix: str) -> ColumnElement[bool]:
    """Return ``column`` starts with the division-code ``prefix``, as an index-friendly range.

    (``LIKE :prefix || '%'`` with a bound parameter defeats the b-tree on PostgreSQL.)
    """
    if not prefix:
        return true()
    upper = _successor(prefix)
    lower = column >= prefix
    return and_(lower, column < upper) if upper is not None else lower
