"""The sender's claim reads the due deliveries in next_at order from a partial index.

Without it PostgreSQL scanned the whole table and sorted what was due at every claim (11 ms at
10,000 rows, growing with the table); with it a claim reads as many index entries as it takes.

Revision ID: 0005_deliveries_claimable
Revises: 0004_contacts_superseded
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_deliveries_claimable"
down_revision = "0004_contacts_superseded"

CLAIMABLE = "status IN ('pending', 'retrying')"


def upgrade() -> None:
    """Add ix_deliveries_claimable (next_at of the pending and retrying rows)."""
    op.create_index(
        "ix_deliveries_claimable",
        "deliveries",
        ["next_at"],
        postgresql_where=sa.text(CLAIMABLE),
        sqlite_where=sa.text(CLAIMABLE),
    )


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_deliveries_claimable", table_name="deliveries")
