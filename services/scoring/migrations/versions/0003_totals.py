"""The deputy totals projection and the index the consumer's capped sums read.

Revision ID: 0003_totals
Revises: 0002_publications
"""

import sqlalchemy as sa
from alembic import op
from kit.db import UtcDateTime

revision = "0003_totals"
down_revision = "0002_publications"


def upgrade() -> None:
    """Create ``deputy_totals`` and ``ix_entries_rule``."""
    op.create_table(
        "deputy_totals",
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("rule_set_version", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.String(length=64), nullable=False),
        sa.Column("township", sa.String(length=12), nullable=False),
        sa.Column("total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("confirmed_total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("by_category", sa.JSON(), nullable=False),
        sa.Column("minimums", sa.JSON(), nullable=False),
        sa.Column("grade", sa.String(length=20), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint(
            "county", "year", "rule_set_version", "deputy_id", name=op.f("pk_deputy_totals")
        ),
    )
    op.create_index(
        "ix_deputy_totals_rank",
        "deputy_totals",
        ["county", "year", "rule_set_version", "total"],
    )
    op.create_index(
        "ix_entries_rule",
        "entries",
        ["county", "year", "rule_set_version", "rule_id", "deputy_id"],
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_entries_rule", table_name="entries")
    op.drop_index("ix_deputy_totals_rank", table_name="deputy_totals")
    op.drop_table("deputy_totals")
