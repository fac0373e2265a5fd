"""Break-glass reasons in console sessions are sealed under the case's key from now on: the ones
kept in plain text before are dropped (the person states the reason again when next they reach
the case; the audit log keeps the reason they gave, sealed).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text("UPDATE console_session SET reasons = '{}'"))


def downgrade() -> None:
    """Nothing to restore: the sealed reasons are dropped too (sessions ask again)."""
    op.execute(sa.text("UPDATE console_session SET reasons = '{}'"))
