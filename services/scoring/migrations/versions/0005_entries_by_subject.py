"""The live entries of a batch's subjects read through an index led by ``subject``.

Revision ID: 0005_entries_by_subject
Revises: 0004_deputy_names
"""

from alembic import op

revision = "0005_entries_by_subject"
down_revision = "0004_deputy_names"


def upgrade() -> None:
    """Lead ``ix_entries_subject`` with ``subject`` (it led with the ledger's columns).

    The consumer reads a batch's subjects across every ledger with ``subject = ANY(…)`` alone:
    led by the ledger's columns, a planner without statistics on ``entries`` (a fresh database,
    its first autovacuum minute) walked the whole ledger through another index and filtered.
    """
    op.drop_index("ix_entries_subject", table_name="entries")
    op.create_index(
        "ix_entries_subject", "entries", ["subject", "county", "year", "rule_set_version"]
    )


def downgrade() -> None:
    """Lead it with the ledger's columns again."""
    op.drop_index("ix_entries_subject", table_name="entries")
    op.create_index(
        "ix_entries_subject", "entries", ["county", "year", "rule_set_version", "subject"]
    )
