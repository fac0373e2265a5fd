"""Intake: who referred a case (the agency's type) and on which day the referral was received,
for the intake desk; and the case a duplicate referral was merged into, for that case's page.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_summary") as table:
        table.add_column(sa.Column("referrer_type", sa.String(length=30), nullable=True))
        table.add_column(sa.Column("received_on", sa.Date(), nullable=True))
        table.add_column(sa.Column("duplicate_of", sa.String(length=20), nullable=True))
        table.create_index("ix_case_summary_duplicate_of", ["duplicate_of"])


def downgrade() -> None:
    with op.batch_alter_table("case_summary") as table:
        table.drop_index("ix_case_summary_duplicate_of")
        table.drop_column("duplicate_of")
        table.drop_column("received_on")
        table.drop_column("referrer_type")
