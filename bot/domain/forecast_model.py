"""Baton's own forecast (THE MODEL's three elements): per-phase win rates from history, each rep's
calibration, and seasonality — with a range, every parameter with its sample size, and the
configured fallback (`forecast.model.*`) named wherever history is too thin.

    forecast = won in the period
             + Σ open deals due in it: amount × P(win | phase[, category]) × rep calibration × P(in period)
             + run rate of deals created after the lock point and won inside the period × seasonality

The event log is read once (`load`) into plain `Deal`s; everything else is plain functions over
plain values, so the backtest (`forecast_backtest`) re-estimates the parameters as of any past
lock point without touching the database again.

At a million events a full read takes seconds, so the process keeps the log (`Context.derived`) and
a later `load` reads only the events added since; the counts and sums the estimates need are
tallies carried from one log to the next by redoing only the deals that changed (`_tally`).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from statistics import NormalDist
from typing import Any

from sqlalchemy import String, func, select, type_coerce

from bot.clock import as_utc
from bot.config_sections.forecast import ForecastModel
from bot.context import UnitOfWork
from bot.domain import forecast as fc
from bot.domain.forecast_diff import PeriodSpan, in_measure
from bot.domain import pipeline as pl
from bot.domain.pipeline import NOT_A_LOSS
from bot.models import ForecastSubmission, StageEvent
from bot.periods import Period, month_of, period_of

PHASES = range(1, 6)


# -- the event log, read once ---------------------------------------------------------------------
@dataclass(slots=True)
class Deal:
    """One deal as the stage-event log tells it (business times)."""

    id: int
    owner: str | None = None
    amount: float = 0.0  # JPY, the latest amount any event carried
    created: datetime | None = None
    entry_phase: int = 1
    phases: dict[int, str] = field(default_factory=dict)  # phase it was at → forecast category last held there
    outcome: str | None = None  # won | lost | None (open, or sent back at hand-off: not a sale)
    closed: datetime | None = None


@dataclass(frozen=True)
class Submitted:
    """A forecast call with its deal snapshot (what the rep saw when they called it)."""

    scope: str  # rep | team
    subject: str
    kind: str
    period_start: date
    submitted_at: datetime
    commit: float
    snapshot: tuple[dict[str, Any], ...]


@dataclass
class Log:
    deals: dict[int, Deal]
    submissions: list[Submitted]
    first: datetime | None  # the first deal fact: how much history there is
    cache: dict[Any, Any] = field(default_factory=dict)  # derived lists, worked out once per log
    # The log this one was folded on from, and the deals that differ from it: a tally (`_tally`)
    # the parent has already worked out is carried over by redoing only those deals.
    parent: Log | None = None
    changed: frozenset[int] = frozenset()
    last_closed: datetime | None = None  # no deal closed after it (None: not known, worked out)


def deals_from(rows: Iterable[tuple], jpy: dict[str, Decimal], phase_categories: dict[int, str]) -> dict[int, Deal]:
    """`rows`: (entity_type, entity_id, to_stage, occurred_at, reason, data) in log order; `data` may
    be a dict or a tuple (amount, currency, owner) already taken out of it."""
    return DealFold(jpy, phase_categories).feed(rows).deals


class DealFold:
    """The deals as of the rows fed so far, with the state a later `feed` continues from (the phase
    each deal is at, its currency). `branch` shares the deals with this fold and copies a deal only
    when a later row changes it, so a `Log` handed out earlier never changes under its reader."""

    def __init__(self, jpy: dict[str, Decimal], phase_categories: dict[int, str]) -> None:
        self.jpy, self.phase_categories = jpy, phase_categories
        self.deals: dict[int, Deal] = {}
        self.current: dict[int, int] = {}
        self.currency: dict[int, str] = {}
        self._own: set[int] | None = None  # None: every deal is this fold's own
        self.last_closed: datetime | None = None  # the latest close fed (a reopened deal keeps it: a bound)

    def branch(self) -> DealFold:
        new = DealFold(self.jpy, self.phase_categories)
        new.deals, new.current, new.currency, new._own = dict(self.deals), dict(self.current), dict(self.currency), set()
        new.last_closed = self.last_closed
        return new

    def changed(self) -> frozenset[int]:
        return frozenset(self._own or ())

    def _deal(self, eid: int, at: Any) -> Deal:
        d = self.deals.get(eid)
        if d is None:
            d = self.deals[eid] = Deal(eid, created=_utc(at))
            if self._own is not None:
                self._own.add(eid)
        elif self._own is not None and eid not in self._own:  # shared with an earlier fold: copy first
            d = self.deals[eid] = replace(d, phases=dict(d.phases))
            self._own.add(eid)
        return d

    def feed(self, rows: Iterable[tuple]) -> DealFold:
        """`rows`: (entity_type, entity_id, to_stage, occurred_at, reason, data) as for `deals_from`."""
        return self.feed_flat((et, i, to, at, reason, *(data if isinstance(data, tuple) else _fields(data or {}))) for et, i, to, at, reason, data in rows)

    def feed_flat(self, rows: Iterable[Any]) -> DealFold:
        """`rows`: (entity_type, entity_id, to_stage, occurred_at, reason, amount, currency, owner);
        occurred_at may be SQLite's text, parsed only where it is used (a deal's first event, a close)."""
        current, currency, jpy, deals, own = self.current, self.currency, self.jpy, self.deals, self._own
        names: dict[str, str] = {}
        for etype, eid, to, at, reason, amount, cur, owner in rows:
            d = deals.get(eid)
            if d is None or (own is not None and eid not in own):  # new, or shared with an earlier fold
                d = self._deal(eid, at)
            if owner:
                d.owner = names.setdefault(owner, owner)  # one string per owner, not one per deal (the log is kept)
            if cur:
                currency[eid] = names.setdefault(cur, cur)
            if amount is not None and amount != "":
                d.amount = _jpy(amount, currency.get(eid, "JPY"), jpy, d.amount)
            if etype == "opportunity.category":
                if eid in current:
                    d.phases[current[eid]] = to
                continue
            if (k := pl.phase_of(to)) is not None:  # a malformed stage name is skipped, never a crash of /forecast
                if eid not in current:
                    d.entry_phase = k
                current[eid] = k
                d.phases[k] = self.phase_categories.get(k, "pipeline")  # the default; a category event follows if not
                d.outcome, d.closed = None, None  # a reopened deal is open again
            elif to == "won" or to == "lost":
                sale = not (to == "lost" and reason in NOT_A_LOSS)
                at = _utc(at)
                d.outcome, d.closed = (to if sale else None), at
                if at is not None and (self.last_closed is None or at > self.last_closed):
                    self.last_closed = at
        return self


def _fields(data: dict[str, Any]) -> tuple[Any, Any, Any]:
    return data.get("amount"), data.get("currency"), data.get("owner")


def _jpy(amount: Any, cur: str, jpy: dict[str, Decimal], old: float) -> float:
    try:
        v = float(amount)
    except (TypeError, ValueError):
        return old
    if cur == "JPY":
        return v
    rate = jpy.get(cur)
    return v * float(rate) if rate is not None else old


DEAL_EVENTS = ("opportunity", "opportunity.category")
CACHE = "forecast_model.log"  # the key of this module's entry in `Context.derived`
STREAM_PART = 20_000  # events per part of the log read


@dataclass(frozen=True)
class _Cached:
    """The deal log as last read by this process. `upto`: the highest event id folded; `count` and
    `idsum`: of the folded events — an event that commits late below `upto` (PostgreSQL hands out ids
    before commit) or one that disappears changes them, and the log is then read afresh."""

    key: tuple
    fold: DealFold
    upto: int
    count: int
    idsum: int
    subs_stamp: tuple
    log: Log


def _utc(v: Any) -> datetime | None:
    if isinstance(v, str):
        v = datetime.fromisoformat(v)
    return as_utc(v)


def _stamp_query(model: Any, *where: Any) -> Any:
    return select(func.count(), func.coalesce(func.sum(model.id), 0), func.coalesce(func.max(model.id), 0)).where(*where)


async def load(uow: UnitOfWork) -> Log:
    """The deal events (columns only; the three data fields taken out by the database, not whole
    JSON documents decoded here) and the submissions — read in full once per process, then only the
    events added since (an aggregate check proves nothing changed below them), so a repeated
    `/forecast` costs two aggregate queries and the new rows. Stage events are append-only."""
    ev = StageEvent
    jpy, categories = fc.rates(uow), uow.config.pipeline.phase_categories
    key = (tuple(sorted(jpy.items())), tuple(sorted(categories.items())))
    cached: _Cached | None = uow.ctx.derived.get(CACHE)
    if cached is not None and cached.key != key:
        cached = None
    fields = [ev.data[k].as_string() for k in ("amount", "currency", "owner")]
    # occurred_at as the driver gives it: SQLite's text parsed here by fromisoformat, several times
    # faster than SQLAlchemy's per-row DateTime processing (PostgreSQL hands datetimes already).
    at = type_coerce(ev.occurred_at, String)
    q = select(ev.id, ev.entity_type, ev.entity_id, ev.to_stage, at, ev.reason, *fields).where(ev.entity_type.in_(DEAL_EVENTS))
    if cached is not None:
        count, idsum, _ = (await uow.session.execute(_stamp_query(ev, ev.entity_type.in_(DEAL_EVENTS), ev.id <= cached.upto))).one()
        if (count, idsum) != (cached.count, cached.idsum):
            cached = None
    if cached is None:
        fold, upto, count, idsum = DealFold(jpy, categories), 0, 0, 0
    else:
        fold, upto, count, idsum = cached.fold, cached.upto, cached.count, cached.idsum
        q = q.where(ev.id > cached.upto)
    # Core rows (no ORM loading per row), streamed in parts: a million events are never all in memory.
    rows = 0
    result = await (await uow.session.connection()).stream(q.order_by(ev.id))
    async for part in result.partitions(STREAM_PART):
        if not rows and cached is not None:
            fold = fold.branch()
        fold.feed_flat(r[1:] for r in part)
        rows += len(part)
        upto, count, idsum = part[-1][0], count + len(part), idsum + sum(r[0] for r in part)
    subs_stamp = tuple((await uow.session.execute(_stamp_query(ForecastSubmission))).one())
    if cached is not None and not rows and subs_stamp == cached.subs_stamp:
        return cached.log  # the same object: what was worked out from it (`Log.cache`) stays valid
    if cached is not None and subs_stamp == cached.subs_stamp:
        subs = cached.log.submissions
    else:
        subs = [
            Submitted(s.scope, (s.team_id if s.scope == "team" else s.person_id) or "", s.period_kind, s.period_start,
                      s.submitted_at, float(s.commit_amount), tuple(s.snapshot or ()))
            for s in await uow.session.scalars(select(ForecastSubmission).order_by(ForecastSubmission.submitted_at, ForecastSubmission.id))
        ]  # fmt: skip
    parent = cached.log if cached is not None and rows else None
    if parent is None:
        first = min((d.created for d in fold.deals.values() if d.created), default=None)
    else:  # deals are never removed and keep their creation: only new ones can be earlier
        first = min((c for c in (parent.first, *(fold.deals[i].created for i in fold.changed())) if c), default=None)
    if parent is not None:
        parent.parent = None  # one generation back is enough to carry tallies over
    log = Log(fold.deals, subs, first, parent=parent, changed=fold.changed() if parent else frozenset(), last_closed=fold.last_closed)
    uow.ctx.derived[CACHE] = _Cached(key, fold, upto, count, idsum, subs_stamp, log)
    return log


# -- parameters -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Param:
    name: str  # e.g. phase_3, phase_3/commit, rep/tanaka, close_in_period, season/11, new_business
    value: float
    sample: int
    fallback: bool  # below the minimum sample: the configured value


@dataclass(frozen=True)
class Params:
    phase: dict[int, Param]
    category: dict[tuple[int, str], Param]  # only where history supports it
    rep: dict[str, Param]
    close_in_period: Param
    season: Param  # the factor of the period's fiscal month(s)
    new_business: Param  # expected yen won from deals not yet in the pipeline at the lock point (de-seasonalised)
    new_sd: float

    def all(self) -> list[Param]:
        return [*self.phase.values(), *self.category.values(), *self.rep.values(), self.close_in_period, self.season, self.new_business]

    def fallbacks(self) -> list[str]:
        return [p.name for p in self.all() if p.fallback]


@dataclass(frozen=True)
class Context:
    """What the estimation needs from the configuration, as plain values."""

    cfg: ForecastModel
    phase_defaults: dict[int, float]
    lock_days: dict[str, int]
    zone: Any
    fiscal_start: int

    def day(self, t: datetime) -> date:
        return t.astimezone(self.zone).date()

    def at(self, d: date) -> datetime:
        return datetime.combine(d, time(0), tzinfo=self.zone)

    def lock(self, kind: str, p: Period) -> date:
        return p.start + timedelta(days=self.lock_days.get(kind, 14 if kind == "quarter" else 7))

    def key(self) -> tuple:
        """Everything above as one hashable value (what a cached estimate was made with)."""
        return (self.cfg.model_dump_json(), tuple(sorted(self.phase_defaults.items())), tuple(sorted(self.lock_days.items())), str(self.zone), self.fiscal_start)


def context(uow: UnitOfWork) -> Context:
    f = uow.config.forecast
    defaults = {k: float(f.phase_win_rates.get(k, uow.config.pipeline.win_rate_fallback)) for k in PHASES}
    return Context(f.model, defaults, dict(f.lock_days), fc.tz(uow), fc.fiscal_start(uow))


def closed_before(log: Log, cutoff: datetime) -> list[Deal]:
    return [d for d in log.deals.values() if d.outcome and d.closed and d.closed < cutoff]


Tally = Counter  # key → count (or yen × 100): additive over deals, so a new log redoes only its changed deals


def _tally(log: Log, name: Any, contribution: Callable[[Deal], Iterable[tuple[Any, int]]]) -> Tally:
    """Σ over the log's deals of `contribution(deal)`, worked out once per log; from the parent's
    tally when it has one (minus the changed deals as they were, plus them as they are)."""
    if name in log.cache:
        return log.cache[name]
    parent = log.parent
    if parent is not None and name in parent.cache:
        t = Counter(parent.cache[name])
        for i in log.changed:
            if (old := parent.deals.get(i)) is not None:
                for k, v in contribution(old):
                    t[k] -= v
            for k, v in contribution(log.deals[i]):
                t[k] += v
    else:
        t = Counter()
        for d in log.deals.values():
            for k, v in contribution(d):
                t[k] += v
    log.cache[name] = t
    return t


def _closed_counts(d: Deal) -> list[tuple[Any, int]]:
    """What a closed deal adds to the win-rate counts: per phase it passed, per phase × category it
    held, and per owner (with the phase it entered at, for the calibration's expectation)."""
    if not (d.outcome and d.closed):
        return []
    w = int(d.outcome == "won")
    out: list[tuple[Any, int]] = []
    for k in range(d.entry_phase, max(d.phases, default=d.entry_phase) + 1):  # a deal created at phase 4 never was a phase-1 deal
        out += [(("n", k), 1), (("won", k), w)]
    for k, c in d.phases.items():
        out += [(("n", k, c), 1), (("won", k, c), w)]
    if d.owner:
        out += [(("n", d.owner), 1), (("won", d.owner), w), (("entered", d.owner, d.entry_phase), 1)]
    return out


def all_closed_before(log: Log, cutoff: datetime) -> bool:
    """No deal of the log closed at or after `cutoff`."""
    if log.last_closed is None and "last_closed" not in log.cache:
        log.cache["last_closed"] = max((d.closed for d in log.deals.values() if d.closed), default=None)
    last = log.last_closed or log.cache["last_closed"]
    return last is None or last < cutoff


def closed_tally(log: Log, cutoff: datetime) -> Tally:
    """The win-rate counts over the deals closed before `cutoff`: the log's own tally when no deal
    closed at or after it (the forecast of now), else counted afresh (a past lock point)."""
    if all_closed_before(log, cutoff):
        return _tally(log, "closed", _closed_counts)
    t: Tally = Counter()
    for d in closed_before(log, cutoff):
        for k, v in _closed_counts(d):
            t[k] += v
    return t


def phase_rates(t: Tally, ctx: Context) -> dict[int, Param]:
    out = {}
    for k in PHASES:
        n = t[("n", k)]
        enough = n >= ctx.cfg.min_phase_deals
        out[k] = Param(f"phase_{k}", t[("won", k)] / n if enough else ctx.phase_defaults[k], n, not enough)
    return out


def category_rates(t: Tally, ctx: Context) -> dict[tuple[int, str], Param]:
    return {
        (key[1], key[2]): Param(f"phase_{key[1]}/{key[2]}", t[("won", key[1], key[2])] / n, n, False)
        for key, n in sorted(t.items(), key=lambda kv: str(kv[0]))
        if key[0] == "n" and len(key) == 3 and isinstance(key[1], int) and n >= ctx.cfg.min_category_deals
    }  # fmt: skip


def rep_calibration(t: Tally, phase: dict[int, Param], ctx: Context) -> dict[str, Param]:
    """Per rep: deals won ÷ deals the phase rates expected (from the phase each deal entered at).
    Below 1: the rep's deals win less often than their phases say (an optimistic rep)."""
    expected: dict[str, float] = defaultdict(float)
    for key, m in sorted(t.items(), key=lambda kv: str(kv[0])):  # a fixed order: the same sum however the tally was built
        if key[0] == "entered" and m and key[2] in phase:
            expected[key[1]] += m * phase[key[2]].value
    out = {}
    for key, n in sorted(t.items(), key=lambda kv: str(kv[0])):
        if key[0] != "n" or len(key) != 2 or not isinstance(key[1], str) or n <= 0:
            continue
        rep = key[1]
        enough = n >= ctx.cfg.min_rep_deals and expected[rep] > 0
        out[rep] = Param(f"rep/{rep}", t[("won", rep)] / expected[rep] if enough else 1.0, n, not enough)
    return out


def close_in_period(log: Log, owners: set[str], kind: str, cutoff: datetime, ctx: Context) -> Param:
    """Of the deals a past snapshot showed due in a period (of `kind`) and that were later won: the
    share won inside that period (this team's slip)."""
    seen: set[tuple[int, str, date]] = set()
    n = k = 0
    for s in log.submissions:
        if s.submitted_at >= cutoff or s.kind != kind:
            continue
        p = period_of(s.kind, s.period_start, ctx.fiscal_start)  # type: ignore[arg-type]
        if ctx.at(p.end) > cutoff:
            continue
        for item in s.snapshot:
            if item.get("status") != "open" or item.get("owner") not in owners or not item.get("close_date"):
                continue
            if not p.contains(date.fromisoformat(item["close_date"])) or (item["id"], s.kind, p.start) in seen:
                continue
            seen.add((item["id"], s.kind, p.start))
            d = log.deals.get(item["id"])
            if d and d.outcome == "won" and d.closed and d.closed < cutoff:
                n += 1
                k += p.contains(ctx.day(d.closed))
    enough = n >= ctx.cfg.min_slip_deals
    return Param("close_in_period", k / n if enough else ctx.cfg.close_in_period, n, not enough)


def _periods(kind: str, first: date, cutoff: date, ctx: Context) -> list[Period]:
    """Whole periods of `kind` after the first fact and ended by the cutoff."""
    out = []
    p = period_of(kind, first, ctx.fiscal_start)  # type: ignore[arg-type]
    while True:
        p = period_of(kind, p.end, ctx.fiscal_start)  # type: ignore[arg-type]
        if p.end > cutoff:
            return out
        out.append(p)


def _new_business(log: Log, owners: set[str] | None, periods: list[Period], kind: str, ctx: Context) -> dict[Period, float]:
    """Per period: JPY won inside it from deals of `owners` (None: everyone's) created on or after its lock point."""
    by_start: dict[date, int] = defaultdict(int)
    for (start, owner), cents in _won_new(log, kind, ctx).items():
        if owners is None or owner in owners:
            by_start[start] += cents
    return {p: by_start.get(p.start, 0) / 100 for p in periods}


def _won_new(log: Log, kind: str, ctx: Context) -> Tally:
    """(start of the period of `kind` it was won in, owner) → yen × 100 won from deals created on or
    after that period's lock point (whole hundredths of a yen: sums carried over stay exact)."""
    periods: dict[tuple[int, int], tuple[date, date]] = {}  # (year, month) → (its period's start, lock point)
    zone = ctx.zone

    def won(d: Deal) -> list[tuple[Any, int]]:
        if d.outcome != "won" or not d.created or not d.closed:
            return []
        closed = d.closed.astimezone(zone)
        month = (closed.year, closed.month)
        if month not in periods:
            p = period_of(kind, date(closed.year, closed.month, 1), ctx.fiscal_start)  # type: ignore[arg-type]
            periods[month] = (p.start, ctx.lock(kind, p))
        start, lock = periods[month]
        return [((start, d.owner), round(d.amount * 100))] if d.created.astimezone(zone).date() >= lock else []

    some = period_of(kind, date(2000, 1, 1), ctx.fiscal_start)  # type: ignore[arg-type]
    return _tally(log, ("won_new", kind, ctx.zone, ctx.fiscal_start, ctx.lock(kind, some) - some.start), won)


def seasonality(log: Log, owners: set[str] | None, cutoff: datetime, ctx: Context) -> tuple[dict[int, Param], int]:
    """Per calendar month: its run rate of new-business bookings ÷ the mean month's, where at
    least `min_history_months` of history exist (else 1.0, said so). Returns (factors, months).
    The forecast estimates it over everyone's deals (`owners` None): an external factor, and one
    team's year is too thin to tell a season from chance."""
    if log.first is None:
        return {m: Param(f"season/{m}", 1.0, 0, True) for m in range(1, 13)}, 0
    months = _periods("month", ctx.day(log.first), ctx.day(cutoff), ctx)
    u = _new_business(log, owners, months, "month", ctx)
    mean = sum(u.values()) / len(u) if u else 0.0
    enough = len(months) >= ctx.cfg.min_history_months and mean > 0
    by: dict[int, list[float]] = defaultdict(list)
    for p, v in u.items():
        by[p.start.month].append(v)
    out = {}
    for m in range(1, 13):
        ok = enough and bool(by[m])
        out[m] = Param(f"season/{m}", (sum(by[m]) / len(by[m]) / mean) if ok else 1.0, len(by[m]), not ok)
    return out, len(months)


def _season_of(p: Period, season: dict[int, Param]) -> Param:
    months = [month_of(date(p.start.year + (p.start.month - 1 + i) // 12, (p.start.month - 1 + i) % 12 + 1, 1)) for i in range(3 if p.kind == "quarter" else 1)]
    ps = [season[m.start.month] for m in months]
    return Param(f"season/{p.key}", sum(x.value for x in ps) / len(ps), min(x.sample for x in ps), any(x.fallback for x in ps))


def estimate(log: Log, owners: set[str], team: set[str], kind: str, target: Period, cutoff: datetime, ctx: Context, common: tuple | None = None) -> Params:
    """The parameters as of `cutoff` for a forecast of `target` for `owners` (`team`: whose slip).
    `common`: (phase, category, rep) already estimated for this cutoff (they do not depend on the scope)."""
    if common is None:
        common = estimate_common(log, cutoff, ctx)
    phase, category, rep = common
    season, _ = seasonality(log, None, cutoff, ctx)
    past = _periods(kind, ctx.day(log.first), ctx.day(cutoff), ctx) if log.first else []
    u = _new_business(log, owners, past, kind, ctx)
    deseason = [v / max(_season_of(p, season).value, 1e-9) for p, v in u.items()]
    enough = len(deseason) >= ctx.cfg.min_new_periods
    mean = sum(deseason) / len(deseason) if enough else 0.0
    sd = math.sqrt(sum((x - mean) ** 2 for x in deseason) / (len(deseason) - 1)) if enough and len(deseason) > 1 else 0.0
    new = Param("new_business", mean, len(deseason), not enough)
    return Params(phase, category, rep, close_in_period(log, team, kind, cutoff, ctx), _season_of(target, season), new, sd)


def estimate_common(log: Log, cutoff: datetime, ctx: Context) -> tuple:
    t = closed_tally(log, cutoff)
    phase = phase_rates(t, ctx)
    return phase, category_rates(t, ctx), rep_calibration(t, phase, ctx)


# -- the forecast -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Driver:
    deal_id: int
    name: str
    owner: str | None
    amount: Decimal
    probability: float
    expected: Decimal


@dataclass(frozen=True)
class Forecast:
    period: Period
    won: Decimal
    pipeline: Decimal  # Σ expected of the open deals due in the period
    new_business: Decimal  # expected from deals not in the pipeline yet (× seasonality)
    point: Decimal
    low: Decimal
    high: Decimal
    interval: float
    drivers: list[Driver]  # the open deals that move it most
    factors: dict[str, Decimal]  # yen each correction moves it: rep, close_in_period, season
    params: Params
    fallbacks: list[str]


def forecast(deals: Iterable[dict[str, Any]], owners: set[str], p: Period, today: date, lock: date, params: Params, cfg: ForecastModel, top: int = 3) -> Forecast:
    """Plain snapshot items (`forecast.deal_snapshot`) in; the forecast of `p` for `owners` out."""
    span = PeriodSpan(p.start, p.end)
    won = pipe = var = rep_effect = slip_effect = 0.0
    drivers: list[Driver] = []
    used: list[Param] = []
    p_in = params.close_in_period.value
    for d in deals:
        if d.get("owner") not in owners or d.get("amount_jpy") is None or not in_measure(d, span):
            continue
        a = float(d["amount_jpy"])
        if d.get("status") == "won":
            won += a
            continue
        phase = int(d.get("phase") or 1)
        base = params.category.get((phase, d.get("category") or ""), params.phase[min(max(phase, 1), 5)])
        rep = params.rep.get(d.get("owner") or "", Param("rep", 1.0, 0, True))
        used += [base, rep]
        q_win = min(1.0, base.value * rep.value)
        q = q_win * p_in
        pipe += a * q
        var += a * a * q * (1 - q)
        rep_effect += a * (q_win - base.value) * p_in
        slip_effect += a * q_win * (p_in - 1)
        drivers.append(Driver(d["id"], d.get("name") or "", d.get("owner"), Decimal(str(d["amount_jpy"])), q, _yen(a * q)))
    remaining = max(0.0, min(1.0, (p.end - max(today, lock)).days / max(1, (p.end - lock).days)))
    base_new = params.new_business.value * remaining
    new = base_new * params.season.value
    var += (params.new_sd * remaining * params.season.value) ** 2
    z = NormalDist().inv_cdf((1 + cfg.interval) / 2)
    point = won + pipe + new
    sd = math.sqrt(var)
    drivers.sort(key=lambda x: (-x.expected, x.deal_id))
    factors = {"rep": _yen(rep_effect), "close_in_period": _yen(slip_effect), "season": _yen(new - base_new), "new_business": _yen(new)}
    shown = [params.close_in_period, params.season, params.new_business, *used]
    fallbacks = sorted({x.name for x in shown if x.fallback and not x.name == "rep"})
    return Forecast(
        p, _yen(won), _yen(pipe), _yen(new), _yen(point), _yen(max(won, point - z * sd)), _yen(point + z * sd), cfg.interval,
        drivers[:top], factors, params, fallbacks,
    )  # fmt: skip


def _yen(x: float) -> Decimal:
    return Decimal(round(x))


# -- for a rep, a team, the company, now --------------------------------------------------------------
def scope_owners(uow: UnitOfWork, *, rep: str | None = None, team: str | None = None) -> tuple[set[str], set[str]]:
    """(whose deals, whose slip): a rep and their team, a team, or (neither) every FS rep."""
    if rep:
        t = fc.team_of_rep(uow, rep)
        return {rep}, set(fc.team_members(uow, t)) | {rep} if t else {rep}
    if team:
        members = set(fc.team_members(uow, team))
        return members, members
    everyone = {m for t in uow.config.teams_by_function("field_sales") for m in fc.team_members(uow, t.id)}
    return everyone, everyone


async def current(uow: UnitOfWork, kind: str, *, rep: str | None = None, team: str | None = None, log: Log | None = None) -> Forecast:
    """Baton's forecast of the current month or quarter for a rep, a team, or the company."""
    ctx = context(uow)
    log = log or await load(uow)
    p = fc.period(uow, kind)
    owners, slip = scope_owners(uow, rep=rep, team=team)
    now = uow.now()
    # The parameters depend on the cutoff only through its day, the deals closed and the calls made
    # before it: while no deal closed after the last close in the log, they hold for the whole day.
    closed_all = all_closed_before(log, now)
    key = ("params", kind, frozenset(owners), frozenset(slip), p, ctx.day(now), sum(s.submitted_at < now for s in log.submissions), ctx.key())
    params = log.cache.get(key) if closed_all else None
    if params is None:
        params = estimate(log, owners, slip, kind, p, now, ctx)
        if closed_all:
            log.cache[key] = params
    deals = await fc.snapshot(uow, sorted(owners), p.start)
    return forecast(deals, owners, p, fc.today(uow), ctx.lock(kind, p), params, ctx.cfg)

