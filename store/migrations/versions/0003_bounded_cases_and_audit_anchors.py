"""Bounded cases and audit anchors: the archive of settled records that leave a case's state,
the office on break-glass audit entries, and the anchors of the audit chain's head.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.tables

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_record',
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('case_id', 'kind', 'position')
    )
    op.create_table('audit_anchor',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', store.tables.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq')
    )
    # Anchors are kept like the log: never changed, never removed.
    refuse = "audit_anchor is append-only"
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""CREATE FUNCTION audit_anchor_append_only() RETURNS trigger
                       LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{refuse}'; END $$""")
        op.execute("""CREATE TRIGGER audit_anchor_no_change BEFORE UPDATE OR DELETE
                      ON audit_anchor FOR EACH ROW EXECUTE FUNCTION audit_anchor_append_only()""")
        op.execute("""CREATE TRIGGER audit_anchor_no_truncate BEFORE TRUNCATE ON audit_anchor
                      FOR EACH STATEMENT EXECUTE FUNCTION audit_anchor_append_only()""")
    else:
        for when in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER audit_anchor_no_{when.lower()} BEFORE {when}
                           ON audit_anchor BEGIN SELECT RAISE(ABORT, '{refuse}'); END""")
    # A new column is no UPDATE: the append-only triggers let it be added.
    with op.batch_alter_table('audit_log', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('office', sqlmodel.sql.sqltypes.AutoString(length=30),
                                      nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_log_office'), ['office'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None, recreate='never') as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_office'))
        batch_op.drop_column('office')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE audit_anchor")  # its triggers with it
        op.execute("DROP FUNCTION audit_anchor_append_only()")
    else:
        op.drop_table('audit_anchor')
    op.drop_table('case_record')
