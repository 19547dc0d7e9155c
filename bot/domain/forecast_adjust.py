"""Manager adjustments of a forecast: a manager overrides a rep's number, or the team's, for the
current month or quarter, with a reason. Rows are only added, never changed: the latest one is the
adjusted number, the earlier ones its history (who, when, from, to, why).

The rep's own call stays what it was: accuracy and bias are measured on submissions
(`forecast_accuracy`), an adjustment is the manager's judgement beside it (docs/metrics.md).
No Slack here: plain values in, plain results out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import KW_ONLY, dataclass
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from bot.context import UnitOfWork
from bot.domain import forecast as fc
from bot.domain import permissions
from bot.domain.amounts import parse_amount
from bot.domain.outcomes import Outcome, Result
from bot.models import ForecastAdjustment

SCOPES = ("rep", "team")
REASON_MAX = 1000


@dataclass(frozen=True)
class AdjustResult(Result):
    """saved (the new row), refused, or bad input (errors by modal block: amount, reason)."""

    adjustment: ForecastAdjustment | None = None
    _: KW_ONLY
    subject: str = "forecast_adjust"


def may_adjust(uow: UnitOfWork, by: str, scope: str, subject: str) -> bool:
    """A rep's number: the manager of a team the rep is in, or a CRO (never the rep); a team's
    number: a manager of that Field Sales team, or a CRO (the teams `/forecast team` shows them)."""
    cfg = uow.config
    if scope == "team":
        return cfg.team(subject) is not None and subject in fc.teams_managed(uow, by)
    if scope != "rep" or subject == by or cfg.person(subject) is None:
        return False
    return permissions.allows("forecast.adjust", cfg, cfg.person(by), SimpleNamespace(rep_id=subject))


def check(uow: UnitOfWork, by: str, kind: str, scope: str, subject: str) -> AdjustResult:
    """Before the modal opens: may `by` adjust this number now?"""
    if kind not in fc.KINDS or scope not in SCOPES or not may_adjust(uow, by, scope, subject):
        return AdjustResult(Outcome.NOT_ALLOWED)
    return AdjustResult(Outcome.ALLOWED)


async def adjust(
    uow: UnitOfWork, by: str, kind: str, scope: str, subject: str, *, amount: Any, reason: Any, start: date | None = None
) -> AdjustResult:
    """Record `by`'s adjustment of the rep's (`scope` rep) or team's number for the current period
    (`start`: the period the form was opened for; once that period is over, nothing is written)."""
    refused = check(uow, by, kind, scope, subject)
    if not refused.ok:
        return refused
    if start is not None and start != fc.period(uow, kind).start:
        return AdjustResult(Outcome.EXPIRED)
    errors: dict[str, str] = {}
    try:
        value = parse_amount(amount)
    except ValueError:
        value, errors["amount"] = None, "forecast_adjust.err.amount"
    if value is None and "amount" not in errors:
        errors["amount"] = "forecast_adjust.err.amount_empty"
    why = str(reason or "").strip()
    if not why:
        errors["reason"] = "forecast_adjust.err.reason"
    if errors:
        return AdjustResult(Outcome.BAD_INPUT, errors=errors)
    p = fc.period(uow, kind)
    row = ForecastAdjustment(
        scope=scope, subject=subject, team_id=subject if scope == "team" else fc.team_of_rep(uow, subject),
        period_kind=kind, period_start=p.start, from_amount=await current_number(uow, kind, p.start, scope, subject),
        amount=value, currency=uow.config.company.currency, reason=why[:REASON_MAX], adjusted_by=by, adjusted_at=uow.now(),
    )  # fmt: skip
    uow.session.add(row)
    await uow.session.flush()
    return AdjustResult(Outcome.SAVED, row, by=by)


async def current_number(uow: UnitOfWork, kind: str, start: date, scope: str, subject: str) -> Decimal | None:
    """The number an adjustment replaces: the latest adjustment, else the submitted number."""
    rows = await history(uow, kind, start, scope, subject)
    return rows[-1].amount if rows else await submitted_number(uow, kind, start, scope, subject)


async def submitted_number(uow: UnitOfWork, kind: str, start: date, scope: str, subject: str) -> Decimal | None:
    """A rep's last call; a team's call, else the sum of its reps' calls, as the roll-up shows it
    (None: no call yet)."""
    sub = await fc.last_submission(uow, subject, kind, start, scope=scope, team_id=subject if scope == "team" else None)
    if sub is not None or scope != "team":
        return sub.commit_amount if sub else None
    calls = [s.commit_amount for rep in fc.team_members(uow, subject) if (s := await fc.last_submission(uow, rep, kind, start))]
    return sum(calls, Decimal(0)) if calls else None


async def history(uow: UnitOfWork, kind: str, start: date, scope: str, subject: str) -> list[ForecastAdjustment]:
    """Every adjustment of one number in a period, oldest first (the last is the adjusted number)."""
    a = ForecastAdjustment
    q = select(a).where(a.scope == scope, a.subject == subject, a.period_kind == kind, a.period_start == start)
    return list(await uow.session.scalars(q.order_by(a.adjusted_at, a.id)))


async def for_team(uow: UnitOfWork, team_id: str, kind: str, start: date) -> dict[tuple[str, str], list[ForecastAdjustment]]:
    """The adjustments a team roll-up shows, in one read: (scope, subject) → history, oldest first —
    the team's own number and each current member's."""
    a = ForecastAdjustment
    members = fc.team_members(uow, team_id)
    q = select(a).where(a.period_kind == kind, a.period_start == start, a.scope.in_(SCOPES))
    q = q.where(((a.scope == "team") & (a.subject == team_id)) | ((a.scope == "rep") & a.subject.in_(members or [""])))
    out: dict[tuple[str, str], list[ForecastAdjustment]] = defaultdict(list)
    for row in await uow.session.scalars(q.order_by(a.adjusted_at, a.id)):
        out[(row.scope, row.subject)].append(row)
    return dict(out)
