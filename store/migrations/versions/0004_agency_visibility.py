"""The cases each agency's list shows, written by the projection from the one visibility rule.

Filled here once from the rows earlier projections wrote (the rule as SQL, as it was); every
projection from now on keeps it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_agency',
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('agency_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('involvement', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.PrimaryKeyConstraint('case_id', 'agency_id')
    )
    with op.batch_alter_table('case_agency', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_agency_agency_id'), ['agency_id'], unique=False)
    op.execute("""
        INSERT INTO case_agency (case_id, agency_id, involvement)
        SELECT case_id, agency_id,
               CASE WHEN min(kind) = max(kind) THEN min(kind) ELSE 'notified,provider' END
        FROM (
            SELECT n.case_id, n.agency_id, 'notified' AS kind
            FROM case_notification n JOIN case_summary c ON c.case_id = n.case_id
            WHERE n.agency_id IS NOT NULL AND n.status IN ('delivered', 'acknowledged')
              AND (n.legal_basis IS NOT NULL
                   OR (n.consent = 'share_with_agencies' AND c.shares_with_agencies)
                   OR (n.consent = 'contact_police' AND c.police_contact))
            UNION ALL
            SELECT m.case_id, m.provider_agency, 'provider'
            FROM case_measure m JOIN case_summary c ON c.case_id = m.case_id
            WHERE m.provider_agency IS NOT NULL AND c.shares_with_agencies
        ) involved
        GROUP BY case_id, agency_id""")


def downgrade() -> None:
    with op.batch_alter_table('case_agency', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_agency_agency_id'))
    op.drop_table('case_agency')
