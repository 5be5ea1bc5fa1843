"""The kit's tables.

Revision ID: 0001
Revises:
"""

from alembic import op

from kit.migrate import create_kit_tables, drop_kit_tables

revision = "0001"
down_revision = None


def upgrade() -> None:
    """Create outbox, inbox, audit log and leases."""
    create_kit_tables(op)


def downgrade() -> None:
    """Drop them."""
    drop_kit_tables(op)
