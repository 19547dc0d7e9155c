"""person status (away) read by routing

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 12:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('person_status',
    sa.Column('person_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('away', sa.Boolean(), nullable=False),
    sa.Column('away_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('set_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.PrimaryKeyConstraint('person_id')
    )


def downgrade() -> None:
    op.drop_table('person_status')
