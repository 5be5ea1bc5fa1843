"""The service's tables, declared on the metadata that also carries the kit's tables.

Facts are the events scoring reads, kept whole (the replay source of every ledger); entries are
append-only and never updated: a rule set version derives its own rows, activation switches
which version is read; an entry's review status lives in ``entry_status`` and ``entry_reviews``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from kit.db import Schema as KitSchema, UtcDateTime, schema_of


@dataclass(frozen=True)
class Tables:
    """Every table of the scoring service."""

    rule_sets: Table
    facts: Table
    entries: Table
    entry_status: Table
    entry_reviews: Table
    parked: Table
    parked_waits: Table
    townships: Table
    deputies: Table
    activity_versions: Table
    activity_hours: Table
    case_signers: Table
    publications: Table
    contests: Table
    assessment_rules: Table
    assessment_publications: Table
    grade_decisions: Table
    deputy_totals: Table
    deputy_names: Table


def _rule_documents(name: str, metadata: MetaData) -> Table:
    """A versioned rule document per county and year (draft, active, retired)."""
    return Table(
        name,
        metadata,
        Column("county", String(6), primary_key=True),
        Column("year", Integer, primary_key=True),
        Column("version", Integer, primary_key=True),
        Column("status", String(10), nullable=False),
        Column("title", String(200), nullable=False),
        Column("document", Text, nullable=False),
        Column("created_by", String(120), nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("activated_by", String(120), nullable=True),
        Column("activated_at", UtcDateTime(), nullable=True),
    )


def define_tables(metadata: MetaData) -> Tables:
    """Define the service's tables on a metadata (the kit's tables go on the same one)."""
    rule_sets = _rule_documents("rule_sets", metadata)
    facts = Table(
        "facts",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(80), nullable=False),
        Column("county", String(6), nullable=False),
        Column("township", String(12), nullable=False),
        Column("envelope", JSON, nullable=False),
        Column("stored_at", UtcDateTime(), nullable=False),
        Index("ix_facts_county", "county", "seq"),
    )
    entries = Table(
        "entries",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("entry_id", String(36), nullable=False),
        Column("county", String(6), nullable=False),
        Column("year", Integer, nullable=False),
        Column("rule_set_version", Integer, nullable=False),
        Column("kind", String(10), nullable=False),
        Column("deputy_id", String(64), nullable=False),
        Column("township", String(12), nullable=False),
        Column("period", String(10), nullable=False),
        Column("occurred_on", Date, nullable=False),
        Column("rule_id", String(80), nullable=False),
        Column("category", String(20), nullable=False),
        Column("points", Numeric(10, 2), nullable=False),
        Column("capped_from", Numeric(10, 2), nullable=True),
        Column("subject", String(80), nullable=False),
        Column("source_event_id", String(36), nullable=False),
        Column("source_event_type", String(80), nullable=False),
        Column("compensates", String(36), nullable=True),
        Column("recorded_at", UtcDateTime(), nullable=False),
        UniqueConstraint("entry_id", "rule_set_version", name="uq_entries_version"),
        UniqueConstraint(
            "county",
            "year",
            "rule_set_version",
            "rule_id",
            "source_event_id",
            "deputy_id",
            "kind",
            name="uq_entries_rule_event_deputy",
        ),
        Index("ix_entries_deputy", "county", "year", "rule_set_version", "deputy_id"),
        Index("ix_entries_subject", "subject", "county", "year", "rule_set_version"),
        Index("ix_entries_rule", "county", "year", "rule_set_version", "rule_id", "deputy_id"),
    )
    entry_status = Table(
        "entry_status",
        metadata,
        Column("entry_id", String(36), primary_key=True),
        Column("status", String(20), nullable=False),
        Column("version", Integer, nullable=False),
        Column("updated_at", UtcDateTime(), nullable=False),
        Column("updated_by", String(120), nullable=False),
    )
    entry_reviews = Table(
        "entry_reviews",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("entry_id", String(36), nullable=False, index=True),
        Column("action", String(20), nullable=False),
        Column("status", String(20), nullable=False),
        Column("reviewer_id", String(120), nullable=False),
        Column("reason", Text, nullable=True),
        Column("at", UtcDateTime(), nullable=False),
    )
    parked = Table(
        "parked",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("envelope", JSON, nullable=False),
        Column("parked_at", UtcDateTime(), nullable=False),
    )
    parked_waits = Table(
        "parked_waits",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("waits_for", String(80), primary_key=True),
        Index("ix_parked_waits_for", "waits_for"),
    )
    townships = Table(
        "townships",
        metadata,
        Column("code", String(12), primary_key=True),
        Column("county", String(6), nullable=False),
        Column("kind", String(20), nullable=False),
    )
    deputies = Table(
        "deputies",
        metadata,
        Column("deputy_id", String(64), primary_key=True),
        Column("township", String(12), nullable=False),
        Column("status", String(20), nullable=False),
        Column("levels", JSON, nullable=False),
        Column("version", Integer, nullable=False),
    )
    # the names leaderboards show (public roster data; a status change does not carry one)
    deputy_names = Table(
        "deputy_names",
        metadata,
        Column("deputy_id", String(64), primary_key=True),
        Column("name", String(100), nullable=False),
        Column("version", Integer, nullable=False),
    )
    activity_versions = Table(
        "activity_versions",
        metadata,
        Column("subject", String(80), primary_key=True),
        Column("version", Integer, nullable=False),
    )
    # An own attendance mark carries no duration: it is scored with its activity's last one.
    activity_hours = Table(
        "activity_hours",
        metadata,
        Column("activity_id", String(64), primary_key=True),
        Column("hours", Numeric(8, 2), nullable=False),
    )
    case_signers = Table(
        "case_signers",
        metadata,
        Column("case_id", String(64), primary_key=True),
        Column("lead", String(64), nullable=False),
        Column("co_signers", JSON, nullable=False),
    )
    # 亮分: one row per township and period, the standings as published (never recomputed).
    publications = Table(
        "publications",
        metadata,
        Column("publication_id", String(64), primary_key=True),
        Column("county", String(6), nullable=False),
        Column("township", String(12), nullable=False),
        Column("year", Integer, nullable=False),
        Column("period", String(10), nullable=False),
        Column("period_start", Date, nullable=False),
        Column("period_end", Date, nullable=False),
        Column("rule_set_version", Integer, nullable=False),
        Column("standings", JSON, nullable=False),
        Column("published_by", String(120), nullable=False),
        Column("published_at", UtcDateTime(), nullable=False),
        UniqueConstraint("township", "period", name="uq_publications_township_period"),
        Index("ix_publications_county", "county", "year"),
    )
    # 错重漏: a deputy's contest of an entry and the county's resolution with its explanation.
    contests = Table(
        "contests",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("entry_id", String(36), nullable=False, index=True),
        Column("deputy_id", String(64), nullable=False, index=True),
        Column("township", String(12), nullable=False),
        Column("reason", Text, nullable=False),
        Column("contested_at", UtcDateTime(), nullable=False),
        Column("outcome", String(20), nullable=True),
        Column("explanation", Text, nullable=True),
        Column("resolved_by", String(120), nullable=True),
        Column("resolved_at", UtcDateTime(), nullable=True),
    )
    # The township assessment rules per county and year, versioned like the deputies' rule sets.
    assessment_rules = _rule_documents("assessment_rules", metadata)
    assessment_publications = Table(
        "assessment_publications",
        metadata,
        Column("county", String(6), primary_key=True),
        Column("year", Integer, primary_key=True),
        Column("rules_version", Integer, nullable=False),
        Column("assessments", JSON, nullable=False),
        Column("published_by", String(120), nullable=False),
        Column("published_at", UtcDateTime(), nullable=False),
    )
    # PIPL Art. 24: a grade's consequence is proposed by the system and decided by a person.
    grade_decisions = Table(
        "grade_decisions",
        metadata,
        Column("deputy_id", String(64), primary_key=True),
        Column("year", Integer, primary_key=True),
        Column("proposal", String(20), primary_key=True),
        Column("township", String(12), nullable=False),
        Column("grade", String(20), nullable=False),
        Column("total", Numeric(10, 2), nullable=False),
        Column("decision", String(20), nullable=False),
        Column("note", Text, nullable=False),
        Column("decided_by", String(120), nullable=False),
        Column("decided_at", UtcDateTime(), nullable=False),
    )
    # The projection of each deputy's numbers in each ledger (the consumer keeps it current).
    deputy_totals = Table(
        "deputy_totals",
        metadata,
        Column("county", String(6), primary_key=True),
        Column("year", Integer, primary_key=True),
        Column("rule_set_version", Integer, primary_key=True),
        Column("deputy_id", String(64), primary_key=True),
        Column("township", String(12), nullable=False),
        Column("total", Numeric(12, 2), nullable=False),
        Column("confirmed_total", Numeric(12, 2), nullable=False),
        Column("by_category", JSON, nullable=False),
        Column("minimums", JSON, nullable=False),
        Column("grade", String(20), nullable=False),
        Column("updated_at", UtcDateTime(), nullable=False),
        Index("ix_deputy_totals_rank", "county", "year", "rule_set_version", "total"),
    )
    return Tables(
        rule_sets,
        facts,
        entries,
        entry_status,
        entry_reviews,
        parked,
        parked_waits,
        townships,
        deputies,
        activity_versions,
        activity_hours,
        case_signers,
        publications,
        contests,
        assessment_rules,
        assessment_publications,
        grade_decisions,
        deputy_totals,
        deputy_names,
    )


Schema = KitSchema[Tables]
"""The metadata (for Alembic and tests) and the service's tables on it."""


def make_schema() -> Schema:
    """Return a fresh metadata with the kit's tables and the service's."""
    return schema_of(define_tables)
