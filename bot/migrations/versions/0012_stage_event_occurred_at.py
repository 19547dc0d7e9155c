"""Stage events carry when a fact happened in the business (`occurred_at`: a close date, an activity
time) as well as when Baton recorded it (`at`). Every event so far was recorded as it happened:
the backfill is occurred_at = at. The stage roll-up (a cache keyed by the day a fact happened)
is emptied so the next fold rebuilds it on the new time basis.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 10:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stage_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE stage_events SET occurred_at = at")
    with op.batch_alter_table('stage_events', schema=None) as batch_op:
        batch_op.alter_column('occurred_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index('ix_stage_events_to_occurred', ['to_stage', 'occurred_at'], unique=False)
    # The roll-up was keyed by the record day: rebuild it from the events (it is only a cache).
    op.execute("DELETE FROM stage_day_counts")
    op.execute("DELETE FROM stage_exits")
    op.execute("UPDATE stage_fold SET watermark = 0, pending_id = NULL, pending_xmax = NULL")


def downgrade() -> None:
    op.execute("DELETE FROM stage_day_counts")
    op.execute("DELETE FROM stage_exits")
    op.execute("UPDATE stage_fold SET watermark = 0, pending_id = NULL, pending_xmax = NULL")
    with op.batch_alter_table('stage_events', schema=None) as batch_op:
        batch_op.drop_index('ix_stage_events_to_occurred')
        batch_op.drop_column('occurred_at')
