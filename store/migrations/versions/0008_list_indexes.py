"""Indexes that serve a filtered list and its order together (office, caseworker or phase,
then newest first): with only the filter's own index, the database sorted every case of the
office for each page (38 ms a page at 10,000 cases on SQLite).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 16:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

INDEXES = {"ix_case_summary_office_referred": "office",
           "ix_case_summary_caseworker_referred": "caseworker_id",
           "ix_case_summary_phase_referred": "phase"}


def upgrade() -> None:
    for name, column in INDEXES.items():
        op.create_index(name, "case_summary", [column, "referred_at", "case_id"])


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="case_summary")
