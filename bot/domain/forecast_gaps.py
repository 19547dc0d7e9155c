"""Calls far from Baton's forecast, for the forecast-meeting summary: each rep whose current call
for the period differs from Baton's forecast for them by more than `forecast.tolerance` of Baton's
number (quarter ±5 %, month ±10 % by default) — the calls worth a question in the meeting.

gap = (call − Baton) ÷ Baton; with Baton at 0 any call above 0 is beyond (no gap % to show).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.context import UnitOfWork
from bot.domain import forecast as fc
from bot.domain import forecast_model as fm


@dataclass(frozen=True)
class Gap:
    rep: str
    call: Decimal
    baton: Decimal
    gap: float | None  # (call − Baton) ÷ Baton; None when Baton's forecast is 0
    tolerance: float


def beyond(call: Decimal, baton: Decimal, tolerance: float) -> Gap | None:
    """The gap when it is beyond the tolerance, else None (`rep` filled in by the caller)."""
    if baton <= 0:
        return Gap("", call, baton, None, tolerance) if call > 0 else None
    gap = float((call - baton) / baton)
    return Gap("", call, baton, gap, tolerance) if abs(gap) > tolerance + 1e-12 else None


async def call_gaps(uow: UnitOfWork, reps: list[str], kind: str) -> list[Gap]:
    """The reps (in the order given) whose last call for the current period is beyond the tolerance
    from Baton's forecast for them; a rep without a call is not flagged here (the summary says so)."""
    p = fc.period(uow, kind)
    tolerance = uow.config.forecast.tolerance_for(kind)
    log: fm.Log | None = None
    out = []
    for rep in reps:
        sub = await fc.last_submission(uow, rep, kind, p.start)
        if sub is None:
            continue
        log = log or await fm.load(uow)  # the event log, read once for every rep
        f = await fm.current(uow, kind, rep=rep, log=log)
        if (g := beyond(Decimal(sub.commit_amount), f.point, tolerance)) is not None:
            out.append(Gap(rep, g.call, g.baton, g.gap, tolerance))
    return out
