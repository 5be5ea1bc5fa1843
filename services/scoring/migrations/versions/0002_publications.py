"""Publications (亮分), contests and their resolutions, assessment rules and publications, decisions.

Revision ID: 0002_publications
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from kit.db import UtcDateTime

revision = "0002_publications"
down_revision = "0001"


def upgrade() -> None:
    """Create the publication, contest, assessment rule and decision tables."""
    op.create_table(
        "publications",
        sa.Column("publication_id", sa.String(length=64), nullable=False),
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("township", sa.String(length=12), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("rule_set_version", sa.Integer(), nullable=False),
        sa.Column("standings", sa.JSON(), nullable=False),
        sa.Column("published_by", sa.String(length=120), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("publication_id", name=op.f("pk_publications")),
        sa.UniqueConstraint("township", "period", name="uq_publications_township_period"),
    )
    op.create_index("ix_publications_county", "publications", ["county", "year"], unique=False)
    op.create_table(
        "contests",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("deputy_id", sa.String(length=64), nullable=False),
        sa.Column("township", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("contested_at", UtcDateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.String(length=120), nullable=True),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_contests")),
    )
    op.create_index(op.f("ix_contests_entry_id"), "contests", ["entry_id"], unique=False)
    op.create_index(op.f("ix_contests_deputy_id"), "contests", ["deputy_id"], unique=False)
    op.create_table(
        "assessment_rules",
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("activated_by", sa.String(length=120), nullable=True),
        sa.Column("activated_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("county", "year", "version", name=op.f("pk_assessment_rules")),
    )
    op.create_table(
        "assessment_publications",
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("rules_version", sa.Integer(), nullable=False),
        sa.Column("assessments", sa.JSON(), nullable=False),
        sa.Column("published_by", sa.String(length=120), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("county", "year", name=op.f("pk_assessment_publications")),
    )
    op.create_table(
        "grade_decisions",
        sa.Column("deputy_id", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("proposal", sa.String(length=20), nullable=False),
        sa.Column("township", sa.String(length=12), nullable=False),
        sa.Column("grade", sa.String(length=20), nullable=False),
        sa.Column("total", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=False),
        sa.Column("decided_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("deputy_id", "year", "proposal", name=op.f("pk_grade_decisions")),
    )


def downgrade() -> None:
    """Drop them again."""
    op.drop_table("grade_decisions")
    op.drop_table("assessment_publications")
    op.drop_table("assessment_rules")
    op.drop_index(op.f("ix_contests_deputy_id"), table_name="contests")
    op.drop_index(op.f("ix_contests_entry_id"), table_name="contests")
    op.drop_table("contests")
    op.drop_index("ix_publications_county", table_name="publications")
    op.drop_table("publications")
