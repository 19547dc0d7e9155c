"""Backtest: for every closed period with a call made before its lock point, what three methods
would have forecast at that point versus what was then booked —

- Baton's model (`forecast_model`), its parameters re-estimated from the history before the lock point,
  applied to the deals as the call's snapshot saw them;
- the call itself (the rep's, or the manager's for a team);
- the plain commit sum: won + open `commit` deals due in the period, from the same snapshot.

error = (forecast − actual) ÷ actual; inside = within `forecast.tolerance` (quarter ±5 %, month ±10 %).
Periods with nothing booked have no error; periods whose lock point comes less than
`forecast.model.backtest_min_months` after the first deal fact are not scored. The company row sums the team calls of a period.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import KW_ONLY, dataclass
from datetime import date, datetime
from typing import Any

from dateutil.relativedelta import relativedelta

from bot.context import UnitOfWork
from bot.domain import forecast as fc
from bot.domain import permissions
from bot.domain import forecast_model as fm
from bot.domain.forecast_diff import PeriodSpan, in_measure
from bot.domain.outcomes import Outcome, Result
from bot.periods import Period, period_of

METHODS = ("baton", "call", "commit")


@dataclass(frozen=True)
class Row:
    scope: str  # rep | team | company
    subject: str
    kind: str
    period: Period
    actual: float
    forecasts: dict[str, float]  # method → forecast at the lock point
    errors: dict[str, float | None]
    inside: dict[str, bool]
    fallbacks: tuple[str, ...]  # Baton's parameters that were configured values at that point


@dataclass(frozen=True)
class Summary:
    kind: str
    scope: str
    periods: int
    mape: dict[str, float | None]  # method → mean |error|
    inside: dict[str, int]  # method → periods inside the tolerance


def commit_sum(snapshot: tuple[dict[str, Any], ...], owners: set[str], p: Period) -> float:
    span = PeriodSpan(p.start, p.end)
    total = 0.0
    for d in snapshot:
        if d.get("owner") in owners and d.get("amount_jpy") is not None and in_measure(d, span):
            if d.get("status") == "won" or d.get("category") == "commit":
                total += float(d["amount_jpy"])
    return total


def actual_of(log: fm.Log, owners: set[str], p: Period, ctx: fm.Context) -> float:
    lo, hi = ctx.at(p.start), ctx.at(p.end)
    return sum(d.amount for d in log.deals.values() if d.outcome == "won" and d.owner in owners and lo <= d.closed < hi)  # type: ignore[operator]


def _calls(log: fm.Log, today: date, ctx: fm.Context) -> dict[tuple[str, str, str, date], fm.Submitted]:
    """The last call before each closed period's lock point, where enough history came before it."""
    out: dict[tuple[str, str, str, date], fm.Submitted] = {}
    if log.first is None:
        return out
    earliest = ctx.day(log.first) + relativedelta(months=ctx.cfg.backtest_min_months)
    for s in log.submissions:
        p = period_of(s.kind, s.period_start, ctx.fiscal_start)  # type: ignore[arg-type]
        lock = ctx.lock(s.kind, p)
        if p.end > today or s.submitted_at >= ctx.at(lock) or lock < earliest:
            continue
        out[(s.scope, s.subject, s.kind, s.period_start)] = s  # ordered by time: the last wins
    return out


def _with_team_calls(
    calls: dict[tuple[str, str, str, date], fm.Submitted], members: dict[str, set[str]]
) -> dict[tuple[str, str, str, date], fm.Submitted]:
    """A team whose manager made no team call for a period is called by its reps: the sum of their
    calls (and their snapshots), so "the calls" mean the reps' own numbers wherever no one rolled them up."""
    team_of = {rep: team for team, reps in members.items() for rep in reps}
    summed: dict[tuple[str, str, str, date], list[fm.Submitted]] = defaultdict(list)
    for (scope, subject, kind, start), s in calls.items():
        if scope == "rep" and subject in team_of and ("team", team_of[subject], kind, start) not in calls:
            summed[("team", team_of[subject], kind, start)].append(s)
    out = dict(calls)
    for (_, team, kind, start), subs in summed.items():
        last = max(s.submitted_at for s in subs)
        out[("team", team, kind, start)] = fm.Submitted(
            "team", team, kind, start, last, sum(s.commit for s in subs), tuple(d for s in subs for d in s.snapshot)
        )
    return out


def backtest(
    log: fm.Log, ctx: fm.Context, today: date, members: dict[str, set[str]], team_of: dict[str, str], tolerance: dict[str, float]
) -> list[Row]:
    """`members`: team id → its reps; `team_of`: rep → team (whose slip). Oldest period first."""
    calls = _with_team_calls(_calls(log, today, ctx), members)
    company: dict[tuple[str, date], list[fm.Submitted]] = defaultdict(list)
    common: dict[datetime, tuple] = {}
    rows = []
    for (scope, subject, kind, start), s in sorted(calls.items(), key=lambda kv: (kv[0][3], kv[0][2], kv[0][0], kv[0][1])):
        owners = {subject} if scope == "rep" else members.get(subject, set())
        slip = members.get(team_of.get(subject, ""), owners) | owners if scope == "rep" else owners
        if scope == "team":
            company[(kind, start)].append(s)
        rows.append(_row(log, ctx, scope, subject, kind, start, s.commit, s.snapshot, owners, slip, common, tolerance))
    for (kind, start), subs in sorted(company.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        owners = set().union(*(members.get(s.subject, set()) for s in subs))
        snap = tuple(d for s in subs for d in s.snapshot)
        rows.append(_row(log, ctx, "company", "", kind, start, sum(s.commit for s in subs), snap, owners, owners, common, tolerance))
    return rows


def _row(
    log: fm.Log, ctx: fm.Context, scope: str, subject: str, kind: str, start: date, call: float,
    snapshot: tuple[dict[str, Any], ...], owners: set[str], slip: set[str], common: dict[datetime, tuple], tolerance: dict[str, float],
) -> Row:  # fmt: skip
    p = period_of(kind, start, ctx.fiscal_start)  # type: ignore[arg-type]
    lock = ctx.lock(kind, p)
    cutoff = ctx.at(lock)
    if cutoff not in common:
        common[cutoff] = fm.estimate_common(log, cutoff, ctx)
    params = fm.estimate(log, owners, slip, kind, p, cutoff, ctx, common[cutoff])
    f = fm.forecast(snapshot, owners, p, lock, lock, params, ctx.cfg)
    actual = actual_of(log, owners, p, ctx)
    values = {"baton": float(f.point), "call": call, "commit": commit_sum(snapshot, owners, p)}
    tol = tolerance[kind]  # every kind given (`ForecastConfig.tolerance_for`)
    errors: dict[str, float | None] = {m: ((v - actual) / actual if actual > 0 else None) for m, v in values.items()}
    inside = {m: (abs(e) <= tol + 1e-12 if e is not None else values[m] == 0) for m, e in errors.items()}
    return Row(scope, subject, kind, p, actual, values, errors, inside, tuple(f.fallbacks))


def summarise(rows: list[Row]) -> list[Summary]:
    by: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for r in rows:
        by[(r.kind, r.scope)].append(r)
    out = []
    for (kind, scope), rs in sorted(by.items()):
        mape: dict[str, float | None] = {}
        for m in METHODS:
            errs = [abs(r.errors[m]) for r in rs if r.errors[m] is not None]  # type: ignore[arg-type]
            mape[m] = sum(errs) / len(errs) if errs else None
        out.append(Summary(kind, scope, len(rs), mape, {m: sum(r.inside[m] for r in rs) for m in METHODS}))
    return out


async def run(uow: UnitOfWork, log: fm.Log | None = None) -> list[Row]:
    """The backtest over everything the log and the calls hold."""
    teams = [t.id for t in uow.config.teams_by_function("field_sales")]
    members = {t: set(fc.team_members(uow, t)) for t in teams}
    team_of = {rep: t for t, reps in members.items() for rep in reps}
    log = log or await fm.load(uow)
    return backtest(log, fm.context(uow), fc.today(uow), members, team_of, {k: uow.config.forecast.tolerance_for(k) for k in fc.KINDS})


# -- what people see: /forecast accuracy, the monthly digest line ------------------------------------
SHOWN = 12  # periods per kind on /forecast accuracy, newest first (one line each: well inside a section)


@dataclass(frozen=True)
class Report(Result):
    """The backtest of one scope for `/forecast accuracy`: rows newest first (at most `SHOWN` per
    kind), and per kind the summary over every scored period (not only those shown)."""

    scope: str = "rep"  # rep | team | company
    who: str = ""  # the rep's or the team's id; "" for the company
    kinds: tuple[str, ...] = ()
    rows: tuple[Row, ...] = ()
    summaries: tuple[Summary, ...] = ()
    min_months: int = 12  # `forecast.model.backtest_min_months`, for the "too little history" line
    _: KW_ONLY
    subject: str = "forecast"


def scope_of_viewer(uow: UnitOfWork, viewer: str) -> tuple[str, str] | Result:
    """Whose backtest a person sees: the company for a CRO, the (first) team a manager manages,
    else their own calls."""
    if permissions.allows("forecast.company", uow.config, uow.config.person(viewer), None):  # as /forecast team's company view
        return "company", ""
    scope = fc.view_scope(uow, viewer, "team" if fc.teams_managed(uow, viewer) else None)
    if not scope.ok:
        return scope
    return ("team", scope.team_id or "") if scope.team_id else ("rep", scope.rep or "")


async def accuracy(uow: UnitOfWork, viewer: str, kinds: tuple[str, ...]) -> Report:
    found = scope_of_viewer(uow, viewer)
    if isinstance(found, Result):
        return Report(found.outcome, subject=found.subject)
    scope, who = found
    rows = [r for r in await run(uow) if r.scope == scope and r.subject == who and r.kind in kinds]
    newest = sorted(rows, key=lambda r: (r.period.start, r.kind), reverse=True)
    shown = tuple(r for k in kinds for r in [x for x in newest if x.kind == k][:SHOWN])
    summaries = tuple(s for k in kinds for s in summarise(rows) if s.kind == k)
    return Report(Outcome.ALLOWED, scope, who, kinds, shown, summaries, uow.config.forecast.model.backtest_min_months)


@dataclass(frozen=True)
class Latest:
    """The last closed period that was scored, and the running summary of its kind (same scope)."""

    row: Row
    summary: Summary


def latest_of(rows: list[Row], scope: str, who: str) -> Latest | None:
    mine = [r for r in rows if r.scope == scope and r.subject == who]
    if not mine:
        return None
    row = max(mine, key=lambda r: (r.period.end, r.kind == "quarter"))  # a quarter over its own last month
    return Latest(row, summarise([r for r in mine if r.kind == row.kind])[0])


async def latest(uow: UnitOfWork, scope: str, who: str) -> Latest | None:
    return latest_of(await run(uow), scope, who)
