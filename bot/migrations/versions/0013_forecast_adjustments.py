"""Manager adjustments of a forecast: a manager's override of a rep's or the team's number for a
period, with the reason; rows are only ever added (the latest is the adjusted number, the rest its
history).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 10:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('forecast_adjustments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('period_kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('from_amount', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('adjusted_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('adjusted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('forecast_adjustments', schema=None) as batch_op:
        batch_op.create_index('ix_forecast_adjustments_subject', ['scope', 'subject', 'period_kind', 'period_start', 'adjusted_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('forecast_adjustments', schema=None) as batch_op:
        batch_op.drop_index('ix_forecast_adjustments_subject')
    op.drop_table('forecast_adjustments')
