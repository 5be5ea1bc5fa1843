"""The kit's announcements_made table replaces the service's own announcements table (rows kept).

Revision ID: 0002_announced
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from kit.migrate import create_announcements_made, drop_announcements_made

revision = "0002_announced"
down_revision = "0002"


def upgrade() -> None:
    """Create the kit table, move every announcement made (kind → scope), drop the old table."""
    create_announcements_made(op)
    op.execute(
        "INSERT INTO announcements_made (scope, key, made_at)"
        " SELECT kind, key, announced_at FROM announcements"
    )
    op.drop_table("announcements")


def downgrade() -> None:
    """Bring the service's own table back with the kit table's rows."""
    op.create_table(
        "announcements",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", name=op.f("pk_announcements")),
    )
    op.execute(
        "INSERT INTO announcements (kind, key, announced_at)"
        " SELECT scope, key, made_at FROM announcements_made"
    )
    drop_announcements_made(op)
