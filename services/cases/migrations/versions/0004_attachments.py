"""Attachments: files on cases (reply letters, photos); the bytes live in the attachment store.

Revision ID: 0004_attachments
Revises: 0002_announced
"""

from alembic import op

from kit.attachments import create_attachments, drop_attachments

revision = "0004_attachments"
down_revision = "0002_announced"


def upgrade() -> None:
    """Create the attachments table."""
    create_attachments(op)


def downgrade() -> None:
    """Drop the attachments table."""
    drop_attachments(op)
