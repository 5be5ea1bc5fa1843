"""Fewer index entries a delivery writes: the key's unique index dropped, the status index split.

Every status change of a delivery (the claim, the mark) is a non-HOT update that writes an entry
into each of the table's indexes whose condition the new row meets. The unique key ``(event_id,
recipient_kind, recipient_id, channel)`` repeated the primary key: ``delivery_id`` is the UUIDv5 of
exactly that key, so the primary key holds one row per key alone. ``ix_deliveries_due (status,
next_at)`` took an entry at every change; the claim's due rows come from ``ix_deliveries_claimable``,
so it is replaced by two partial indexes that hold only the rows that are read through them: the
claimed rows by ``lease_until`` (the lapsed claims) and the digest items by ``next_at``.

Revision ID: 0006_deliveries_narrow
Revises: 0005_deliveries_claimable
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_deliveries_narrow"
down_revision = "0005_deliveries_claimable"

CLAIMED = "status = 'sending'"
DIGESTED = "status = 'digested'"


def upgrade() -> None:
    """Add the two partial indexes, then drop the status index and the unique key."""
    op.create_index(
        "ix_deliveries_claimed",
        "deliveries",
        ["lease_until"],
        postgresql_where=sa.text(CLAIMED),
        sqlite_where=sa.text(CLAIMED),
    )
    op.create_index(
        "ix_deliveries_digested",
        "deliveries",
        ["next_at"],
        postgresql_where=sa.text(DIGESTED),
        sqlite_where=sa.text(DIGESTED),
    )
    op.drop_index("ix_deliveries_due", table_name="deliveries")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint("uq_deliveries_event_id", type_="unique")


def downgrade() -> None:
    """Restore the unique key and the status index; drop the partial ones."""
    with op.batch_alter_table("deliveries") as batch:
        batch.create_unique_constraint(
            "uq_deliveries_event_id", ["event_id", "recipient_kind", "recipient_id", "channel"]
        )
    op.create_index("ix_deliveries_due", "deliveries", ["status", "next_at"])
    op.drop_index("ix_deliveries_digested", table_name="deliveries")
    op.drop_index("ix_deliveries_claimed", table_name="deliveries")
