"""Anonymous consultations: choices only (who asked, about what, what was advised), numbered
in a series of their own per office and year.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consultation",
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("office", sa.String(length=30), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("asked_by", sa.String(length=30), nullable=False),
        sa.Column("situation", sa.String(length=30), nullable=False),
        sa.Column("exploitation", sa.String(length=200), nullable=False),
        sa.Column("advice", sa.String(length=200), nullable=False),
        sa.Column("referral_recommended", sa.Boolean(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )
    op.create_index("ix_consultation_office_at", "consultation", ["office", "at"])


def downgrade() -> None:
    op.drop_index("ix_consultation_office_at", table_name="consultation")
    op.drop_table("consultation")
