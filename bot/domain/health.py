"""Health score: measures from usage signals → 0–100 points each → weighted score and band.

`score()` is pure (values in, numbers out) so it can be tested against hand-computed figures.
`measure_values()` and `recompute()` read the signals of an account and keep the daily history
(`HealthSnapshot`, the maturity curve).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from bot.config_sections.success import Health, Measure
from bot.context import UnitOfWork
from bot.models import Account, HealthSnapshot, UsageSignal

BAND_RANK = {"red": 0, "yellow": 1, "green": 2}


def points(measure: Measure, value: float) -> float:
    """One measure's value → 0..100 points."""
    if measure.linear is not None:
        lo, hi = measure.linear.from_, measure.linear.to
        return max(0.0, min(100.0, (value - lo) / (hi - lo) * 100.0))
    for t in measure.thresholds:
        if (t.min is None or value >= t.min) and (t.max is None or value <= t.max):
            return float(t.points)
    return 0.0


def band_of(score: int, config: Health) -> str:
    if score >= config.bands.green:
        return "green"
    return "yellow" if score >= config.bands.yellow else "red"


def _round(x: float) -> int:
    return int(math.floor(x + 0.5))


def score(
    measures: dict[str, float | None], config: Health, last_known: dict[str, float] | None = None
) -> tuple[int | None, str | None, dict[str, dict[str, Any]]]:
    """`measures`: measure id → value (None or absent: no data). Returns (score, band, per-measure).

    Missing data per the measure's (or the default) rule: `ignore` leaves the measure out and
    renormalises the weights; `zero` counts it as 0 points; `last_known` uses `last_known[id]`
    (ignored when there is none). No usable measure at all → (None, None, per-measure).
    """
    per: dict[str, dict[str, Any]] = {}
    total = weights = 0.0
    for m in config.measures:
        value = measures.get(m.id)
        rule = m.missing or config.missing
        status = "ok"
        if value is None:
            if rule == "zero":
                status = "zero"
            elif rule == "last_known" and last_known and last_known.get(m.id) is not None:
                value, status = last_known[m.id], "last_known"
            else:
                per[m.id] = {"value": None, "points": None, "weight": m.weight, "status": "missing"}
                continue
        p = 0.0 if value is None else points(m, float(value))
        per[m.id] = {"value": value, "points": round(p, 1), "weight": m.weight, "status": status}
        total += p * m.weight
        weights += m.weight
    if weights == 0:
        return None, None, per
    s = _round(total / weights)
    return s, band_of(s, config), per


# -- reading signals ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    score: int | None
    band: str | None
    measures: dict[str, dict[str, Any]]
    snapshot: HealthSnapshot | None


def _aggregate(kind: str, rows: list[tuple[date, float]]) -> float | None:
    if not rows:
        return None
    vals = [v for _, v in rows]
    if kind == "sum":
        return sum(vals)
    if kind == "avg":
        return sum(vals) / len(vals)
    if kind == "max":
        return max(vals)
    return max(rows)[1]  # latest


async def measure_values(uow: UnitOfWork, account: Account, day: date, config: Health) -> dict[str, float | None]:
    """Each measure's value on `day`: its signal over the window ending that day."""
    if not config.measures:
        return {}
    longest = max(m.window_days for m in config.measures)
    signals = {m.signal for m in config.measures}
    rows = (
        await uow.session.execute(
            select(UsageSignal.signal, UsageSignal.day, UsageSignal.value).where(
                UsageSignal.account_id == account.id,
                UsageSignal.signal.in_(signals),
                UsageSignal.day <= day,
                UsageSignal.day > day - timedelta(days=longest),
            )
        )
    ).all()
    out: dict[str, float | None] = {}
    for m in config.measures:
        start = day - timedelta(days=m.window_days)
        mine = [(d, v) for s, d, v in rows if s == m.signal and d > start]
        value = _aggregate(m.aggregate, mine)
        if value is not None and m.per_seat:
            value = value / account.seats if account.seats else None
        out[m.id] = value
    return out


async def snapshot_on(uow: UnitOfWork, account_id: int, day: date) -> HealthSnapshot | None:
    return await uow.session.scalar(
        select(HealthSnapshot).where(HealthSnapshot.account_id == account_id, HealthSnapshot.day == day)
    )


async def latest_before(uow: UnitOfWork, account_id: int, day: date, *, inclusive: bool = False) -> HealthSnapshot | None:
    cond = HealthSnapshot.day <= day if inclusive else HealthSnapshot.day < day
    return await uow.session.scalar(
        select(HealthSnapshot)
        .where(HealthSnapshot.account_id == account_id, cond)
        .order_by(HealthSnapshot.day.desc())
        .limit(1)
    )


async def highest_since(uow: UnitOfWork, account_id: int, since: date, day: date) -> HealthSnapshot | None:
    """The highest-scoring snapshot on a day in [since, day) — whatever history exists there (a
    young account's few days, an imported past); the latest of equal scores."""
    return await uow.session.scalar(
        select(HealthSnapshot)
        .where(HealthSnapshot.account_id == account_id, HealthSnapshot.day >= since, HealthSnapshot.day < day)
        .order_by(HealthSnapshot.score.desc(), HealthSnapshot.day.desc())
        .limit(1)
    )


async def recompute(uow: UnitOfWork, account: Account, day: date, *, current: bool = True) -> Result:
    """Score the account on `day`, keep that day's snapshot (one per day, updated) and, when
    `current` (day is today), the account's current score and band. A back-dated signal rebuilds
    its own day's snapshot with `current=False`."""
    config = uow.config.success.health
    values = await measure_values(uow, account, day, config)
    previous = await latest_before(uow, account.id, day)
    last_known = {}
    if previous is not None:
        last_known = {k: v.get("value") for k, v in (previous.measures or {}).items() if v.get("value") is not None}
    s, band, per = score(values, config, last_known)
    if s is None:
        return Result(None, None, per, None)
    snap = await snapshot_on(uow, account.id, day)
    if snap is None:
        snap = HealthSnapshot(account_id=account.id, day=day, score=s, band=band, measures=per)
        uow.session.add(snap)
    else:
        snap.score, snap.band, snap.measures = s, band, per
    if current:
        account.health_score, account.health_band = s, band
        account.updated_at = uow.now()
    await uow.session.flush()
    return Result(s, band, per, snap)


async def rebuild(uow: UnitOfWork, account: Account, days: set[date], today: date) -> None:
    """Back-dated signals on `days` (before `today`): each of those days' snapshot, and every later
    snapshot whose windows reach back to one of them, are scored again from the signals as they are
    now — oldest first, so a day's history is what its signals say, in whatever order they came."""
    if not days:
        return
    config = uow.config.success.health
    reach = max((m.window_days for m in config.measures), default=1)
    first = min(days)
    later = (
        await uow.session.execute(
            select(HealthSnapshot.day).where(
                HealthSnapshot.account_id == account.id, HealthSnapshot.day > first, HealthSnapshot.day < today
            )
        )
    ).scalars()
    affected = {d for d in later if any(0 <= (d - b).days < reach for b in days)}
    for day in sorted(days | affected):
        await recompute(uow, account, day, current=False)


async def history(uow: UnitOfWork, account_id: int, since: date | None = None) -> list[HealthSnapshot]:
    stmt = select(HealthSnapshot).where(HealthSnapshot.account_id == account_id)
    if since:
        stmt = stmt.where(HealthSnapshot.day >= since)
    return list((await uow.session.execute(stmt.order_by(HealthSnapshot.day))).scalars())
