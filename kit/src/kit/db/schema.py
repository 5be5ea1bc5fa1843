"""A service's schema: one metadata carrying the kit's tables and the service's own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import MetaData

from kit.db.tables import kit_tables, make_metadata

T = TypeVar("T")


@dataclass(frozen=True)
class Schema(Generic[T]):
    """The metadata (for Alembic and tests) and the service's tables on it."""

    metadata: MetaData
    tables: T


def schema_of(define_tables: Callable[[MetaData], T]) -> Schema[T]:
    """Return a fresh metadata with the kit's tables and those ``define_tables`` puts on it."""
    metadata = make_metadata()
    kit_tables(metadata)
    return Schema(metadata, define_tables(metadata))
