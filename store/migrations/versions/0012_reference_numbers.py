"""Reference numbers a person can read out (`HEL-2026-0042`): each office's running number per
year, and each case's reference on its row (cases opened before have none).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reference_counter",
        sa.Column("office", sa.String(length=30), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("office", "year"),
    )
    with op.batch_alter_table("case_summary") as table:
        table.add_column(sa.Column("reference_number", sa.String(length=20), nullable=True))
        table.create_unique_constraint("uq_case_summary_reference_number", ["reference_number"])


def downgrade() -> None:
    with op.batch_alter_table("case_summary") as table:
        table.drop_constraint("uq_case_summary_reference_number", type_="unique")
        table.drop_column("reference_number")
    op.drop_table("reference_counter")
