"""Index the outbox by `key`: a decision finds the DMs of its lead by key, and the outbox only grows.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 10:10:00
"""
from __future__ import annotations

from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_outbox_key', 'outbox', ['key'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_outbox_key', table_name='outbox')
