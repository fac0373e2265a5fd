"""The desk's counts of the work between the steps: an acute threat the police have not been
told of, the next appointment, plans awaiting approval, and changes of worker.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.tables

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COUNTS = ("plans_awaiting", "worker_changes")


def upgrade() -> None:
    with op.batch_alter_table("case_summary", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acute_danger", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("next_appointment_at", store.tables.UTCDateTime(),
                                      nullable=True))
        for column in COUNTS:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=False,
                                          server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("case_summary", schema=None) as batch_op:
        for column in ("acute_danger", "next_appointment_at", *COUNTS):
            batch_op.drop_column(column)
