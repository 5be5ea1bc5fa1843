"""The service's tables, declared on the metadata that also carries the kit's tables.

Deliveries hold one row per (event id, recipient, channel) with the rendered text (never an
address); the directory (townships, recipients, office holders) is a projection of
``deputies.events`` plus what the API and the import enter; contacts are restricted data, read
only to send. ``subjects`` is the case projection (a case's or topic's title, township, lead unit and
deputies; a measure's owner unit) from ``cases.events``. ``directory_version`` is one counter that
every write of the directory or the preferences moves (the intake's cache holds while it holds).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
)

from kit.db import Schema as KitSchema, UtcDateTime, schema_of

CLAIMABLE = "status IN ('pending', 'retrying')"
"""The due rows' statuses, the condition of the partial index ``ix_deliveries_claimable``."""
CLAIMED = "status = 'sending'"
"""The claimed rows' status, the condition of ``ix_deliveries_claimed`` (their ``lease_until``)."""
DIGESTED = "status = 'digested'"
"""The digest items' status, the condition of ``ix_deliveries_digested`` (their ``next_at``)."""


@dataclass(frozen=True)
class Tables:
    """Every table of the notify service."""

    deliveries: Table
    inbox_items: Table
    townships: Table
    recipients: Table
    contacts: Table
    office_holders: Table
    preferences: Table
    reminders: Table
    subjects: Table
    directory_version: Table


def define_tables(metadata: MetaData) -> Tables:
    """Define the service's tables on a metadata (the kit's tables go on the same one)."""
    deliveries = Table(
        "deliveries",
        metadata,
        Column("delivery_id", String(36), primary_key=True),
        Column("event_id", String(36), nullable=False),
        Column("recipient_kind", String(20), nullable=False),
        Column("recipient_id", String(64), nullable=False),
        Column("channel", String(10), nullable=False),
        Column("township", String(12), nullable=False),
        Column("event_type", String(100), nullable=False),
        Column("event_time", UtcDateTime(), nullable=False),
        Column("subject", String(64), nullable=False),
        Column("template", String(100), nullable=False),
        Column("status", String(12), nullable=False),
        Column("urgent", Boolean, nullable=False, default=False),
        Column("held", Boolean, nullable=False, default=False),
        Column("next_at", UtcDateTime(), nullable=True),
        Column("digest_day", Date, nullable=True),
        Column("title", Text, nullable=False, default=""),
        Column("body", Text, nullable=False, default=""),
        Column("segments", Integer, nullable=False, default=0),
        Column("attempts", Integer, nullable=False, default=0),
        Column("error_kind", String(20), nullable=True),
        Column("last_error", String(500), nullable=True),
        Column("provider_id", String(120), nullable=True),
        Column("claimed_by", String(120), nullable=True),
        Column("lease_until", UtcDateTime(), nullable=True),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("finished_at", UtcDateTime(), nullable=True),
        # one row per (event_id, recipient, channel): delivery_id is the UUIDv5 of that key, so
        # the primary key holds it (no second unique index: every status change writes each index)
        Index(  # the sender's claim: the due rows in next_at order, read as far as it takes
            "ix_deliveries_claimable",
            "next_at",
            postgresql_where=text(CLAIMABLE),
            sqlite_where=text(CLAIMABLE),
        ),
        Index(  # the claims that ran out (few rows: only those being sent)
            "ix_deliveries_claimed",
            "lease_until",
            postgresql_where=text(CLAIMED),
            sqlite_where=text(CLAIMED),
        ),
        Index(  # the digest items whose digest is due
            "ix_deliveries_digested",
            "next_at",
            postgresql_where=text(DIGESTED),
            sqlite_where=text(DIGESTED),
        ),
        Index("ix_deliveries_recipient", "recipient_kind", "recipient_id", "created_at"),
        Index("ix_deliveries_subject", "subject"),
    )
    inbox_items = Table(
        "inbox_items",
        metadata,
        Column("item_id", String(36), primary_key=True),
        Column("recipient_kind", String(20), nullable=False),
        Column("recipient_id", String(64), nullable=False),
        Column("township", String(12), nullable=False),
        Column("event_id", String(36), nullable=False),
        Column("event_type", String(100), nullable=False),
        Column("subject", String(64), nullable=False),
        Column("title", Text, nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("read_at", UtcDateTime(), nullable=True),
        Index("ix_inbox_items_recipient", "recipient_kind", "recipient_id", "created_at"),
    )
    townships = Table(
        "townships",
        metadata,
        Column("code", String(12), primary_key=True),
        Column("county", String(6), nullable=False),
        Column("name", String(200), nullable=False),
    )
    recipients = Table(
        "recipients",
        metadata,
        Column("kind", String(20), nullable=False),
        Column("recipient_id", String(64), nullable=False),
        Column("name", String(200), nullable=False),
        Column("township", String(12), nullable=False),
        Column("active", Boolean, nullable=False, default=True),
        Column("version", Integer, nullable=False, default=0),
        PrimaryKeyConstraint("kind", "recipient_id"),
    )
    contacts = Table(
        "contacts",
        metadata,
        Column("kind", String(20), nullable=False),
        Column("recipient_id", String(64), nullable=False),
        Column("channel", String(10), nullable=False),
        Column("address", String(320), nullable=False),
        # the roster changed the source of this address (a deputy's phone) after it was entered:
        # it is not used until the directory gets the new one
        Column("superseded_at", UtcDateTime(), nullable=True),
        PrimaryKeyConstraint("kind", "recipient_id", "channel"),
    )
    office_holders = Table(
        "office_holders",
        metadata,
        Column("office", String(30), nullable=False),
        Column("scope", String(12), nullable=False),
        Column("kind", String(20), nullable=False),
        Column("recipient_id", String(64), nullable=False),
        PrimaryKeyConstraint("office", "scope", "kind", "recipient_id"),
    )
    preferences = Table(
        "preferences",
        metadata,
        Column("kind", String(20), nullable=False),
        Column("recipient_id", String(64), nullable=False),
        Column("document", JSON, nullable=False),
        Column("version", Integer, nullable=False),
        PrimaryKeyConstraint("kind", "recipient_id"),
    )
    reminders = Table(
        "reminders",
        metadata,
        Column("kind", String(20), nullable=False),
        Column("recipient_id", String(64), nullable=False),
        Column("key", String(200), nullable=False),
        Column("last_at", UtcDateTime(), nullable=False),
        Column("sent", Integer, nullable=False),
        PrimaryKeyConstraint("kind", "recipient_id", "key"),
    )
    subjects = Table(
        "subjects",
        metadata,
        Column("kind", String(10), nullable=False),
        Column("subject_id", String(64), nullable=False),
        Column("township", String(12), nullable=False),
        Column("title", Text, nullable=False, default=""),
        Column("lead_unit_id", String(64), nullable=True),
        Column("deputy_ids", JSON, nullable=False),
        PrimaryKeyConstraint("kind", "subject_id"),
    )
    directory_version = Table(
        "directory_version",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("version", BigInteger, nullable=False),
    )
    return Tables(
        deliveries,
        inbox_items,
        townships,
        recipients,
        contacts,
        office_holders,
        preferences,
        reminders,
        subjects,
        directory_version,
    )


Schema = KitSchema[Tables]
"""The metadata (for Alembic and tests) and the service's tables on it."""


def make_schema() -> Schema:
    """Return a fresh metadata with the kit's tables and the service's."""
    return schema_of(define_tables)
