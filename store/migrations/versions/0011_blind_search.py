"""People, not ids: each case's label (who it is about, sealed under the case's key) for the
lists, and its blind-index terms (`store.blind`) for the search by name, birth date or
reference. Cases written before have neither until they next change or
`casework rebuild-read-model` writes them again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("case_summary", sa.Column("label", sa.LargeBinary(), nullable=True))
    op.create_table(
        "case_search",
        sa.Column("term", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("term", "case_id"),
    )
    op.create_index("ix_case_search_case_id", "case_search", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_search_case_id", table_name="case_search")
    op.drop_table("case_search")
    op.drop_column("case_summary", "label")
