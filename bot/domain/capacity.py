"""Capacity planning (THE MODEL): revenue per rep = average deal size × deals won per rep per year;
reps needed = target ÷ revenue per rep, adjusted for the ramp-up of new hires; IS capacity against
MQL volume; the pipeline next quarter needs against the current creation pace.

Hires ramp linearly from 0 to full productivity over `ramp_months`: over the 12 months ahead, a
hire active for m months contributes (m − ramp/2)/12 of a rep (m²/(2·ramp)/12 while m < ramp).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from bot.context import UnitOfWork
from bot.domain import pipeline as pl
from bot.domain.bottleneck import average_deal
from bot.domain.people import away_now
from bot.models import Opportunity, StageEvent
from bot.periods import Period, period_of, shift


def ramp_fte(months_active: int, ramp: int) -> float:
    """Share of a full-year rep a hire adds over 12 months when active for `months_active` of them."""
    m = max(0, min(12, months_active))
    if ramp <= 0:
        return m / 12
    if m >= ramp:
        return (m - ramp / 2) / 12
    return (m * m / (2 * ramp)) / 12


def _months_between(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


@dataclass
class CapacityPlan:
    year: Period
    target: Decimal | None
    average_deal: Decimal
    average_from_history: bool
    won_deals: int
    fs_reps: int
    deals_per_rep_year: float
    deals_from_history: bool
    revenue_per_rep: Decimal
    reps_needed: float | None
    effective_reps: float
    hires: list[dict] = field(default_factory=list)
    hires_needed: int | None = None  # more reps to hire now to reach the target, ramp-up included
    is_reps: int = 0
    is_capacity_per_day: float = 0.0
    mqls_per_day: float = 0.0
    is_load: float | None = None
    next_quarter: Period | None = None
    target_given: bool = False  # the target was typed with /capacity, not app.yaml's
    next_target: Decimal | None = None
    win_rate: float = 0.0
    required_next: Decimal | None = None
    created_pace: Decimal = Decimal(0)  # pipeline created in the last 90 days
    pace_ratio: float | None = None
    history_months: float = 0.0  # the history actually available (≤ capacity.history_months)
    closed_deals: int = 0  # won + lost in it


async def plan(uow: UnitOfWork, *, now: datetime | None = None, period: Period | None = None, target: Decimal | None = None) -> CapacityPlan:
    """`period` (a fiscal year; default: this one) and `target` (default: that year's target in
    app.yaml) are what `/capacity [target|period]` lets a manager try."""
    cfg = uow.config
    target_given = target is not None
    cap = cfg.pipeline.capacity
    now = now or uow.now()
    tz = cfg.calendar(None).tz
    today = now.astimezone(tz).date()
    start_month = cfg.company.fiscal_year_start_month
    fs = cfg.fs_team()
    fs_id = fs.id if fs else None
    fs_reps = [m for m in (fs.members if fs else []) if cfg.person(m) and "fs_rep" in cfg.person(m).roles]
    o = Opportunity
    since = now - relativedelta(months=cap.history_months)
    # The span of history actually there: from the first deal event (by when it happened), at most the window.
    firsts = [
        await uow.session.scalar(select(func.min(StageEvent.occurred_at)).where(StageEvent.entity_type == "opportunity")),
        await uow.session.scalar(select(func.min(o.closed_at)).where(o.status.in_(("won", "lost")))),
    ]
    first = min((f for f in firsts if f is not None), default=None)
    span_start = max(since, first) if first is not None else now
    months = max(0.0, (now - span_start).days / (365.25 / 12))
    closed = dict((await uow.session.execute(
        select(o.status, func.count()).where(o.status.in_(("won", "lost")), o.closed_at >= span_start, o.closed_at <= now).group_by(o.status)
    )).all())  # fmt: skip
    won_deals, closed_deals = int(closed.get("won", 0)), int(closed.get("won", 0)) + int(closed.get("lost", 0))
    enough = months >= cap.min_history_months and closed_deals >= cap.min_closed_deals and won_deals > 0
    if enough:
        avg, has_avg = await average_deal(uow, now, cap.history_months), True
    else:
        avg, has_avg = cap.average_deal_size or await average_deal(uow, now, cap.history_months), False
    if enough and fs_reps:
        per_rep, from_history = won_deals / len(fs_reps) * 12 / months, True
    else:
        per_rep, from_history = cap.deals_won_per_rep_per_year, False
    revenue_per_rep = (avg * Decimal(str(per_rep))).quantize(Decimal(1), rounding=ROUND_HALF_UP)

    year = period or period_of("year", today, start_month)
    target = target if target is not None else pl.team_target(uow, year, fs_id)
    reps_needed = float(target / revenue_per_rep) if target is not None and revenue_per_rep else None
    horizon = today + relativedelta(months=12)
    hires, effective = [], float(len(fs_reps))
    for h in cap.hires:
        if h.role != "fs":
            continue
        start = max(h.start, today)
        fte = ramp_fte(_months_between(start, horizon), cap.ramp_months)
        person = cfg.person(h.person) if h.person else None
        ramped_already = h.start <= today - relativedelta(months=cap.ramp_months)
        if person and person.id in fs_reps:
            effective -= 1  # counted as a full rep above: replace by their ramp
            if ramped_already:
                fte = 1.0
        hires.append({"name": h.name or (person.name if person else h.person), "start": h.start, "fte": fte})
        effective += fte
    hires_needed = None
    if reps_needed is not None:
        per_new = ramp_fte(12, cap.ramp_months)
        hires_needed = max(0, math.ceil(round((reps_needed - effective) / per_new, 6))) if per_new else None

    # IS: reps at work today × MQLs a rep can work per day, against MQLs per working day lately.
    is_reps = sorted({m for t in cfg.teams_by_function("inside_sales") for m in t.members
                      if cfg.person(m) and "is_rep" in cfg.person(m).roles})  # fmt: skip
    away = (await away_now(uow, is_reps) if is_reps else set()) | {m for m in is_reps if cfg.person(m).is_away_on(today)}
    working = [m for m in is_reps if m not in away]
    is_capacity = len(working) * cap.is_mqls_per_rep_per_day
    window_from = now - timedelta(days=28)
    ev = StageEvent
    mqls = int(await uow.session.scalar(
        select(func.count()).where(ev.to_stage == "mql", ev.occurred_at >= window_from, ev.occurred_at < now, ev.entity_type == "lead",
                                   (ev.from_stage.is_(None)) | (ev.from_stage != "mql"))
    ) or 0)  # fmt: skip
    days = sum(1 for i in range(28) if cfg.calendar(None).is_working_day((window_from + timedelta(days=i)).astimezone(tz).date())) or 1
    mqls_per_day = mqls / days

    nq = shift(period_of("quarter", today, start_month), 1, start_month)
    next_target = pl.team_target(uow, nq, fs_id)
    rates = await pl.win_rates(uow, team_id=fs_id, now=now)
    required = pl.required_pipeline(next_target, rates.overall)
    # Pipeline created by business time: a deal first synced already closed last quarter was not created lately.
    born = select(ev.entity_id).where(
        ev.entity_type == "opportunity", ev.from_stage.is_(None), ev.occurred_at >= now - timedelta(days=90), ev.occurred_at < now
    )
    created = Decimal(await uow.session.scalar(select(func.coalesce(func.sum(pl.jpy(uow)), 0)).where(o.id.in_(born))) or 0)
    return CapacityPlan(
        year=year, target=target, average_deal=avg, average_from_history=has_avg, won_deals=won_deals, fs_reps=len(fs_reps),
        deals_per_rep_year=per_rep, deals_from_history=from_history, revenue_per_rep=revenue_per_rep, reps_needed=reps_needed,
        effective_reps=effective, hires=hires, hires_needed=hires_needed, is_reps=len(working), is_capacity_per_day=is_capacity,
        mqls_per_day=mqls_per_day, is_load=(mqls_per_day / is_capacity) if is_capacity else None, next_quarter=nq,
        next_target=next_target, win_rate=rates.overall, required_next=required, created_pace=created,
        pace_ratio=float(created / required) if required else None, history_months=months, closed_deals=closed_deals,
        target_given=target_given,
    )  # fmt: skip
