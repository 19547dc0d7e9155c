"""Person settings get a table of their own: working hours, Slack profile zone and "has opened App
Home" were rows with pseudo-kinds (`_hours`, `_tz`, `_home`) in notification_preferences.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 09:20:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

PSEUDO = {"_hours": "working_hours", "_tz": "slack_tz", "_home": "home_opened_at"}
# The two tables as this revision knows them (not the models, which move on).
PREFS = sa.table('notification_preferences', sa.column('person_id', sa.String), sa.column('kind', sa.String),
                 sa.column('mode', sa.String), sa.column('updated_at', sa.DateTime(timezone=True)))
SETTINGS = sa.table('person_settings', sa.column('person_id', sa.String), sa.column('working_hours', sa.String),
                    sa.column('slack_tz', sa.String), sa.column('home_opened_at', sa.DateTime(timezone=True)),
                    sa.column('updated_at', sa.DateTime(timezone=True)))


def upgrade() -> None:
    op.create_table('person_settings',
    sa.Column('person_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('working_hours', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('slack_tz', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('home_opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('person_id')
    )
    conn = op.get_bind()
    prefs, settings = PREFS, SETTINGS
    rows: dict[str, dict] = {}
    for person_id, kind, mode, updated_at in conn.execute(
        sa.select(prefs.c.person_id, prefs.c.kind, prefs.c.mode, prefs.c.updated_at).where(prefs.c.kind.in_(list(PSEUDO)))
    ):
        row = rows.setdefault(person_id, {"person_id": person_id, "working_hours": None, "slack_tz": None,
                                          "home_opened_at": None, "updated_at": updated_at})
        row[PSEUDO[kind]] = updated_at if kind == "_home" else mode
        row["updated_at"] = max(row["updated_at"], updated_at)
    if rows:
        conn.execute(sa.insert(settings), list(rows.values()))
    conn.execute(sa.delete(prefs).where(prefs.c.kind.in_(list(PSEUDO))))


def downgrade() -> None:
    conn = op.get_bind()
    prefs, settings = PREFS, SETTINGS
    back = []
    for r in conn.execute(sa.select(settings)).mappings():
        for kind, col in PSEUDO.items():
            if r[col] is not None:
                mode = "yes" if kind == "_home" else r[col][:20]
                back.append({"person_id": r["person_id"], "kind": kind, "mode": mode, "updated_at": r["updated_at"]})
    if back:
        conn.execute(sa.insert(prefs), back)
    op.drop_table('person_settings')
