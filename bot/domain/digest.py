"""The daily pipeline digest's numbers, for one team or the whole company.

Stage-event figures come from the stage roll-up (`stage_rollup.event_counts`: day counts plus the
raw events at the edges, exactly what a GROUP BY over `stage_events` gives); deal figures are
aggregate queries over `opportunities`. The only rows Python sees are groups, or the flagged deals
listed by owner.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import case, func, literal, literal_column, or_, select, union_all

from bot.context import UnitOfWork
from bot.domain import forecast_backtest as fb
from bot.domain import pipeline as pl
from bot.domain import stage_rollup as rollup
from bot.domain.amounts import in_jpy
from bot.domain.sla_metrics import compliance
from bot.domain.stage_rollup import Key
from bot.models import Account, Lead, Opportunity, StageEvent
from bot.periods import month_of, period_of

FUNNEL = ("lead", "mql", "sal", "sql", "opportunity", "won")
KPIS = {
    "inside_sales": ("mqls", "sqls", "opportunities", "pipeline_created"),
    "field_sales": ("bookings", "win_rate", "average_deal", "opportunities"),
    "marketing": ("leads", "mqls", "sqls"),
    "customer_success": ("bookings", "win_rate"),
    "management": ("leads", "mqls", "sqls", "bookings", "win_rate"),
}
COMPANY_KPIS = ("leads", "mqls", "sqls", "bookings", "win_rate")
TREND_THRESHOLD = 0.05  # relative change per month under which a trend counts as flat


@dataclass
class Scope:
    team_id: str | None  # the team whose calendar and locale the digest follows
    lead_team: str | None  # filter on lead events (IS / marketing teams)
    opp_team: str | None  # filter on deals (FS team)
    function: str | None  # None: company
    sourced_by: str | None = None  # IS / marketing team: the deals made from its leads
    csms: tuple[str, ...] | None = None  # CS team: its members, whose accounts (and their upsells) it covers

    def accounts(self) -> Any:
        """The CS team's accounts: those whose CSM is a member of the team."""
        return Account.csm_id.in_(self.csms or ())

    def deals(self, stmt: Any) -> Any:
        """`stmt` narrowed to this scope's deals: an FS team's own, the ones an IS team sourced, the
        upsell deals of a CS team's accounts, or all."""
        if self.opp_team:
            return stmt.where(Opportunity.team_id == self.opp_team)
        if self.sourced_by:
            return stmt.where(pl.sourced_by(self.sourced_by))
        if self.csms is not None:
            return stmt.where(Opportunity.kind == "upsell", Opportunity.account_id.in_(select(Account.id).where(self.accounts())))
        return stmt


def scope_of(uow: UnitOfWork, scope: str, team_id: str | None) -> Scope:
    team = uow.config.team(team_id)
    if scope == "company" or team is None:
        return Scope(team_id, None, None, None)
    lead_team = team.id if team.function in ("inside_sales", "marketing") else None
    opp_team = team.id if team.function == "field_sales" else None
    csms = tuple(team.members) if team.function == "customer_success" else None
    return Scope(team.id, lead_team, opp_team, team.function, lead_team, csms)


def _local(uow: UnitOfWork, d: date, team_id: str | None) -> datetime:
    return datetime.combine(d, time(), uow.config.team_calendar(team_id).tz)


def previous_working_day(uow: UnitOfWork, today: date, team_id: str | None) -> date:
    cal = uow.config.team_calendar(team_id)
    d = today - timedelta(days=1)
    for _ in range(15):
        if cal.is_working_day(d):
            return d
        d -= timedelta(days=1)
    return today - timedelta(days=1)


def first_working_day_of_month(uow: UnitOfWork, today: date, team_id: str | None) -> bool:
    """The monthly digest is the first one of a month: no earlier day of the month is a working day."""
    cal = uow.config.team_calendar(team_id)
    return not any(cal.is_working_day(today.replace(day=k)) for k in range(1, today.day))


async def monthly_backtest(uow: UnitOfWork, today: date, sc: Scope) -> fb.Latest | None:
    """The monthly digest's backtest line: the last scored period of the company (company digest) or
    of the FS team (its team digest); IS and marketing digests make no forecast, so none."""
    if not first_working_day_of_month(uow, today, sc.team_id):
        return None
    if sc.function in (None, "management"):
        return await fb.latest(uow, "company", "")
    return await fb.latest(uow, "team", sc.opp_team) if sc.opp_team else None


LEAD_STAGES = ("lead", "mql", "sal", "sql", "opportunity")
# A deal is created at whatever phase it is first seen in (a CRM deal synced at phase 3 is a new deal
# too): every None → phase_k counts as created; a phase change between phases is not an entry here.
CREATED_AT = ("phase_1", "phase_2", "phase_3", "phase_4", "phase_5")
DEAL_STAGES = (*CREATED_AT, "won", "lost")
# A lead record created to carry a lost deal / churned customer round the recycle loop (its creation
# event's reason): not a new lead.
RECYCLE_ORIGINS = ("lost", "churned")


def is_new_lead(frm: str | None, to: str, reason: str | None) -> bool:
    """新規リード: a lead record created by intake (API, webhook, CSV) — not a recycle carrier."""
    return frm is None and to == "lead" and reason not in RECYCLE_ORIGINS


def _stage_entries(counts: Counter[Key], scope: Scope) -> dict[str, int]:
    """Entries per stage from grouped events: leads, MQLs (not re-assignments), SALs, SQLs,
    opportunities (SQL → deal); deals created (None → phase 1), won, lost."""
    out: dict[str, int] = {}
    if scope.csms is not None:
        return out  # a CS team's population is accounts: no leads; its deals are counted from the table
    for (et, frm, to, team, reason), n in counts.items():
        if et == "lead" and to == "lead" and not is_new_lead(frm, to, reason):
            continue
        if et == "lead" and to in LEAD_STAGES and (frm is None or frm != to):
            # A new lead is routed only when it becomes an MQL: new leads are counted company-wide.
            if scope.lead_team and not (team == scope.lead_team or to == "lead"):
                continue
            out[to] = out.get(to, 0) + n
        elif et == "opportunity" and to in DEAL_STAGES and (to not in CREATED_AT or frm is None):
            if scope.sourced_by:
                continue  # deal events carry the FS team: an IS team's deals are counted from its leads below
            if scope.opp_team and team != scope.opp_team:
                continue
            key = "created" if to in CREATED_AT else to
            out[key] = out.get(key, 0) + n
    return out


async def stage_counts(uow: UnitOfWork, since: datetime, until: datetime, scope: Scope) -> dict[str, int]:
    """Entries per stage in [since, until) (see `_stage_entries`), from the stage roll-up."""
    (counts,) = await rollup.event_counts(uow, [(since, until)], LEAD_STAGES + DEAL_STAGES)
    return _stage_entries(counts, scope)


async def flow(uow: UnitOfWork, since: datetime, until: datetime, scope: Scope) -> dict[str, Any]:
    (grouped,) = await rollup.event_counts(uow, [(since, until)], LEAD_STAGES + DEAL_STAGES + ("recycled", "closed"))
    counts = _stage_entries(grouped, scope)
    by_reason: dict[str | None, int] = {}
    for (et, frm, to, team, reason), n in grouped.items():
        if scope.csms is not None:
            break  # no leads in a CS team's population
        if et == "lead" and frm == "mql" and to in ("recycled", "closed") and (not scope.lead_team or team == scope.lead_team):
            by_reason[reason] = by_reason.get(reason, 0) + n
    # Most frequent first; ties by reason, no reason last.
    ranked = sorted(by_reason.items(), key=lambda rn: (-rn[1], rn[0] is None, rn[0] or ""))
    reasons = [(r or "other", n) for r, n in ranked]
    o = Opportunity
    stmt = select(o.status, func.count(), func.coalesce(func.sum(pl.jpy(uow)), 0)).where(
        rollup.no_index(uow, o.status).in_(("won", "lost")), o.closed_at >= since, o.closed_at < until, _a_sale(o)
    )  # a scan beats the status index plus a row lookup per closed deal (no index on closed_at)
    stmt = scope.deals(stmt)
    closed = {s: (n, Decimal(a)) for s, n, a in (await uow.session.execute(stmt.group_by(o.status))).all()}
    if scope.csms is not None:
        counts["created"] = await _deals_created(uow, since, until, scope)
    return {
        "leads": counts.get("lead", 0), "mqls": counts.get("mql", 0), "sals": counts.get("sal", 0),
        "rejects": sum(n for _, n in reasons), "top_reasons": reasons[:3], "sqls": counts.get("sql", 0),
        "opportunities": counts.get("opportunity", 0),
        "created": counts.get("opportunity", 0) if scope.sourced_by else counts.get("created", 0),
        "won": closed.get("won", (0, Decimal(0))), "lost": closed.get("lost", (0, Decimal(0))),
    }  # fmt: skip


async def _deals_created(uow: UnitOfWork, since: datetime, until: datetime, scope: Scope) -> int:
    """Deals of the scope created (`None → phase_k`) in [since, until), by when it happened: read
    from the events of the scope's deals (a CS team's upsells: few, and not in the roll-up's key)."""
    ev = StageEvent
    stmt = select(func.count()).where(
        ev.entity_type == "opportunity", ev.from_stage.is_(None), ev.to_stage.in_(CREATED_AT), ev.occurred_at >= since,
        ev.occurred_at < until, ev.entity_id.in_(scope.deals(select(Opportunity.id))),
    )
    return int(await uow.session.scalar(stmt) or 0)


# -- a CS team's accounts -------------------------------------------------------------------------
@dataclass(frozen=True)
class Customers:
    """A CS team's accounts (CSM a member of the team): live now, by health band; renewals due, churn
    and upsell bookings in the period; churn in the digest's previous working day."""

    accounts: int
    arr: Decimal
    bands: dict[str, int]  # green / yellow / red / none (no score yet)
    renewals: tuple[int, Decimal]  # live accounts whose renewal date falls in the period
    churned: tuple[int, Decimal]  # in the period (ARR when churned)
    churned_day: tuple[int, Decimal]  # in [since, until)
    upsell_won: tuple[int, Decimal]  # the accounts' upsell deals won in the period (by close time)


async def customers(uow: UnitOfWork, scope: Scope, period: tuple[datetime, datetime], day: tuple[datetime, datetime], p_days: tuple[date, date]) -> Customers:
    a, o, s = Account, Opportunity, uow.session
    arr = in_jpy(a.arr, a.currency, dict(uow.config.forecast.currencies))  # ARR in JPY, as every deal amount
    rows = (await s.execute(
        select(a.health_band, func.count(), func.coalesce(func.sum(arr), 0)).where(scope.accounts(), a.churned.is_(False)).group_by(a.health_band)
    )).all()  # fmt: skip
    bands = {b: 0 for b in ("green", "yellow", "red", "none")}
    for band, n, _ in rows:
        bands[band if band in bands else "none"] += n

    async def n_sum(stmt: Any) -> tuple[int, Decimal]:
        n, total = (await s.execute(stmt)).one()
        return int(n), Decimal(total)

    tally = select(func.count(), func.coalesce(func.sum(arr), 0)).where(scope.accounts())
    renewals = await n_sum(tally.where(a.churned.is_(False), a.renewal_date >= p_days[0], a.renewal_date < p_days[1]))
    churned = await n_sum(tally.where(a.churned.is_(True), a.churned_at >= period[0], a.churned_at < period[1]))
    churned_day = await n_sum(tally.where(a.churned.is_(True), a.churned_at >= day[0], a.churned_at < day[1]))
    won = scope.deals(select(func.count(), func.coalesce(func.sum(pl.jpy(uow)), 0)).where(o.status == "won", o.closed_at >= period[0], o.closed_at < period[1]))
    return Customers(
        accounts=sum(n for _, n, _ in rows), arr=sum((Decimal(x) for _, _, x in rows), Decimal(0)), bands=bands,
        renewals=renewals, churned=churned, churned_day=churned_day, upsell_won=await n_sum(won),
    )  # fmt: skip


def _a_sale(o: Any) -> Any:
    """Closed deals that count as sales won or lost (not those sent back at the hand-off)."""
    return or_(o.lost_reason.is_(None), o.lost_reason.not_in(pl.NOT_A_LOSS))


async def sla_lines(uow: UnitOfWork, since: datetime, until: datetime, scope: Scope) -> list[dict[str, Any]]:
    rows = await compliance(uow, since, until, group_by="team")
    out = []
    for r in rows:
        if scope.lead_team and r.group != scope.lead_team:
            continue
        team = uow.config.team(r.group)
        out.append({"team": team.name if team else (r.group or "-"), "answered": r.answered, "pct": r.within_sla_pct, "median": r.median_business_minutes})
    return out


async def pipeline_by_phase(uow: UnitOfWork, scope: Scope) -> list[dict[str, Any]]:
    o = Opportunity
    stmt = scope.deals(select(o.phase, func.count(), func.coalesce(func.sum(pl.jpy(uow)), 0)).where(o.status == "open"))
    rows = dict((p, (n, Decimal(a))) for p, n, a in (await uow.session.execute(stmt.group_by(o.phase))).all())
    return [{"phase": p, "n": rows.get(p, (0, 0))[0], "amount": rows.get(p, (0, Decimal(0)))[1]} for p in (1, 2, 3, 4, 5)]


async def funnel(uow: UnitOfWork, since: datetime, until: datetime, scope: Scope) -> list[dict[str, Any]]:
    """A cohort funnel: the new leads that came in during [since, until) (by when they happened;
    recycle carriers are not new leads), and how many of them have reached each later stage by
    now (a lead that reached a stage passed every stage before it; won = its deal was won). A
    later stage can never exceed an earlier one. IS / marketing teams: the cohort leads now routed to
    the team; an FS team: the cohort leads whose deal is the team's."""
    ev, o = StageEvent, Opportunity
    cohort = select(ev.entity_id).where(
        ev.entity_type == "lead", ev.from_stage.is_(None), ev.to_stage == "lead", ev.occurred_at >= since, ev.occurred_at < until,
        or_(ev.reason.is_(None), ev.reason.not_in(RECYCLE_ORIGINS)),
    )
    if scope.lead_team:
        cohort = cohort.where(ev.entity_id.in_(select(Lead.id).where(Lead.team_id == scope.lead_team)))
    if scope.opp_team:
        cohort = cohort.where(ev.entity_id.in_(select(o.source_lead_id).where(o.team_id == scope.opp_team)))
    rank = case(*[(ev.to_stage == s, i) for i, s in enumerate(FUNNEL[:-1]) if i], else_=0)
    ranks = union_all(
        select(ev.entity_id.label("lead"), rank.label("r")).where(ev.entity_type == "lead", ev.entity_id.in_(cohort)),
        select(o.source_lead_id.label("lead"), literal(len(FUNNEL) - 1).label("r")).where(o.status == "won", o.source_lead_id.in_(cohort)),
    ).subquery()
    per_lead = select(ranks.c.lead, func.max(ranks.c.r).label("r")).group_by(ranks.c.lead).subquery()
    reached_at = dict((await uow.session.execute(select(per_lead.c.r, func.count()).group_by(per_lead.c.r))).all())
    out, prev = [], None
    for i, stage in enumerate(FUNNEL):
        n = sum(c for r, c in reached_at.items() if r >= i)
        out.append({"stage": stage, "n": n, "rate": (n / prev) if prev else None})
        prev = n
    return out


# -- trends ---------------------------------------------------------------------------------------
def trend(values: list[float]) -> tuple[str, float | None]:
    """Least-squares slope over the months, relative to their mean: ("up"|"down"|"flat", change per month)."""
    n = len(values)
    if n < 2:
        return "flat", None
    mean = sum(values) / n
    if mean == 0:
        return ("up" if values[-1] > 0 else "flat"), None
    xbar = (n - 1) / 2
    slope = sum((i - xbar) * (v - mean) for i, v in enumerate(values)) / sum((i - xbar) ** 2 for i in range(n))
    rel = slope / abs(mean)
    return ("up" if rel > TREND_THRESHOLD else "down" if rel < -TREND_THRESHOLD else "flat"), rel


async def monthly_series(uow: UnitOfWork, months: list[tuple[datetime, datetime]], scope: Scope) -> dict[str, list[float]]:
    """Per KPI, one value per month (oldest first, months adjacent): events from the stage roll-up,
    deals bucketed by month in one GROUP BY each."""
    o = Opportunity
    since, until = months[0][0], months[-1][1]
    per_month = [_stage_entries(c, scope) for c in await rollup.event_counts(uow, months, ("lead", "mql", "sql", "opportunity"))]
    counts = {k: [float(m.get(k, 0)) for m in per_month] for k in ("lead", "mql", "sql", "opportunity")}
    k = len(months)

    def month(col: Any) -> Any:
        # The month's index as one CASE per row (rows are already within [since, until)); grouped by
        # its label, as PostgreSQL would not match a repeated expression with other bound parameters.
        return case(*[(col < b, i) for i, (_, b) in enumerate(months[:-1])], else_=k - 1).label("m")

    # A full scan of deals beats the status index plus a row lookup per closed deal; SQLite would take the index.
    stmt = select(o.status, month(o.closed_at), func.count(), func.sum(pl.jpy(uow))).where(
        rollup.no_index(uow, o.status).in_(("won", "lost")), o.closed_at >= since, o.closed_at < until, _a_sale(o)
    )
    stmt = scope.deals(stmt)
    won_n, won_amt, lost_n = [0.0] * k, [0.0] * k, [0.0] * k
    for status, i, n, amount in (await uow.session.execute(stmt.group_by(o.status, literal_column("m")))).all():
        if status == "won":
            won_n[i], won_amt[i] = float(n), float(amount or 0)
        else:
            lost_n[i] = float(n)
    stmt = scope.deals(select(month(o.created_at), func.sum(pl.jpy(uow))).where(o.created_at >= since, o.created_at < until))
    created = [0.0] * k
    for i, amount in (await uow.session.execute(stmt.group_by(literal_column("m")))).all():
        created[i] = float(amount or 0)
    return {
        "leads": counts["lead"], "mqls": counts["mql"], "sqls": counts["sql"], "opportunities": counts["opportunity"], "pipeline_created": created, "bookings": won_amt,
        "win_rate": [w / (w + lo) if w + lo else 0.0 for w, lo in zip(won_n, lost_n, strict=True)],
        "average_deal": [a / w if w else 0.0 for a, w in zip(won_amt, won_n, strict=True)],
    }  # fmt: skip


async def trends(uow: UnitOfWork, today: date, scope: Scope) -> tuple[list[dict[str, Any]], list[str], dict[str, list[float]]]:
    """3- and 6-month trend arrows over full months before `today`, per KPI of the team's function."""
    last = month_of(today).start - relativedelta(months=1)
    starts = [last - relativedelta(months=i) for i in range(5, -1, -1)]
    months = [(_local(uow, s, scope.team_id), _local(uow, s + relativedelta(months=1), scope.team_id)) for s in starts]
    series = await monthly_series(uow, months, scope)
    kpis = KPIS.get(scope.function or "", COMPANY_KPIS) if scope.function else COMPANY_KPIS
    out = []
    for k in kpis:
        values = series[k]
        d3, r3 = trend(values[-3:])
        d6, r6 = trend(values)
        out.append({"kpi": k, "last": values[-1], "avg3": sum(values[-3:]) / 3, "dir3": d3, "dir6": d6, "rel3": r3, "rel6": r6, "money": k in ("bookings", "pipeline_created", "average_deal"), "ratio": k == "win_rate"})
    return out, [s.strftime("%Y-%m") for s in starts], series


# -- attention ------------------------------------------------------------------------------------
async def attention(uow: UnitOfWork, scope: Scope, cap: int, today: date) -> tuple[list[dict[str, Any]], int]:
    flagged = await pl.hygiene(
        uow, team_id=scope.opp_team, today=today, sourced_by_team=scope.sourced_by, where=scope.deals(select(Opportunity.id)) if scope.csms is not None else None
    )
    order = {f: i for i, f in enumerate(pl.FLAG_ORDER)}
    flagged.sort(key=lambda f: (min((order[x] for x in f.flags), default=9), f.opportunity.close_date or date.max))
    shown = flagged[:cap]
    owners: dict[str | None, list[pl.DealFlags]] = {}
    for f in shown:
        owners.setdefault(f.opportunity.owner_id, []).append(f)
    groups = []
    for owner, items in owners.items():
        p = uow.config.person(owner)
        groups.append({
            "owner": owner, "slack_id": p.slack_id if p else None, "name": p.name if p else (owner or "-"),
            "deals": [{"id": f.opportunity.id, "name": f.opportunity.name, "amount": f.opportunity.amount, "flags": f.flags,
                       "missing": f.missing, "stalled_days": f.stalled_days, "phase": f.opportunity.phase} for f in items],
        })  # fmt: skip
    return groups, len(flagged) - len(shown)


@dataclass
class Digest:
    day: date
    since: datetime
    until: datetime
    scope: Scope
    flow: dict[str, Any]
    sla: list[dict[str, Any]]
    pipeline: list[dict[str, Any]]
    coverage: pl.Coverage
    funnel: list[dict[str, Any]]
    funnel_period: str
    trends: list[dict[str, Any]]
    months: list[str]
    series: dict[str, list[float]]
    attention: list[dict[str, Any]]
    more: int
    team_name: str | None = None
    backtest: fb.Latest | None = None  # the first digest of a month only (`monthly_backtest`)
    cs: Customers | None = None  # a CS team's digest: its accounts (instead of leads, SLA, coverage, funnel)
    extra: dict[str, Any] = field(default_factory=dict)


async def build(uow: UnitOfWork, *, scope: str, team_id: str | None, now: datetime | None = None, cap: int = 12) -> Digest:
    now = now or uow.now()
    tz = uow.config.team_calendar(team_id).tz
    today = now.astimezone(tz).date()
    sc = scope_of(uow, scope, team_id)
    since = _local(uow, previous_working_day(uow, today, team_id), team_id)
    until = _local(uow, today, team_id)
    period = period_of("quarter", today, uow.config.company.fiscal_year_start_month)
    p_since, _ = pl.bounds(uow, period, team_id)
    tr, months, series = await trends(uow, today, sc)
    groups, more = await attention(uow, sc, cap, today)
    team = uow.config.team(team_id) if scope == "team" else None
    cs = None
    if sc.csms is not None:
        p_bounds = pl.bounds(uow, period, team_id)
        cs = await customers(uow, sc, p_bounds, (since, until), (period.start, period.end))
    return Digest(
        day=today, since=since, until=until, scope=sc,
        flow=await flow(uow, since, until, sc), sla=[] if cs else await sla_lines(uow, since, until, sc),
        pipeline=await pipeline_by_phase(uow, sc),
        coverage=await pl.coverage(uow, team_id=sc.opp_team, period=period, now=now),
        funnel=[] if cs else await funnel(uow, p_since, now, sc), funnel_period=period.key,
        trends=tr, months=months, series=series, attention=groups, more=more,
        team_name=team.name if team else None, backtest=await monthly_backtest(uow, today, sc), cs=cs,
    )  # fmt: skip
