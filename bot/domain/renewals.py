"""Renewal reminders: at each configured offset (days before the renewal date) the CSM and AE hear
about the renewal once, flagged at risk when health is red or falling. Offsets are calendar days,
so month ends need no special case (2027-03-31 − 30 days = 2027-03-01).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from bot.context import UnitOfWork
from bot.domain import health
from bot.domain.accounts import change_stage
from bot.models import Account


@dataclass(frozen=True)
class RenewalDue:
    account_id: int
    renewal_date: date
    offset: int  # days before renewal this reminder stands for
    days_left: int
    at_risk: bool
    falling: int | None  # points lost over the falling window (None: not falling)


def reminder_day(renewal: date, offset: int) -> date:
    return renewal - timedelta(days=offset)


def due_offset(renewal: date, offsets: list[int], today: date) -> int | None:
    """The reminder due on `today`: the smallest offset whose day has come (a run missed over a
    weekend still sends the latest one, never the older ones too); None after the renewal."""
    if today >= renewal:
        return None
    passed = [o for o in offsets if reminder_day(renewal, o) <= today]
    return min(passed) if passed else None


async def falling_by(uow: UnitOfWork, acc: Account, today: date) -> int | None:
    cfg = uow.config.success.renewals
    if acc.health_score is None:
        return None
    then = await health.highest_since(uow, acc.id, today - timedelta(days=cfg.falling_days), today)  # as the drop alert
    if then is None:
        return None
    lost = then.score - acc.health_score
    return lost if lost >= cfg.falling_points else None


async def due_reminders(uow: UnitOfWork, today: date) -> list[RenewalDue]:
    cfg = uow.config.success.renewals
    if not cfg.offsets:
        return []
    horizon = today + timedelta(days=max(cfg.offsets))
    rows = await uow.session.execute(
        select(Account).where(
            Account.churned.is_(False), Account.renewal_date.is_not(None),
            Account.renewal_date > today, Account.renewal_date <= horizon,
        ).order_by(Account.renewal_date, Account.id)
    )  # fmt: skip
    out = []
    for acc in rows.scalars():
        offset = due_offset(acc.renewal_date, cfg.offsets, today)
        if offset is None:
            continue
        falling = await falling_by(uow, acc, today)
        at_risk = acc.health_band == "red" or falling is not None
        if acc.cs_stage != "renewal":
            await change_stage(uow, acc, "renewal", actor="system", reason="renewal_window")
        out.append(RenewalDue(acc.id, acc.renewal_date, offset, (acc.renewal_date - today).days, at_risk, falling))
    return out
