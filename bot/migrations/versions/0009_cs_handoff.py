"""The FS → CS hand-off of a won deal is timed and accepted: accounts get its state, deadline and
the kickoff date the CSM schedules.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 10:40:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handoff_state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('handoff_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('kickoff_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('kickoff_on')
        batch_op.drop_column('handoff_due_at')
        batch_op.drop_column('handoff_state')
