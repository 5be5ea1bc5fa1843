"""The kit's announcements_made table.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from kit.migrate import create_announcements_made, drop_announcements_made

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    """Create announcements_made."""
    create_announcements_made(op)


def downgrade() -> None:
    """Drop it."""
    drop_announcements_made(op)
