"""The service's tables, declared on the metadata that also carries the kit's tables."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from kit.attachments import attachment_table
from kit.db import Schema as KitSchema, UtcDateTime, schema_of
from kit.db.tables import BigId


@dataclass(frozen=True)
class Tables:
    """Every table of the deputies service."""

    townships: Table
    stations: Table
    deputies: Table
    status_history: Table
    roster_verifications: Table
    activities: Table
    attendance: Table
    highlights: Table
    manuscripts: Table
    activity_townships: Table
    termination_flags: Table
    highlight_rules: Table
    planned_activities: Table
    planned_participants: Table
    feed_tokens: Table
    contact_proposals: Table


def _id() -> Column[str]:
    return Column("id", String(36), primary_key=True)


def define_tables(metadata: MetaData) -> Tables:
    """Define the service's tables on a metadata (the kit's tables go on the same one)."""
    townships = Table(
        "townships",
        metadata,
        Column("code", String(9), primary_key=True),
        Column("name", String(100), nullable=False),
        Column("kind", String(20), nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("roster_verified_at", UtcDateTime(), nullable=True),
        Column("roster_verified_by", String(120), nullable=True),
    )
    stations = Table(
        "stations",
        metadata,
        _id(),
        Column("township", String(9), ForeignKey("townships.code"), nullable=False, index=True),
        Column("name", String(200), nullable=False),
        Column("kind", String(20), nullable=False),
        Column("address", String(300), nullable=False),
        Column("schedule", String(300), nullable=False),
        Column("content", Text, nullable=False),
        Column("content_updated_at", UtcDateTime(), nullable=False),
        Column("version", Integer, nullable=False),
    )
    deputies = Table(
        "deputies",
        metadata,
        _id(),
        Column("township", String(9), ForeignKey("townships.code"), nullable=False),
        Column("name", String(100), nullable=False),
        Column("gender", String(10), nullable=False),
        Column("birth_date", Date, nullable=True),
        Column("ethnicity", String(40), nullable=True),
        Column("party", String(60), nullable=True),
        Column("occupation", String(200), nullable=True),
        Column("sector", String(100), nullable=True),
        Column("level_county", Boolean, nullable=False),
        Column("level_township", Boolean, nullable=False),
        Column("electoral_district", String(100), nullable=True),
        Column("deputy_group", String(100), nullable=True),
        Column("station_id", String(36), ForeignKey("stations.id"), nullable=True),
        Column("term", Integer, nullable=False),
        Column("elected_by", String(20), nullable=False),
        Column("status", String(20), nullable=False),
        Column("status_reason", String(20), nullable=False),
        Column("status_since", Date, nullable=True),
        Column("elected_on", Date, nullable=True),
        Column("suspended_county", Boolean, nullable=False, server_default=false()),
        Column("suspended_township", Boolean, nullable=False, server_default=false()),
        Column("phone", String(20), nullable=True),
        Column("id_number", String(18), nullable=True),
        Column("address", String(300), nullable=True),
        Column("version", Integer, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("updated_at", UtcDateTime(), nullable=False),
        UniqueConstraint("id_number", "term", name="uq_deputies_id_number_term"),
    )
    Index("ix_deputies_township_name", deputies.c.township, deputies.c.name, deputies.c.id)
    Index("ix_deputies_township_status", deputies.c.township, deputies.c.status)
    Index("ix_deputies_term", deputies.c.term)
    Index("ix_deputies_deputy_group", deputies.c.deputy_group)
    status_history = Table(
        "status_history",
        metadata,
        Column("seq", BigId, primary_key=True, autoincrement=True),
        Column("deputy_id", String(36), ForeignKey("deputies.id"), nullable=False, index=True),
        Column("from_status", String(20), nullable=True),
        Column("to_status", String(20), nullable=False),
        Column("reason", String(20), nullable=False),
        Column("effective_date", Date, nullable=False),
        Column("note", Text, nullable=True),
        Column("level", String(10), nullable=True),
        Column("state", String(20), nullable=False, server_default="applied"),
        Column("corrects_seq", BigId, nullable=True),
        Column("recorded_at", UtcDateTime(), nullable=False),
        Column("recorded_by", String(120), nullable=False),
    )
    roster_verifications = Table(
        "roster_verifications",
        metadata,
        Column("seq", BigId, primary_key=True, autoincrement=True),
        Column("township", String(9), ForeignKey("townships.code"), nullable=False, index=True),
        Column("verified_at", UtcDateTime(), nullable=False),
        Column("verified_by", String(120), nullable=False),
        Column("deputy_count", Integer, nullable=False),
        Column("note", Text, nullable=True),
    )
    activities = Table(
        "activities",
        metadata,
        _id(),
        Column("township", String(9), nullable=False),
        Column("type", String(30), nullable=False),
        Column("title", String(300), nullable=False),
        Column("level_county", Boolean, nullable=False),
        Column("level_township", Boolean, nullable=False),
        Column("held_on", Date, nullable=False),
        Column("duration_hours", Float, nullable=False),
        Column("station_id", String(36), nullable=True),
        Column("state", String(20), nullable=False),
        Column("version", Integer, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("updated_at", UtcDateTime(), nullable=False),
    )
    Index("ix_activities_township_held_on", activities.c.township, activities.c.held_on)
    Index("ix_activities_type", activities.c.type)
    attendance = Table(
        "attendance",
        metadata,
        Column("activity_id", String(36), ForeignKey("activities.id"), primary_key=True),
        Column("deputy_id", String(36), ForeignKey("deputies.id"), primary_key=True),
        Column("mark", String(30), nullable=False),
    )
    Index("ix_attendance_deputy_id", attendance.c.deputy_id)
    highlights = Table(
        "highlights",
        metadata,
        _id(),
        Column("township", String(9), ForeignKey("townships.code"), nullable=False),
        Column("year", Integer, nullable=False),
        Column("title", String(300), nullable=False),
        Column("summary", Text, nullable=False),
        Column("state", String(20), nullable=False, server_default="reported"),
        Column("version", Integer, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
    )
    Index("ix_highlights_township_year", highlights.c.township, highlights.c.year)
    manuscripts = Table(
        "manuscripts",
        metadata,
        _id(),
        Column("township", String(9), ForeignKey("townships.code"), nullable=False),
        Column("title", String(300), nullable=False),
        Column("author", String(100), nullable=False),
        Column("submitted_on", Date, nullable=False),
        Column("state", String(20), nullable=False),
        Column("outlet", String(200), nullable=True),
        Column("outlet_level", String(20), nullable=True),
        Column("placement", String(30), nullable=True),
        Column("published_on", Date, nullable=True),
        Column("evidence_url", String(1000), nullable=True),
        Column("version", Integer, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
    )
    Index(
        "ix_manuscripts_township_submitted_on", manuscripts.c.township, manuscripts.c.submitted_on
    )
    activity_townships = Table(
        "activity_townships",
        metadata,
        Column("activity_id", String(36), ForeignKey("activities.id"), primary_key=True),
        Column("township", String(9), primary_key=True),
    )
    Index("ix_activity_townships_township", activity_townships.c.township)
    termination_flags = Table(
        "termination_flags",
        metadata,
        Column("deputy_id", String(36), ForeignKey("deputies.id"), primary_key=True),
        Column("level", String(10), primary_key=True),
        Column("term", Integer, primary_key=True),
        Column("state", String(20), nullable=False),
        Column("event_id", String(64), nullable=False),
        Column("session_ids", Text, nullable=False),
        Column("changed_at", UtcDateTime(), nullable=False),
    )
    highlight_rules = Table(
        "highlight_rules",
        metadata,
        Column("township", String(9), ForeignKey("townships.code"), primary_key=True),
        Column("year", Integer, primary_key=True),
        Column("max_highlights", Integer, nullable=False),
        Column("updated_at", UtcDateTime(), nullable=False),
    )
    planned_activities, planned_participants, feed_tokens = _planning(metadata)
    contact_proposals = Table(
        "contact_proposals",
        metadata,
        _id(),
        Column("deputy_id", String(36), ForeignKey("deputies.id"), nullable=False),
        Column("township", String(9), nullable=False),
        Column("state", String(20), nullable=False),
        Column("fields", String(40), nullable=False),
        # the proposed values and those they replace: restricted, like the deputies' columns
        Column("phone", String(20), nullable=True),
        Column("address", String(300), nullable=True),
        Column("was_phone", String(20), nullable=True),
        Column("was_address", String(300), nullable=True),
        Column("base_version", Integer, nullable=False),
        Column("proposed_by", String(120), nullable=False),
        Column("proposed_at", UtcDateTime(), nullable=False),
        Column("decided_by", String(120), nullable=True),
        Column("decided_at", UtcDateTime(), nullable=True),
        Column("reason", String(500), nullable=True),
        Column("deputy_version", Integer, nullable=True),
    )
    Index(
        "ix_contact_proposals_township_state",
        contact_proposals.c.township,
        contact_proposals.c.state,
        contact_proposals.c.proposed_at,
    )
    Index(
        "ix_contact_proposals_deputy",
        contact_proposals.c.deputy_id,
        contact_proposals.c.proposed_at,
    )
    Index(
        "uq_contact_proposals_pending",
        contact_proposals.c.deputy_id,
        unique=True,
        postgresql_where=text("state = 'pending'"),
        sqlite_where=text("state = 'pending'"),
    )
    return Tables(
        townships=townships,
        stations=stations,
        deputies=deputies,
        status_history=status_history,
        roster_verifications=roster_verifications,
        activities=activities,
        attendance=attendance,
        highlights=highlights,
        manuscripts=manuscripts,
        activity_townships=activity_townships,
        termination_flags=termination_flags,
        highlight_rules=highlight_rules,
        planned_activities=planned_activities,
        planned_participants=planned_participants,
        feed_tokens=feed_tokens,
        contact_proposals=contact_proposals,
    )


def _planning(metadata: MetaData) -> tuple[Table, Table, Table]:
    """Planned activities, their expected deputies and the calendar feed tokens."""
    plans = Table(
        "planned_activities",
        metadata,
        _id(),
        Column("township", String(9), ForeignKey("townships.code"), nullable=False),
        Column("type", String(30), nullable=False),
        Column("title", String(300), nullable=False),
        Column("level_county", Boolean, nullable=False),
        Column("level_township", Boolean, nullable=False),
        Column("starts_at", UtcDateTime(), nullable=False),
        Column("ends_at", UtcDateTime(), nullable=False),
        Column("station_id", String(36), ForeignKey("stations.id"), nullable=True),
        Column("address", String(500), nullable=True),
        Column("state", String(20), nullable=False),
        Column("sequence", Integer, nullable=False),
        Column("version", Integer, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("updated_at", UtcDateTime(), nullable=False),
    )
    Index("ix_planned_activities_township_starts_at", plans.c.township, plans.c.starts_at)
    Index("ix_planned_activities_station_id", plans.c.station_id)
    expected = Table(
        "planned_participants",
        metadata,
        Column("plan_id", String(36), ForeignKey("planned_activities.id"), primary_key=True),
        Column("deputy_id", String(36), ForeignKey("deputies.id"), primary_key=True),
    )
    Index("ix_planned_participants_deputy_id", expected.c.deputy_id)
    tokens = Table(
        "feed_tokens",
        metadata,
        Column("id", String(32), primary_key=True),
        Column("subject", String(120), nullable=False, index=True),
        Column("roles", String(200), nullable=False),
        Column("scope", String(12), nullable=False),
        Column("deputy_id", String(36), nullable=True),
        Column("feed_kind", String(10), nullable=False),
        Column("feed_key", String(36), nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("revoked_at", UtcDateTime(), nullable=True),
    )
    return plans, expected, tokens


Schema = KitSchema[Tables]
"""The metadata (for Alembic and tests) and the service's tables on it."""


def make_schema() -> Schema:
    """Return a fresh metadata with the kit's tables and the service's (attachments: the kit's)."""
    schema = schema_of(define_tables)
    attachment_table(schema.metadata)
    return schema
