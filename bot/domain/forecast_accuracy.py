"""Forecast accuracy and rep bias, computed on the fly from what is kept anyway: submissions
(`forecast_submissions`) and bookings (`stage_events` → won). Nothing extra is stored, so the
history is exactly as long as those two logs.

For every closed period, the submission that counts is the last one before the lock point
(`forecast.lock_days` after the period start); error % = (call − actual) ÷ actual; inside means
within ±tolerance (quarter 5 %, month 10 % by default).
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select

from bot.context import UnitOfWork
from bot.domain import forecast as fc
from bot.domain.forecast_diff import value_jpy
from bot.domain.pipeline import NOT_A_LOSS
from bot.models import ForecastSubmission, StageEvent


DIFFERS_BY = Fraction(5, 100)  # a phase's history is shown beside its default from 5 points apart


@dataclass(frozen=True)
class Accuracy:
    scope: str  # rep | team
    subject: str  # person id or team id
    kind: str  # month | quarter
    period_key: str
    period_start: date
    submitted: Decimal
    actual: Decimal
    error: float | None  # (submitted − actual) ÷ actual; None when nothing was booked
    inside: bool
    tolerance: float


@dataclass(frozen=True)
class Bias:
    person: str
    ratio: Decimal | None  # mean of submitted ÷ actual, exact; > 1 optimistic, < 1 pessimistic
    sample: int
    label: str  # optimistic | pessimistic | balanced | unknown

    def adjust(self, amount: Decimal, min_sample: int) -> Decimal:
        """The call ÷ the bias, to the yen (half up). The exact ratio, not the one shown: ×0.24 on screen
        may be 0.2449…, and dividing by the shown figure would be off by ¥10万s."""
        if self.ratio is None or self.sample < min_sample or self.ratio <= 0:
            return amount
        return (amount / self.ratio).quantize(Decimal("1"), rounding=ROUND_HALF_UP)

    def shown(self) -> str:
        """The ratio as the team view shows it: two decimals, half up (×1.13 for 1.125)."""
        return f"{self.ratio.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}" if self.ratio is not None else ""


async def bookings(uow: UnitOfWork, start: date, end: date) -> list[tuple[str | None, Decimal, date]]:
    """(owner, JPY amount, day) of every deal won in [start, end), from the stage-event log."""
    rows = await uow.session.scalars(
        select(StageEvent).where(
            StageEvent.entity_type == "opportunity", StageEvent.to_stage == "won",
            StageEvent.occurred_at >= fc.local_midnight(uow, start), StageEvent.occurred_at < fc.local_midnight(uow, end),
        )  # fmt: skip
    )
    out = []
    rates = fc.rates(uow)
    for e in rows:
        data = e.data or {}
        try:
            amount = value_jpy({"amount": data.get("amount") or 0, "currency": data.get("currency") or "JPY"}, rates)
        except ValueError:
            continue
        out.append((data.get("owner"), amount, e.occurred_at.astimezone(fc.tz(uow)).date()))
    return out


async def history(uow: UnitOfWork, *, kind: str | None = None) -> list[Accuracy]:
    """Accuracy of every rep's and team's call for every closed period, oldest first."""
    cfg = uow.config.forecast
    today = fc.today(uow)
    q = select(ForecastSubmission).order_by(ForecastSubmission.submitted_at, ForecastSubmission.id)
    if kind:
        q = q.where(ForecastSubmission.period_kind == kind)
    subs = list(await uow.session.scalars(q))
    latest: dict[tuple[str, str, str, date], ForecastSubmission] = {}
    for s in subs:
        p = fc.period_from(s.period_kind, s.period_start, fc.fiscal_start(uow))
        if p.end > today:
            continue  # not closed yet
        lock = fc.local_midnight(uow, cfg.lock_at(s.period_kind, p.start))
        if s.submitted_at >= lock:
            continue
        subject = s.team_id if s.scope == "team" else s.person_id
        latest[(s.scope, subject or "", s.period_kind, s.period_start)] = s  # ordered: the last wins
    booked_cache: dict[tuple[date, date], list[tuple[str | None, Decimal, date]]] = {}
    out = []
    for (scope, subject, k, start), s in sorted(latest.items(), key=lambda kv: (kv[0][3], kv[0][2], kv[0][0], kv[0][1])):
        p = fc.period_from(k, start, fc.fiscal_start(uow))
        if (p.start, p.end) not in booked_cache:
            booked_cache[(p.start, p.end)] = await bookings(uow, p.start, p.end)
        owners = {subject} if scope == "rep" else set(fc.team_members(uow, subject))
        actual = sum((a for o, a, _ in booked_cache[(p.start, p.end)] if o in owners), Decimal(0))
        tol = cfg.tolerance_for(k)
        if actual > 0:
            err = float((s.commit_amount - actual) / actual)
            inside = abs(err) <= tol + 1e-12
        else:
            err = None
            inside = s.commit_amount == 0
        out.append(Accuracy(scope, subject, k, p.key, p.start, s.commit_amount, actual, err, inside, tol))
    return out


def bias_of(records: list[Accuracy], person: str, band: float = 0.05) -> Bias:
    ratios = [Decimal(r.submitted) / Decimal(r.actual) for r in records if r.scope == "rep" and r.subject == person and r.actual > 0]
    if not ratios:
        return Bias(person, None, 0, "unknown")
    ratio = sum(ratios, Decimal(0)) / len(ratios)
    b = Decimal(str(band))
    label = "optimistic" if ratio > 1 + b else "pessimistic" if ratio < 1 - b else "balanced"
    return Bias(person, ratio, len(ratios), label)


async def biases(uow: UnitOfWork, people: list[str]) -> dict[str, Bias]:
    records = await history(uow)
    return {p: bias_of(records, p) for p in people}


@dataclass(frozen=True)
class PhaseRate:
    phase: int
    won: int
    lost: int
    rate: float | None
    default: float
    differs: bool


async def phase_win_rates(uow: UnitOfWork) -> list[PhaseRate]:
    """Per phase: of the closed deals that reached it, the share won (from the stage-event log)."""
    # One aggregate: each closed deal's highest phase reached × its (latest) outcome, counted in SQL.
    ev = StageEvent
    deal = ev.entity_type == "opportunity"
    top = (
        select(ev.entity_id.label("e"), func.max(ev.to_stage).label("top"))  # "phase_1" < … < "phase_5"
        .where(deal, ev.to_stage.in_([f"phase_{k}" for k in range(1, 6)]))
        .group_by(ev.entity_id)
        .subquery()
    )
    closing = or_(ev.to_stage == "won", and_(ev.to_stage == "lost", or_(ev.reason.is_(None), ev.reason.not_in(NOT_A_LOSS))))
    last = select(func.max(ev.id).label("id")).where(deal, closing).group_by(ev.entity_id).subquery()
    rows = await uow.session.execute(
        select(top.c.top, ev.to_stage, func.count())
        .join(ev, ev.entity_id == top.c.e)
        .join(last, last.c.id == ev.id)
        .where(deal)
        .group_by(top.c.top, ev.to_stage)
    )
    closed = [(int(top_stage[6:]), to, n) for top_stage, to, n in rows]
    cfg = uow.config.forecast
    out = []
    for phase in range(1, 6):
        won = sum(n for reached, to, n in closed if to == "won" and reached >= phase)
        lost = sum(n for reached, to, n in closed if to == "lost" and reached >= phase)
        default = float(cfg.phase_win_rates.get(phase, uow.config.pipeline.win_rate_fallback))
        rate = won / (won + lost) if won + lost else None
        # Exact: a history of exactly 30 % against a 35 % default differs by 5 points (floats say 4.99…).
        differs = rate is not None and won + lost >= cfg.history_min_sample and abs(Fraction(won, won + lost) - Fraction(str(default))) >= DIFFERS_BY
        out.append(PhaseRate(phase, won, lost, rate, default, differs))
    return out


def summary(records: list[Accuracy]) -> dict[str, Any]:
    by = defaultdict(list)
    for r in records:
        by[(r.scope, r.subject, r.kind)].append(r)
    return {k: {"n": len(v), "inside": sum(1 for r in v if r.inside)} for k, v in by.items()}
