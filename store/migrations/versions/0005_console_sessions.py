"""The console's server-side sessions, and the desk's counts of what asks for attention.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.tables

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('console_session',
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('actor', sa.JSON(), nullable=False),
    sa.Column('csrf', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('expires_at', store.tables.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('token_hash')
    )
    with op.batch_alter_table('case_summary', schema=None) as batch_op:
        for column in ('escalations', 'declined_measures', 'awaiting_ack'):
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=False,
                                          server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('case_summary', schema=None) as batch_op:
        for column in ('escalations', 'declined_measures', 'awaiting_ack'):
            batch_op.drop_column(column)
    op.drop_table('console_session')
