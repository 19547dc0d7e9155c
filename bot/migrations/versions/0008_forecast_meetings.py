"""Forecast meetings get tables of their own: an occurrence, each prompted rep's baseline and
snapshot, and the reps' explanations (one row per answer) were a JSON blob in the `forecast_prompt`
timer's `data`. The timers stay as the trigger; their data keeps only meeting and occurrence.

Carried over: every prompted `forecast_prompt` timer (its data has `at` and `period_start`)
becomes an occurrence with the timer's id, so the buttons already sent in DMs (`<timer id>:<rep>`,
`p|<timer id>|<rep>`) still point at their meeting. The time an answer was written was never kept:
carried-over answers get the prompt's time. Answers under block ids the form never had are dropped.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 09:48:45
"""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_TS = sa.DateTime(timezone=True)
# The tables as this revision knows them (not the models, which move on).
TIMERS = sa.table('timers', sa.column('id', _ID), sa.column('kind', sa.String), sa.column('subject', sa.String),
                  sa.column('fired_at', _TS), sa.column('data', sa.JSON))
MEETINGS = sa.table('forecast_meetings', sa.column('id', _ID), sa.column('meeting_id', sa.String),
                    sa.column('occurrence', _TS), sa.column('period_kind', sa.String), sa.column('period_start', sa.Date),
                    sa.column('prompted_at', _TS), sa.column('summarised_at', _TS))
BASELINES = sa.table('forecast_meeting_baselines', sa.column('occurrence_id', _ID), sa.column('rep_id', sa.String),
                     sa.column('baseline', sa.JSON), sa.column('baseline_at', _TS), sa.column('snapshot', sa.JSON))
EXPLANATIONS = sa.table('forecast_explanations', sa.column('id', _ID), sa.column('occurrence_id', _ID),
                        sa.column('rep_id', sa.String), sa.column('block', sa.String), sa.column('opportunity_id', _ID),
                        sa.column('text', sa.String), sa.column('written_by', sa.String), sa.column('written_at', _TS))
BLOCK = re.compile(r"deal_(\d{1,18})|note")  # the Explain-changes form's blocks
OVER_AFTER = timedelta(hours=1)  # a summary fired this long after the meeting start was skipped


def _utc(v: Any) -> datetime | None:
    """An ISO string or a datetime (SQLite gives naive UTC) as an aware UTC datetime."""
    if isinstance(v, str):
        try:
            v = datetime.fromisoformat(v)
        except ValueError:
            return None
    if not isinstance(v, datetime):
        return None
    return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)


def _day(v: Any) -> date | None:
    try:
        return date.fromisoformat(str(v)[:10])
    except ValueError:
        return None


def _dict(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


def upgrade() -> None:
    op.create_table('forecast_meetings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('meeting_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('occurrence', sa.DateTime(timezone=True), nullable=False),
    sa.Column('period_kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('prompted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('summarised_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('meeting_id', 'occurrence', name='uq_forecast_meeting_occurrence')
    )
    op.create_table('forecast_meeting_baselines',
    sa.Column('occurrence_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('rep_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('baseline', sa.JSON(), nullable=True),
    sa.Column('baseline_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('snapshot', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('occurrence_id', 'rep_id')
    )
    op.create_table('forecast_explanations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('occurrence_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('rep_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('block', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('opportunity_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('written_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('occurrence_id', 'rep_id', 'block', name='uq_forecast_explanation_answer')
    )
    with op.batch_alter_table('forecast_explanations', schema=None) as batch_op:
        batch_op.create_index('ix_forecast_explanations_deal', ['opportunity_id'], unique=False)
    _carry_over(op.get_bind())


def _carry_over(conn: sa.Connection) -> None:
    t = TIMERS
    summarised: dict[str, datetime] = {}
    for subject, fired_at in conn.execute(sa.select(t.c.subject, t.c.fired_at).where(t.c.kind == 'forecast_summary', t.c.fired_at.is_not(None))):
        at = _utc(fired_at)
        summarised[subject] = min(summarised.get(subject, at), at)
    meetings: list[dict] = []
    baselines: dict[tuple[int, str], dict] = {}
    answers: dict[tuple[int, str], dict[str, str]] = {}
    seen: dict[tuple[str, datetime], int] = {}  # (meeting, occurrence) → occurrence id
    trimmed: list[tuple[int, dict]] = []
    for timer_id, subject, data in conn.execute(sa.select(t.c.id, t.c.subject, t.c.data).where(t.c.kind == 'forecast_prompt').order_by(t.c.id)):
        data = _dict(data)
        meeting, occurrence = data.get('meeting'), _utc(data.get('occurrence'))
        if set(data) - {'meeting', 'occurrence'}:
            trimmed.append((timer_id, {'meeting': data.get('meeting'), 'occurrence': data.get('occurrence')}))
        prompted_at, period_start = _utc(data.get('at')), _day(data.get('period_start'))
        if not isinstance(meeting, str) or occurrence is None or prompted_at is None or period_start is None:
            continue  # never prompted (not due yet, or fired after the meeting had started)
        occ_id = seen.get((meeting, occurrence))
        if occ_id is None:  # a second prompt timer of one occurrence (lead_time changed) joins the first
            occ_id = seen[(meeting, occurrence)] = timer_id
            summary_at = summarised.get(subject)
            meetings.append({'id': timer_id, 'meeting_id': meeting[:100], 'occurrence': occurrence,
                             'period_kind': str(data.get('period') or 'quarter')[:10], 'period_start': period_start,
                             'prompted_at': prompted_at,
                             'summarised_at': summary_at if summary_at and summary_at < occurrence + OVER_AFTER else None})
        base, base_at, snaps = _dict(data.get('baselines')), _dict(data.get('baseline_at')), _dict(data.get('snapshots'))
        for rep in dict.fromkeys([*base, *base_at, *snaps]):
            baselines.setdefault((occ_id, rep), {
                'occurrence_id': occ_id, 'rep_id': rep[:100], 'baseline': base.get(rep) or [],
                'baseline_at': _utc(base_at.get(rep)), 'snapshot': snaps.get(rep) or [],
            })
        for rep, given in _dict(data.get('explanations')).items():
            answers.setdefault((occ_id, rep), {}).update({k: v for k, v in _dict(given).items() if isinstance(v, str) and v.strip()})
    at_of = {m['id']: m['prompted_at'] for m in meetings}
    explanations = [
        {'occurrence_id': occ_id, 'rep_id': rep[:100], 'block': block, 'opportunity_id': int(m.group(1)) if m.group(1) else None,
         'text': text[:1000], 'written_by': rep[:100], 'written_at': at_of[occ_id]}
        for (occ_id, rep), given in answers.items()
        for block, text in given.items() if (m := BLOCK.fullmatch(block))
    ]
    if meetings:
        conn.execute(sa.insert(MEETINGS), meetings)
        if conn.dialect.name == 'postgresql':  # ids were given: new occurrences number on from the highest
            conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('forecast_meetings', 'id'), (SELECT max(id) FROM forecast_meetings))"))
    if baselines:
        conn.execute(sa.insert(BASELINES), list(baselines.values()))
    if explanations:
        conn.execute(sa.insert(EXPLANATIONS), explanations)
    for timer_id, data in trimmed:
        conn.execute(sa.update(t).where(t.c.id == timer_id).values(data=data))


def downgrade() -> None:
    """Writes each occurrence back into its prompt timers' data, as the code before 0008 kept it.
    Prompts sent after 0008 carry occurrence ids in their buttons; older code reads them as timer ids."""
    conn = op.get_bind()
    t, m, b, e = TIMERS, MEETINGS, BASELINES, EXPLANATIONS
    occurrences = {r.id: r for r in conn.execute(sa.select(m))}
    back: dict[int, dict] = {
        i: {'period': r.period_kind, 'period_start': r.period_start.isoformat(), 'at': _utc(r.prompted_at).isoformat(),
            'baselines': {}, 'baseline_at': {}, 'snapshots': {}, 'explanations': {}}
        for i, r in occurrences.items()
    }
    for r in conn.execute(sa.select(b)):
        if r.occurrence_id in back:
            d = back[r.occurrence_id]
            at = _utc(r.baseline_at)
            d['baselines'][r.rep_id], d['snapshots'][r.rep_id] = r.baseline or [], r.snapshot or []
            d['baseline_at'][r.rep_id] = at.isoformat() if at else None
    for r in conn.execute(sa.select(e).order_by(e.c.id)):
        if r.occurrence_id in back:
            back[r.occurrence_id]['explanations'].setdefault(r.rep_id, {})[r.block] = r.text
    by_key = {(r.meeting_id, _utc(r.occurrence)): i for i, r in occurrences.items()}
    updates = []
    for timer_id, data in conn.execute(sa.select(t.c.id, t.c.data).where(t.c.kind == 'forecast_prompt')):
        data = _dict(data)
        occ_id = by_key.get((data.get('meeting'), _utc(data.get('occurrence'))))
        if occ_id is not None:
            updates.append((timer_id, {'meeting': data['meeting'], 'occurrence': data['occurrence'], **back[occ_id]}))
    for timer_id, data in updates:
        conn.execute(sa.update(t).where(t.c.id == timer_id).values(data=data))
    with op.batch_alter_table('forecast_explanations', schema=None) as batch_op:
        batch_op.drop_index('ix_forecast_explanations_deal')
    op.drop_table('forecast_explanations')
    op.drop_table('forecast_meeting_baselines')
    op.drop_table('forecast_meetings')
