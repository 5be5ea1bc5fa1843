"""The attachments table (metadata only, never the bytes), and its migration step."""

from __future__ import annotations

from alembic.operations import Operations
from sqlalchemy import BigInteger, Column, Index, MetaData, String, Table

from kit.db.tables import make_metadata
from kit.db.types import UtcDateTime

NAME = "attachments"


def attachment_table(metadata: MetaData) -> Table:
    """Define ``attachments`` on a metadata (or return it when already there)."""
    if NAME in metadata.tables:
        return metadata.tables[NAME]
    table = Table(
        NAME,
        metadata,
        Column("id", String(36), primary_key=True),
        Column("owner_type", String(30), nullable=False),
        Column("owner_id", String(36), nullable=False),
        Column("township", String(12), nullable=False),
        Column("file_name", String(255), nullable=False),
        Column("content_type", String(100), nullable=False),
        Column("size", BigInteger, nullable=False),
        Column("sha256", String(64), nullable=False),
        Column("storage_key", String(300), nullable=False),
        Column("uploaded_by", String(120), nullable=False),
        Column("uploaded_at", UtcDateTime(), nullable=False),
    )
    Index("ix_attachments_owner", table.c.owner_type, table.c.owner_id)
    return table


def create_attachments(op: Operations) -> None:
    """Create the attachments table (a service's migration step)."""
    attachment_table(make_metadata()).create(bind=op.get_bind())


def drop_attachments(op: Operations) -> None:
    """Drop the attachments table; the downgrade of ``create_attachments``."""
    op.drop_table(NAME)
