"""Forecasts: the system's numbers for a rep or team and period, submissions with their deal
snapshot, diffs since a submission / date / meeting, and who may see whose forecast.

No Slack here: plain values in, plain results out.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field
from datetime import date, datetime, time
from types import SimpleNamespace
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select

from bot.context import UnitOfWork
from bot.domain import permissions
from bot.domain import pipeline as pl
from bot.domain.amounts import amount_or_none
from bot.domain.outcomes import Outcome, Result
from bot.domain.forecast_diff import Diff, PeriodSpan, forecast_diff, in_measure, value_jpy
from bot.models import ForecastSubmission, Opportunity
from bot.periods import Period, month_of, quarter_of, target_for

KINDS = ("month", "quarter")


# -- time & periods --------------------------------------------------------------------------------
def tz(uow: UnitOfWork) -> Any:
    return uow.config.calendar(None).tz


def today(uow: UnitOfWork) -> date:
    return uow.now().astimezone(tz(uow)).date()


def fiscal_start(uow: UnitOfWork) -> int:
    return uow.config.company.fiscal_year_start_month


def period(uow: UnitOfWork, kind: str, d: date | None = None) -> Period:
    d = d or today(uow)
    return month_of(d) if kind == "month" else quarter_of(d, fiscal_start(uow))


def period_from(kind: str, start: date, start_month: int) -> Period:
    return month_of(start) if kind == "month" else quarter_of(start, start_month)


def local_midnight(uow: UnitOfWork, d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=tz(uow))


# -- who ---------------------------------------------------------------------------------------------
def managed_reps(uow: UnitOfWork, manager_id: str) -> list[str]:
    """Reps in the teams this person manages (a CRO / `manager` role sees every FS rep)."""
    cfg = uow.config
    person = cfg.person(manager_id)
    out: list[str] = []
    for t in cfg.teams:
        if t.manager == manager_id:
            out += [m for m in t.members if m != manager_id]
    if person and ("cro" in person.roles):
        for t in cfg.teams_by_function("field_sales"):
            out += t.members
    return list(dict.fromkeys(out))


def may_view(uow: UnitOfWork, viewer_id: str, rep_id: str) -> bool:
    return permissions.allows("forecast.view", uow.config, uow.config.person(viewer_id), SimpleNamespace(rep_id=rep_id))


def team_of_rep(uow: UnitOfWork, rep_id: str) -> str | None:
    teams = [t for t in uow.config.teams if rep_id in t.members and t.function == "field_sales"]
    teams = teams or uow.config.teams_of(rep_id)
    return teams[0].id if teams else None


def teams_managed(uow: UnitOfWork, manager_id: str) -> list[str]:
    person = uow.config.person(manager_id)
    out = [t.id for t in uow.config.teams if t.manager == manager_id and t.function == "field_sales"]
    if person and "cro" in person.roles:
        out += [t.id for t in uow.config.teams_by_function("field_sales")]
    return list(dict.fromkeys(out))


@dataclass(frozen=True)
class Scope(Result):
    """Whose forecast a person may see or submit: one rep (`rep`), or a team (`team_id`, `owners`)."""

    rep: str | None = None
    team_id: str | None = None
    owners: tuple[str, ...] = ()
    _: KW_ONLY
    subject: str = "forecast"


def view_scope(uow: UnitOfWork, viewer: str, subject: str | None) -> Scope:
    """`subject`: a rep id, "team" (the first team the viewer manages), team=<id>, or None (the viewer)."""
    if subject == "team" or (subject or "").startswith("team="):
        managed = teams_managed(uow, viewer)
        wanted = subject.removeprefix("team=") if subject != "team" else (managed[0] if managed else "")
        if wanted not in managed:
            return Scope(Outcome.NOT_ALLOWED, subject="forecast_team")
        return Scope(Outcome.ALLOWED, team_id=wanted, owners=tuple(team_members(uow, wanted)))
    rep = subject or viewer
    if uow.config.person(rep) is None or not may_view(uow, viewer, rep):
        return Scope(Outcome.NOT_ALLOWED)
    return Scope(Outcome.ALLOWED, rep=rep, owners=(rep,))


def submit_scope(uow: UnitOfWork, person: str, kind: str, team_id: str | None) -> Scope:
    """Before the submit modal opens: a rep's own call, or a manager's call for a team they manage."""
    if kind not in KINDS:
        return Scope(Outcome.BAD_INPUT, subject="forecast_team_submit")
    if team_id is None:
        return Scope(Outcome.ALLOWED, rep=person, owners=(person,))
    if team_id not in teams_managed(uow, person):
        return Scope(Outcome.NOT_ALLOWED, subject="forecast_team_submit")
    return Scope(Outcome.ALLOWED, team_id=team_id, owners=tuple(team_members(uow, team_id)))


def team_members(uow: UnitOfWork, team_id: str) -> list[str]:
    team = uow.config.team(team_id)
    return [m for m in (team.members if team else []) if m != (team.manager if team else None)]


# -- snapshots ---------------------------------------------------------------------------------------
def rates(uow: UnitOfWork) -> dict[str, Decimal]:
    return dict(uow.config.forecast.currencies)


# The columns a snapshot item needs: rows of these (not whole ORM objects) are enough to build one.
SNAPSHOT_COLUMNS = (
    Opportunity.id, Opportunity.name, Opportunity.owner_id, Opportunity.amount, Opportunity.currency, Opportunity.close_date,
    Opportunity.closed_at, Opportunity.phase, Opportunity.forecast_category, Opportunity.status,
)  # fmt: skip


def deal_snapshot(uow: UnitOfWork, opp: Any, *, zone: Any = None, jpy: dict[str, Decimal] | None = None) -> dict[str, Any]:
    """One snapshot item from an opportunity (or a row of `SNAPSHOT_COLUMNS`); `zone`/`jpy` save
    looking them up per deal."""
    zone = zone or tz(uow)
    won_on = opp.closed_at.astimezone(zone).date().isoformat() if opp.closed_at and opp.status != "open" else None
    item = {
        "id": opp.id, "name": opp.name, "owner": opp.owner_id, "amount": str(opp.amount), "currency": opp.currency,
        "close_date": opp.close_date.isoformat() if opp.close_date else None, "won_on": won_on,
        "phase": opp.phase, "category": opp.forecast_category, "status": opp.status,
    }  # fmt: skip
    try:
        item["amount_jpy"] = str(value_jpy(item, rates(uow) if jpy is None else jpy))
    except ValueError:
        item["amount_jpy"] = None  # unknown currency: shown, not summed
    return item


async def _items(uow: UnitOfWork, cond: Any) -> list[dict[str, Any]]:
    rows = (await uow.session.execute(select(*SNAPSHOT_COLUMNS).where(cond).order_by(Opportunity.id))).all()
    zone, jpy = tz(uow), rates(uow)
    return [deal_snapshot(uow, r, zone=zone, jpy=jpy) for r in rows]


def _ids(extra_ids: Any) -> list[int]:
    return [int(i) for i in extra_ids if str(i).isdecimal()]


async def _by_ids(uow: UnitOfWork, ids: list[int], skip: set[Any]) -> list[dict[str, Any]]:
    """Deals by id, a bounded IN list at a time (SQLite caps bound parameters)."""
    out: list[dict[str, Any]] = []
    wanted = [i for i in dict.fromkeys(ids) if i not in skip]
    for k in range(0, len(wanted), 500):
        out += await _items(uow, Opportunity.id.in_(wanted[k : k + 500]))
    return out


async def snapshot(uow: UnitOfWork, owners: list[str], since: date, extra_ids: list[Any] = ()) -> list[dict[str, Any]]:
    """Every deal of `owners` that can matter from `since` on: open ones, and those closed since then.
    `extra_ids`: deals of an earlier snapshot, wherever they are now (moved to another rep …)."""
    since_at = local_midnight(uow, since)
    mine = Opportunity.owner_id.in_(owners) & or_(Opportunity.status == "open", Opportunity.closed_at >= since_at)
    items = await _items(uow, mine)
    items += await _by_ids(uow, _ids(extra_ids), {d["id"] for d in items})
    return sorted(items, key=lambda d: d["id"])


async def measure_snapshot(uow: UnitOfWork, owners: list[str], p: Period, extra_ids: list[Any] = ()) -> list[dict[str, Any]]:
    """The part of `snapshot` a diff for period `p` can see: deals of `owners` that may be in the
    period's measure now (open closing in it, or won), plus `extra_ids`. A deal outside the measure
    and not in the baseline changes nothing in `forecast_diff`, so leaving it out is exact — and the
    diff no longer reads every open deal of the rep (most close in later periods)."""
    o = Opportunity
    open_in = (o.status == "open") & (o.close_date >= p.start) & (o.close_date < p.end)
    won = (o.status == "won") & (o.closed_at >= local_midnight(uow, p.start))  # as `snapshot`: closed since the start
    span = PeriodSpan(p.start, p.end)
    items = [d for d in await _items(uow, o.owner_id.in_(owners) & or_(open_in, won)) if in_measure(d, span)]
    items += await _by_ids(uow, _ids(extra_ids), {d["id"] for d in items})
    return sorted(items, key=lambda d: d["id"])


# -- numbers -------------------------------------------------------------------------------------------
@dataclass
class Numbers:
    period: Period
    target: Decimal | None
    won: Decimal
    commit: Decimal  # won + open commit
    best_case: Decimal  # commit + open best case
    pipeline: Decimal  # every open deal closing in the period (not omitted)
    win_rate: float  # `pipeline.win_rates().overall`: history, or the fallback below the minimum sample
    required_pipeline: Decimal | None  # (target − won) ÷ win rate (`pipeline.required_pipeline`)
    coverage: float | None  # open pipeline ÷ required pipeline
    deals: list[dict[str, Any]] = field(default_factory=list)


def numbers_from(
    uow: UnitOfWork, deals: list[dict[str, Any]], p: Period, owners: list[str], target: Decimal | None, win_rate: float | None = None
) -> Numbers:
    """`win_rate`: from `pipeline.win_rates` (what `numbers` passes); None → the configured fallback."""
    won = commit = best = pipe = Decimal(0)
    for d in deals:
        if d.get("owner") not in owners or not in_measure(d, p) or d.get("amount_jpy") is None:
            continue
        v = Decimal(d["amount_jpy"])
        if d["status"] == "won":
            won += v
            continue
        pipe += v
        if d["category"] == "commit":
            commit += v
        elif d["category"] == "best_case":
            best += v
    rate = uow.config.pipeline.win_rate_fallback if win_rate is None else win_rate
    required = coverage = None
    if target is not None:
        required = pl.required_pipeline(max(Decimal(0), target - won), rate)
        coverage = float(pipe / required) if required else None
    return Numbers(p, target, won, won + commit, won + commit + best, pipe, rate, required, coverage, deals)


async def numbers(uow: UnitOfWork, kind: str, *, rep: str | None = None, team: str | None = None, d: date | None = None) -> Numbers:
    p = period(uow, kind, d)
    owners = [rep] if rep else team_members(uow, team or "")
    deals = await snapshot(uow, owners, p.start)
    tgt = target_for(uow.config.pipeline.targets, p, person=rep, team=None if rep else team, start_month=fiscal_start(uow))
    # The same win rate as the digest's coverage and /capacity: the FS team's history (minimum sample, else the fallback).
    rates = await pl.win_rates(uow, team_id=pl.revenue_team(uow, team_of_rep(uow, rep) if rep else team))
    return numbers_from(uow, deals, p, owners, tgt, rates.overall)


# -- submissions -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SubmitResult(Result):
    """saved, or bad input (errors by modal block: commit, best_case)."""

    submission: ForecastSubmission | None = None
    _: KW_ONLY
    subject: str = "forecast"


@dataclass(frozen=True)
class ForecastSubmitted:
    """A forecast call was submitted (integrations tell the CRM)."""

    submission_id: int
    person_id: str


# The submit modal shows commit and best case only; other problems read under commit.
_SUBMIT_BLOCKS = ("commit", "best_case")


async def submit(
    uow: UnitOfWork, person_id: str, kind: str, *, commit: Any, best_case: Any, note: str | None = None,
    scope: str = "rep", team_id: str | None = None,
) -> SubmitResult:  # fmt: skip
    errors: dict[str, str] = {}
    if kind not in KINDS:
        errors["period"] = "forecast.err.period"
    c, b = amount_or_none(commit), amount_or_none(best_case)
    if c is None:
        errors["commit"] = "forecast.err.amount"
    if b is None:
        errors["best_case"] = "forecast.err.amount"
    if c is not None and b is not None and b < c:
        errors["best_case"] = "forecast.err.best_below_commit"
    if scope == "team" and (not team_id or team_id not in teams_managed(uow, person_id)):
        errors["team"] = "forecast.err.not_manager"
    if scope == "rep" and uow.config.person(person_id) is None:
        errors["person"] = "forecast.err.not_in_config"
    if errors:
        return SubmitResult(Outcome.BAD_INPUT, errors={f if f in _SUBMIT_BLOCKS else "commit": k for f, k in errors.items()})
    owners = [person_id] if scope == "rep" else team_members(uow, team_id or "")
    n = await numbers(uow, kind, rep=person_id if scope == "rep" else None, team=team_id if scope == "team" else None)
    sub = ForecastSubmission(
        person_id=person_id, scope=scope, team_id=team_id or team_of_rep(uow, person_id), period_kind=kind,
        period_start=n.period.start, commit_amount=c, best_case_amount=b, pipeline_amount=n.pipeline,
        currency=uow.config.company.currency, note=(note or "").strip()[:3000] or None,
        snapshot=[d for d in n.deals if d.get("owner") in owners], submitted_at=uow.now(),
    )  # fmt: skip
    uow.session.add(sub)
    await uow.session.flush()
    uow.emit(ForecastSubmitted(sub.id, person_id))
    return SubmitResult(Outcome.SAVED, sub, by=person_id)


async def last_submission(
    uow: UnitOfWork, person_id: str, kind: str, period_start: date, *, scope: str = "rep", before: datetime | None = None,
    team_id: str | None = None,
) -> ForecastSubmission | None:  # fmt: skip
    q = select(ForecastSubmission).where(
        ForecastSubmission.period_kind == kind, ForecastSubmission.period_start == period_start, ForecastSubmission.scope == scope
    )
    q = q.where(ForecastSubmission.team_id == team_id) if scope == "team" else q.where(ForecastSubmission.person_id == person_id)
    if before is not None:
        q = q.where(ForecastSubmission.submitted_at < before)
    return await uow.session.scalar(q.order_by(ForecastSubmission.submitted_at.desc(), ForecastSubmission.id.desc()).limit(1))


async def latest_rep_submissions_before(uow: UnitOfWork, owners: list[str], kind: str, start: date, before: datetime | None) -> list[dict[str, Any]]:
    """A team baseline: each member's last snapshot (deals of the member) glued together."""
    out: list[dict[str, Any]] = []
    for rep in owners:
        sub = await last_submission(uow, rep, kind, start, before=before)
        if sub:
            out += [d for d in sub.snapshot if d.get("owner") == rep]
    return out


@dataclass
class DiffResult:
    diff: Diff
    baseline_at: datetime | None  # when the "before" was taken (None: nothing before → everything is new)
    owners: list[str]
    period: Period


async def diff_for(
    uow: UnitOfWork, owners: list[str], kind: str, *, since: datetime | None = None,
    baseline: list[dict[str, Any]] | None = None, baseline_at: datetime | None = None,
) -> DiffResult:  # fmt: skip
    """The diff for `owners` in the current period: against `baseline` if given, else their last
    submission(s) made before `since` (default: now)."""
    p = period(uow, kind)
    if baseline is None:
        baseline, baseline_at = [], None
        for rep in owners:
            sub = await last_submission(uow, rep, kind, p.start, before=since)
            if sub:
                baseline += [d for d in sub.snapshot if d.get("owner") == rep]
                baseline_at = max(baseline_at, sub.submitted_at) if baseline_at else sub.submitted_at
    after = await measure_snapshot(uow, owners, p, extra_ids=[d["id"] for d in baseline])
    return DiffResult(forecast_diff(baseline, after, p, owners=owners, rates=rates(uow)), baseline_at, owners, p)
