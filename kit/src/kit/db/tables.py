"""The kit's tables, added to each service's own metadata (outbox, inbox, audit, leases, announcements made)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
)

from kit.db.types import UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: A 64-bit key on PostgreSQL, an INTEGER PRIMARY KEY (rowid, autoincrement) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def make_metadata() -> MetaData:
    """Return a metadata with the platform's constraint naming convention."""
    return MetaData(naming_convention=NAMING_CONVENTION)


@dataclass(frozen=True)
class KitTables:
    """The kit's tables inside one service's database."""

    outbox: Table
    inbox: Table
    audit_log: Table
    leases: Table
    idempotency_keys: Table
    announcements: Table


#: The kit's tables a service's first migration creates (``create_kit_tables``); later ones
#: arrive by their own migration step (``announcements_made``: ``create_announcements_made``).
FIRST_TABLES = ("outbox", "inbox", "audit_log", "leases", "idempotency_keys")


def announcement_table(metadata: MetaData) -> Table:
    """Define ``announcements_made``: one row per announcement made (scope, key, made_at)."""
    return Table(
        "announcements_made",
        metadata,
        Column("scope", String(120), nullable=False),
        Column("key", String(200), nullable=False),
        Column("made_at", UtcDateTime(), nullable=False),
        PrimaryKeyConstraint("scope", "key", name="pk_announcements_made"),
    )


def kit_tables(metadata: MetaData) -> KitTables:
    """Define the kit's tables on a service's metadata, so its migrations carry them."""
    outbox = Table(
        "outbox",
        metadata,
        Column("seq", BigId, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(120), nullable=False),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=False),
        Column("headers", JSON, nullable=False),
        Column("payload", Text, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("published_at", UtcDateTime(), nullable=True),
    )
    Index(
        "ix_outbox_unpublished",
        outbox.c.seq,
        postgresql_where=text("published_at IS NULL"),
        sqlite_where=text("published_at IS NULL"),
    )
    Index("ix_outbox_published_at", outbox.c.published_at)
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", String(120), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("event_type", String(120), nullable=False),
        Column("processed_at", UtcDateTime(), nullable=False),
    )
    audit_log = Table(
        "audit_log",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("at", UtcDateTime(), nullable=False),
        Column("actor", String(120), nullable=False),
        Column("roles", String(200), nullable=False),
        Column("action", String(80), nullable=False),
        Column("resource_type", String(80), nullable=False),
        Column("resource_id", String(120), nullable=True),
        Column("township", String(12), nullable=True),
        Column("outcome", String(20), nullable=False),
        Column("correlation_id", String(120), nullable=True),
        Column("detail", JSON, nullable=False),
    )
    Index("ix_audit_log_resource", audit_log.c.resource_type, audit_log.c.resource_id)
    Index("ix_audit_log_at", audit_log.c.at)
    leases = Table(
        "leases",
        metadata,
        Column("name", String(120), primary_key=True),
        Column("holder", String(120), nullable=False),
        Column("expires_at", UtcDateTime(), nullable=False),
    )
    idempotency_keys = Table(
        "idempotency_keys",
        metadata,
        Column("subject", String(120), primary_key=True),
        Column("key", String(200), primary_key=True),
        Column("request_hash", String(64), nullable=False),
        Column("status", Integer, nullable=False),
        Column("body", JSON, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
    )
    return KitTables(
        outbox=outbox,
        inbox=inbox,
        audit_log=audit_log,
        leases=leases,
        idempotency_keys=idempotency_keys,
        announcements=announcement_table(metadata),
    )


_PG_APPEND_ONLY = (
    """
    CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit_log is append-only';
    END;
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log",
    """
    CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()
    """,
)
_SQLITE_APPEND_ONLY = (
    """
    CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
    """,
)


def append_only_ddl(dialect: str) -> tuple[str, ...]:
    """Return the DDL that makes the audit log append-only on a dialect (run after creation)."""
    return _PG_APPEND_ONLY if dialect == "postgresql" else _SQLITE_APPEND_ONLY
