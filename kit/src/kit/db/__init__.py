"""Database access shared by the services: engines, sessions and the kit's own tables."""

from kit.db.engine import create_all, make_engine, make_sessionmaker
from kit.db.schema import Schema, schema_of
from kit.db.tables import KitTables, append_only_ddl, kit_tables, make_metadata
from kit.db.types import UtcDateTime

__all__ = [
    "KitTables",
    "Schema",
    "UtcDateTime",
    "append_only_ddl",
    "create_all",
    "kit_tables",
    "make_engine",
    "make_metadata",
    "make_sessionmaker",
    "schema_of",
]
