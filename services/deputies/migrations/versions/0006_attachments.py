"""Attachments: evidence files' metadata (the bytes live in the attachment store).

Revision ID: 0006_attachments
Revises: 0005_planned_activities
"""

from alembic import op

from kit.attachments import create_attachments, drop_attachments

revision = "0006_attachments"
down_revision = "0005_planned_activities"


def upgrade() -> None:
    """Create the attachments table."""
    create_attachments(op)


def downgrade() -> None:
    """Drop the attachments table."""
    drop_attachments(op)
