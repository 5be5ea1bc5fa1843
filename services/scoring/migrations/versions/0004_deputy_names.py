"""The deputies' names, for leaderboards (public roster data from registration and updates).

Revision ID: 0004_deputy_names
Revises: 0003_totals
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_deputy_names"
down_revision = "0003_totals"


def upgrade() -> None:
    """Create ``deputy_names`` (filled by the consumer as roster events pass; a replay rebuilds it)."""
    op.create_table(
        "deputy_names",
        sa.Column("deputy_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("deputy_id", name=op.f("pk_deputy_names")),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("deputy_names")
