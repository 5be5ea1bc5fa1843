"""The service's tables, declared on the metadata that also carries the kit's tables.

Townships and deputies are a projection of ``deputies.events`` (names for reports, mandates
that ended). A case is stored as one JSON document (the aggregate) plus the columns lists, statistics and
the chase scheduler filter on; its timeline is an append-only table of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from kit.attachments import attachment_table
from kit.db import Schema as KitSchema, UtcDateTime, schema_of


@dataclass(frozen=True)
class Tables:
    """Every table of the cases service."""

    units: Table
    township_clocks: Table
    cases: Table
    case_units: Table
    case_deputies: Table
    constituents: Table
    timeline: Table
    topics: Table
    digests: Table
    instructions: Table
    townships: Table
    deputies: Table
    calendar_years: Table


def define_tables(metadata: MetaData) -> Tables:
    """Define the service's tables on a metadata (the kit's tables go on the same one)."""
    units = Table(
        "units",
        metadata,
        Column("unit_id", String(64), primary_key=True),
        Column("name", String(200), nullable=False),
        Column("scope", String(12), nullable=False),
        Column("active", Boolean, nullable=False, default=True),
        Column("created_at", UtcDateTime(), nullable=False),
    )
    township_clocks = Table(
        "township_clocks",
        metadata,
        Column("township", String(9), primary_key=True),
        Column("opinion_days", Integer, nullable=False),
        Column("updated_at", UtcDateTime(), nullable=False),
        Column("updated_by", String(120), nullable=False),
    )
    cases = Table(
        "cases",
        metadata,
        Column("case_id", String(64), primary_key=True),
        Column("kind", String(20), nullable=False),
        Column("township", String(9), nullable=False),
        Column("state", String(20), nullable=False),
        Column("category", String(100), nullable=False),
        Column("title", String(200), nullable=False),
        Column("submitter", String(64), nullable=False),
        Column("lead_unit_id", String(64), nullable=True),
        Column("received_on", Date, nullable=False),
        Column("due_on", Date, nullable=True),
        Column("chase_on", Date, nullable=True),
        Column("key_chase", Boolean, nullable=False),
        Column("solved", Boolean, nullable=False),
        Column("replied_on", Date, nullable=True),
        Column("reply_class", String(1), nullable=True),
        Column("on_time", Boolean, nullable=True),
        Column("result", String(30), nullable=True),
        Column("doc", JSON, nullable=False),
        Column("version", Integer, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("updated_at", UtcDateTime(), nullable=False),
        Column("tokens", JSON, nullable=True),  # term -> count of title and content, at intake
        Index("ix_cases_township_received", "township", "received_on"),
        Index("ix_cases_state_township_due", "state", "township", "due_on"),
        Index("ix_cases_lead_unit", "lead_unit_id"),
        Index(
            "ix_cases_chase_on",
            "chase_on",
            postgresql_where=Column("chase_on").isnot(None),
            sqlite_where=Column("chase_on").isnot(None),
        ),
    )
    case_units = Table(
        "case_units",
        metadata,
        Column("unit_id", String(64), nullable=False),
        Column("case_id", String(64), nullable=False),
        Column("role", String(10), nullable=False),
        PrimaryKeyConstraint("unit_id", "case_id"),
        Index("ix_case_units_case", "case_id"),
    )
    case_deputies = Table(
        "case_deputies",
        metadata,
        Column("deputy_id", String(64), nullable=False),
        Column("case_id", String(64), nullable=False),
        Column("position", Integer, nullable=False),
        PrimaryKeyConstraint("deputy_id", "case_id"),
        Index("ix_case_deputies_case", "case_id"),
    )
    constituents = Table(
        "constituents",
        metadata,
        Column("case_id", String(64), primary_key=True),
        Column("name", String(100), nullable=False),
        Column("phone", String(40), nullable=True),
        Column("address", String(300), nullable=True),
    )
    timeline = Table(
        "case_timeline",
        metadata,
        Column("case_id", String(64), nullable=False),
        Column("seq", Integer, nullable=False),
        Column("at", UtcDateTime(), nullable=False),
        Column("actor", String(120), nullable=False),
        Column("action", String(30), nullable=False),
        Column("before", String(20), nullable=True),
        Column("after", String(20), nullable=False),
        Column("comment", Text, nullable=False),
        PrimaryKeyConstraint("case_id", "seq"),
    )
    topics = Table(
        "topics",
        metadata,
        Column("topic_id", String(64), primary_key=True),
        Column("township", String(9), nullable=False),
        Column("year", Integer, nullable=False),
        Column("state", String(20), nullable=False),
        Column("title", String(300), nullable=False),
        Column("doc", JSON, nullable=False),
        Column("version", Integer, nullable=False),
        Column("updated_at", UtcDateTime(), nullable=False),
        Index("ix_topics_township_year", "township", "year"),
    )
    digests = Table(
        "digests",
        metadata,
        Column("digest_id", String(64), primary_key=True),
        Column("scope", String(12), nullable=False),
        Column("title", String(200), nullable=False),
        Column("period_start", Date, nullable=False),
        Column("period_end", Date, nullable=False),
        Column("case_count", Integer, nullable=False),
        Column("markdown", Text, nullable=False),
        Column("docx", LargeBinary, nullable=False),
        Column("summary", JSON, nullable=False),
        Column("published_at", UtcDateTime(), nullable=False),
        Column("published_by", String(120), nullable=False),
        Index("ix_digests_scope", "scope", "period_end"),
    )
    instructions = Table(
        "instructions",
        metadata,
        Column("instruction_id", String(64), primary_key=True),
        Column("digest_id", String(64), nullable=False, index=True),
        Column("leader", String(100), nullable=False),
        Column("text", Text, nullable=False),
        Column("case_id", String(64), nullable=True),
        Column("follow_up_case_id", String(64), nullable=False),
        Column("outcome", String(20), nullable=False),
        Column("given_on", Date, nullable=False),
        Column("recorded_by", String(120), nullable=False),
        Column("recorded_at", UtcDateTime(), nullable=False),
    )
    townships = Table(
        "townships",
        metadata,
        Column("code", String(9), primary_key=True),
        Column("name", String(100), nullable=False),
        Column("kind", String(20), nullable=False),
    )
    deputies = Table(
        "deputies",
        metadata,
        Column("deputy_id", String(64), primary_key=True),
        Column("township", String(9), nullable=False),
        Column("name", String(100), nullable=False),
        Column("status", String(20), nullable=False),
        Column("version", Integer, nullable=False),
    )
    calendar_years = Table(
        "calendar_years",
        metadata,
        Column("year", Integer, primary_key=True),
        Column("digest", String(64), nullable=False),
        Column("loaded_at", UtcDateTime(), nullable=False),
    )
    return Tables(
        calendar_years=calendar_years,
        townships=townships,
        deputies=deputies,
        units=units,
        township_clocks=township_clocks,
        cases=cases,
        case_units=case_units,
        case_deputies=case_deputies,
        constituents=constituents,
        timeline=timeline,
        topics=topics,
        digests=digests,
        instructions=instructions,
    )


Schema = KitSchema[Tables]
"""The metadata (for Alembic and tests) and the service's tables on it."""


def make_schema() -> Schema:
    """Return a fresh metadata with the kit's tables and the service's (attachments: the kit's)."""
    schema = schema_of(define_tables)
    attachment_table(schema.metadata)
    return schema
