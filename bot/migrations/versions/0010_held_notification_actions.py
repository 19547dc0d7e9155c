"""Held notifications keep the buttons of the DM they stand for (a digest item stays actionable) and
are found by their identity (person, link key) — a repeat is never digested twice.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 10:45:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('held_notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actions', sa.JSON(), nullable=True))
        batch_op.create_index('ix_held_person_link', ['person_id', 'link_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('held_notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_held_person_link')
        batch_op.drop_column('actions')
