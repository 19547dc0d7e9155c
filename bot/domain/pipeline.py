"""Pipeline numbers managers read: deal hygiene flags, win rates from history, coverage against target.

Everything here is aggregate SQL over indexed columns (`stage_events (to_stage, at)`,
`opportunities (status, close_date)` / `(team_id, status)`); Python only sees the filtered or
grouped rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import and_, func, or_, select

from bot.context import UnitOfWork
from bot.domain import stage_rollup
from bot.domain.amounts import in_jpy
from bot.domain.opportunities import missing_items
from bot.models import Lead, Opportunity
from bot.periods import Period, period_of, target_for

FLAG_ORDER = ("past_close", "overdue_action", "stalled", "missing")


@dataclass
class DealFlags:
    opportunity: Opportunity
    missing: list[str] = field(default_factory=list)
    past_close: bool = False
    overdue_action: bool = False
    stalled_days: int | None = None  # days since the last phase change, when over the phase's limit

    @property
    def flags(self) -> list[str]:
        out = []
        if self.past_close:
            out.append("past_close")
        if self.overdue_action:
            out.append("overdue_action")
        if self.stalled_days is not None:
            out.append("stalled")
        if self.missing:
            out.append("missing")
        return out


def _blank(col: Any) -> Any:
    return or_(col.is_(None), col == "")


def sourced_by(team_id: str) -> Any:
    """Deals an IS / marketing team sourced: made from a lead now routed to that team."""
    return Opportunity.source_lead_id.in_(select(Lead.id).where(Lead.team_id == team_id))


async def hygiene(
    uow: UnitOfWork, *, team_id: str | None = None, owner_id: str | None = None, today: date | None = None, now: datetime | None = None,
    sourced_by_team: str | None = None, where: Any = None,
) -> list[DealFlags]:
    """Open deals missing any of the 7 items, past their close date, with an overdue next action, or
    stalled (no phase change for longer than `pipeline.stalled_days[phase]`). Filtered in SQL."""
    now = now or uow.now()
    today = today or now.astimezone(uow.config.calendar(None).tz).date()
    limits = uow.config.pipeline.stalled_days
    o = Opportunity
    missing = or_(o.amount == 0, o.close_date.is_(None), _blank(o.next_action), _blank(o.key_person), _blank(o.competitors), _blank(o.risks))
    stalled = or_(*[and_(o.phase == p, o.phase_changed_at < now - timedelta(days=d)) for p, d in limits.items()]) if limits else False
    stmt = select(o).where(o.status == "open", or_(missing, o.close_date < today, o.next_action_due < today, stalled))
    if team_id:
        stmt = stmt.where(o.team_id == team_id)
    if sourced_by_team:
        stmt = stmt.where(sourced_by(sourced_by_team))
    if where is not None:  # a subquery of deal ids (a CS team: its accounts' upsells)
        stmt = stmt.where(o.id.in_(where))
    if owner_id:
        stmt = stmt.where(o.owner_id == owner_id)
    out = []
    for opp in (await uow.session.execute(stmt.order_by(o.owner_id, o.close_date, o.id))).scalars():
        f = DealFlags(opp, missing=missing_items(opp))
        f.past_close = opp.close_date is not None and opp.close_date < today
        f.overdue_action = opp.next_action_due is not None and opp.next_action_due < today
        limit = limits.get(opp.phase)
        if limit and opp.phase_changed_at and opp.phase_changed_at < now - timedelta(days=limit):
            f.stalled_days = (now - opp.phase_changed_at).days
        out.append(f)
    return out


# -- win rates ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class WinRates:
    overall: float  # from phase 1
    by_phase: dict[int, float]
    won: int
    lost: int
    from_history: bool  # False: the configured fallback (too few closed deals in the window)
    window_months: int


# A deal sent back at the SQL → FS hand-off was never worked by Field Sales: it is closed as lost
# with this reason, but it is the relay's outcome, not a sale lost, so win rates leave it out.
NOT_A_LOSS = ("sent_back",)


async def win_rates(uow: UnitOfWork, *, team_id: str | None = None, now: datetime | None = None) -> WinRates:
    """Per phase: of the deals closed in the window that reached phase k, the share won.

    A deal lost from phase j reached every phase ≤ j; a won deal passed all five. Fewer closed deals
    than `pipeline.win_rate_min_closed` → the configured fallback (a new team has no history).
    """
    cfg = uow.config.pipeline
    now = now or uow.now()
    since = now - relativedelta(months=cfg.win_rate_window_months)
    (counts,) = await stage_rollup.event_counts(uow, [(since, now)], ("won", "lost"))
    won = 0
    lost_from: dict[int, int] = {}
    for (et, frm, to, team, reason), n in counts.items():
        if et != "opportunity" or (team_id and team != team_id) or reason in NOT_A_LOSS:
            continue
        if to == "won":
            won += n
        else:
            phase = phase_of(frm) or 1
            lost_from[phase] = lost_from.get(phase, 0) + n
    lost = sum(lost_from.values())
    if won + lost < cfg.win_rate_min_closed:
        return WinRates(cfg.win_rate_fallback, dict(cfg.win_rate_fallback_by_phase), won, lost, False, cfg.win_rate_window_months)
    by_phase = {}
    for k in (1, 2, 3, 4, 5):
        reached_lost = sum(n for p, n in lost_from.items() if p >= k)
        by_phase[k] = won / (won + reached_lost) if won + reached_lost else 0.0
    return WinRates(by_phase[1], by_phase, won, lost, True, cfg.win_rate_window_months)


def phase_of(stage: str | None) -> int | None:
    """`phase_3` → 3; anything else (a lead stage, won/lost, a malformed name) → None."""
    if stage and stage.startswith("phase_") and stage[6:].isdecimal():
        return int(stage[6:])
    return None


# -- coverage -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Coverage:
    period: Period
    target: Decimal | None
    won: Decimal
    remaining: Decimal | None
    win_rate: float
    win_rate_from_history: bool
    required: Decimal | None  # remaining ÷ win rate
    pipeline: Decimal  # open deals closing in the period
    ratio: float | None  # pipeline ÷ required


def required_pipeline(remaining: Decimal | None, win_rate: float) -> Decimal | None:
    """THE MODEL: required pipeline = remaining target ÷ win rate, in whole yen (docs/metrics.md).
    The one definition: the digest, `/forecast`, `/capacity` all call it with `win_rates().overall`."""
    if remaining is None or win_rate <= 0:
        return None
    return (remaining / Decimal(str(win_rate))).quantize(Decimal(1))


def team_target(uow: UnitOfWork, period: Period, team_id: str | None) -> Decimal | None:
    """The team's target, or for the company the sum of every team's target for the period."""
    cfg, start = uow.config, uow.config.company.fiscal_year_start_month
    if team_id:
        return target_for(cfg.pipeline.targets, period, team=team_id, start_month=start)
    found = [target_for(cfg.pipeline.targets, period, team=t, start_month=start) for t in {x.team for x in cfg.pipeline.targets if x.team}]
    found = [f for f in found if f is not None]
    return sum(found, Decimal(0)) if found else None


def revenue_team(uow: UnitOfWork, team_id: str | None) -> str | None:
    """Deals live on the FS team: an IS team's digest reads the FS numbers of the company."""
    team = uow.config.team(team_id)
    return team.id if team and team.function == "field_sales" else None



def jpy(uow: UnitOfWork) -> Any:
    """A deal's amount in JPY as SQL (`amounts.in_jpy` at the configured rates): every sum of deal
    amounts — bookings, pipeline, coverage, the digest, capacity, the bottleneck — goes through it."""
    return in_jpy(Opportunity.amount, Opportunity.currency, dict(uow.config.forecast.currencies))


async def won_amount(uow: UnitOfWork, since: datetime, until: datetime, team_id: str | None = None) -> tuple[int, Decimal]:
    o = Opportunity
    stmt = select(func.count(), func.coalesce(func.sum(jpy(uow)), 0)).where(o.status == "won", o.closed_at >= since, o.closed_at < until)
    if team_id:
        stmt = stmt.where(o.team_id == team_id)
    n, total = (await uow.session.execute(stmt)).one()
    return int(n), Decimal(total)


def bounds(uow: UnitOfWork, period: Period, team_id: str | None = None) -> tuple[datetime, datetime]:
    tz = uow.config.team_calendar(team_id).tz
    return datetime.combine(period.start, time(), tz), datetime.combine(period.end, time(), tz)


async def coverage(uow: UnitOfWork, *, team_id: str | None = None, kind: str = "quarter", now: datetime | None = None, period: Period | None = None) -> Coverage:
    """Required pipeline = remaining target ÷ win rate (THE MODEL), against the open pipeline closing in the period."""
    now = now or uow.now()
    team = revenue_team(uow, team_id)
    tz = uow.config.team_calendar(team_id).tz
    period = period or period_of(kind, now.astimezone(tz).date(), uow.config.company.fiscal_year_start_month)  # type: ignore[arg-type]
    since, until = bounds(uow, period, team_id)
    target = team_target(uow, period, team)
    _, won = await won_amount(uow, since, until, team)
    rates = await win_rates(uow, team_id=team, now=now)
    o = Opportunity
    # The forecast's pipeline: a deal the rep marked `omitted` is not expected in the period (docs/metrics.md).
    stmt = select(func.coalesce(func.sum(jpy(uow)), 0)).where(
        o.status == "open", o.close_date >= period.start, o.close_date < period.end,
        or_(o.forecast_category.is_(None), o.forecast_category != "omitted"),
    )  # fmt: skip
    if team:
        stmt = stmt.where(o.team_id == team)
    pipeline = Decimal(await uow.session.scalar(stmt) or 0)
    remaining = max(Decimal(0), target - won) if target is not None else None
    required = required_pipeline(remaining, rates.overall)
    ratio = float(pipeline / required) if required else None
    return Coverage(period, target, won, remaining, rates.overall, rates.from_history, required, pipeline, ratio)
