"""An address the roster has since changed (a deputy's new phone) is marked, and not used.

Revision ID: 0004_contacts_superseded
Revises: 0003_directory_version
"""

import sqlalchemy as sa
from alembic import op

from kit.db import UtcDateTime

revision = "0004_contacts_superseded"
down_revision = "0003_directory_version"


def upgrade() -> None:
    """Add contacts.superseded_at (null: the address is current)."""
    op.add_column("contacts", sa.Column("superseded_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    """Drop the column."""
    op.drop_column("contacts", "superseded_at")
